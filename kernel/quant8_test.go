package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestQuantizeQ8_0(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	x := randVec(rng, 32*9)
	for j := 0; j < 32; j++ {
		x[32+j] = 0 // an all-zero block
	}
	x[70] = 2.5 // ties
	q := make([]byte, 9*34)
	QuantizeQ8_0(q, x)
	for b := 0; b < 9; b++ {
		blk := q[b*34:]
		var amax float64
		for _, v := range x[b*32 : b*32+32] {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		d := float32(amax) / 127
		if got := f16ToF32(uint16(blk[0]) | uint16(blk[1])<<8); got != f16ToF32(f32ToF16(d)) {
			t.Fatalf("block %d: d=%v want %v", b, got, d)
		}
		for j := 0; j < 32; j++ {
			qv := int8(blk[2+j])
			if qv < -127 {
				t.Fatalf("q=%d out of range", qv)
			}
			if d != 0 && math.Abs(float64(qv)*float64(d)-float64(x[b*32+j])) > float64(d)/2*1.0001 {
				t.Fatalf("block %d j %d: q=%d d=%v x=%v", b, j, qv, d, x[b*32+j])
			}
		}
	}
}

func refGemvQx(w, xq []byte, m, n int, q4 bool) (y, abs []float64) {
	nb := n / 32
	bs := 34
	if q4 {
		bs = 18
	}
	y, abs = make([]float64, m), make([]float64, m)
	for r := 0; r < m; r++ {
		for b := 0; b < nb; b++ {
			blk := w[(r*nb+b)*bs:]
			xb := xq[b*34:]
			dw := float64(f16ToF32(uint16(blk[0]) | uint16(blk[1])<<8))
			dx := float64(f16ToF32(uint16(xb[0]) | uint16(xb[1])<<8))
			var isum int64
			for j := 0; j < 32; j++ {
				var qw int64
				if !q4 {
					qw = int64(int8(blk[2+j]))
				} else if j < 16 {
					qw = int64(blk[2+j]&15) - 8
				} else {
					qw = int64(blk[2+j-16]>>4) - 8
				}
				isum += qw * int64(int8(xb[2+j]))
			}
			y[r] += dw * dx * float64(isum)
			abs[r] += math.Abs(dw * dx * float64(isum))
		}
	}
	return
}

func TestGemvQ8(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][2]int{{1, 32}, {3, 64}, {9, 96}, {17, 4096}, {300, 1024}, {1000, 2048}} {
		m, n := s[0], s[1]
		q8, q4 := quantRows(rng, m, n)
		for b := 0; b < len(q8); b += 34 {
			for j := 2; j < 34; j++ {
				if q8[b+j] == 0x80 {
					q8[b+j] = 0x81 // ggml's quantizer never writes -128
				}
			}
		}
		x := randVec(rng, n)
		xq := make([]byte, n/32*34)
		QuantizeQ8_0(xq, x)
		y := make([]float32, m)
		for _, q4mode := range []bool{false, true} {
			w, f := q8, GemvQ8_0Q8
			if q4mode {
				w, f = q4, GemvQ4_0Q8
			}
			wb := make([]byte, len(w)+1) // unaligned weights
			copy(wb[1:], w)
			f(y, wb[1:], xq, m, n)
			want, abs := refGemvQx(w, xq, m, n, q4mode)
			for r := range y {
				if !near(y[r], want[r], sumTol(n/32+4, abs[r])) {
					t.Fatalf("q4=%v %dx%d row %d: got %v want %v", q4mode, m, n, r, y[r], want[r])
				}
			}
		}
	}
}

// TestQuantizeRounding checks the fast rounding against math.Round (ties
// away from zero) on values near every half-integer.
func TestQuantizeRounding(t *testing.T) {
	x := make([]float32, 32)
	q := make([]byte, 34)
	for k := -127; k <= 127; k++ {
		for _, off := range []float32{-0.5, -0.4999999, 0, 0.4999999, 0.5, 0.5000001} {
			x[0] = 127 // d = 1 exactly... up to 127/127
			x[1] = float32(k)/2 + off/2
			QuantizeQ8_0(q, x)
			d := float32(127) / 127
			want := int8(math.Round(float64(x[1] * (1 / d))))
			if int8(q[3]) != want {
				t.Fatalf("x=%v: q=%d want %d", x[1], int8(q[3]), want)
			}
		}
	}
}
