package kernel

import (
	"encoding/binary"
	"math"
	"testing"
)

// floatsFrom turns fuzz bytes into float32s, keeping only finite values of
// moderate size so the reference bound is meaningful.
func floatsFrom(b []byte) []float32 {
	v := make([]float32, 0, len(b)/4)
	for i := 0; i+4 <= len(b); i += 4 {
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) || math.Abs(float64(f)) > 1e15 {
			f = 1
		}
		v = append(v, f)
	}
	return v
}

func FuzzDot(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add(make([]byte, 4*17), uint8(1))
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64, 0, 0, 192, 64, 0, 0, 224, 64, 0, 0, 0, 65, 0, 0, 16, 65}, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, off uint8) {
		v := floatsFrom(b)
		n := len(v) / 2
		x, y := v[:n], v[n:2*n]
		if o := int(off) % 4; o <= n {
			x, y = x[o:], y[o:]
		}
		want, abs := refDot(x, y)
		if got := Dot(x, y); !near(got, want, sumTol(len(x), abs)) && !math.IsInf(float64(got), 0) {
			t.Fatalf("Dot n=%d: got %v want %v", len(x), got, want)
		}
		ss, ssabs := refDot(x, x)
		if got := SumSq(x); !near(got, ss, sumTol(len(x), ssabs)) && !math.IsInf(float64(got), 0) {
			t.Fatalf("SumSq n=%d: got %v want %v", len(x), got, ss)
		}
		y2 := append([]float32(nil), y...)
		Axpy(0.5, x, y2)
		for i := range y2 {
			w := float64(y[i]) + 0.5*float64(x[i])
			if !near(y2[i], w, 2*eps32*(math.Abs(float64(y[i]))+math.Abs(0.5*float64(x[i])))+1e-44) {
				t.Fatalf("Axpy i=%d: got %v want %v", i, y2[i], w)
			}
		}
	})
}

func FuzzSgemm(f *testing.F) {
	f.Add(uint8(7), uint8(17), uint8(5), false, true, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(uint8(13), uint8(3), uint8(33), true, false, []byte{9, 8, 7})
	f.Fuzz(func(t *testing.T, m8, n8, k8 uint8, ta, tb bool, seed []byte) {
		m, n, k := int(m8%40), int(n8%40), int(k8%40)
		gen := func(l int) []float32 {
			v := make([]float32, l)
			for i := range v {
				s := byte(i)
				if len(seed) > 0 {
					s ^= seed[i%len(seed)]
				}
				v[i] = float32(int(s)%17-8) / 4
			}
			return v
		}
		lda, ldb := k, n
		if ta {
			lda = m
		}
		if tb {
			ldb = k
		}
		a, b := gen(max(m*k, 1)), gen(max(k*n, 1))
		c := gen(max(m*n, 1))
		want, bound := refSgemm(ta, tb, m, n, k, 1.5, a, max(lda, 1), b, max(ldb, 1), 0.5, c, max(n, 1))
		Sgemm(ta, tb, m, n, k, 1.5, a, max(lda, 1), b, max(ldb, 1), 0.5, c, max(n, 1))
		checkMat64(t, "Sgemm", c, max(n, 1), n, want, bound, k)
	})
}

func FuzzF32ToF16(f *testing.F) {
	for _, v := range []uint32{0, 0x3f800000, 0x477fe000, 0x477ff000, 0x33800000, 0x33000000, 0x7fc00001, 0xff800000, 0x38800000, 0x387fe000} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		v := math.Float32frombits(bits)
		h := []uint16{0}
		F32ToF16(h, []float32{v})
		back := []float32{0}
		F16ToF32(back, h)
		if v != v {
			if back[0] == back[0] {
				t.Fatalf("NaN %#x -> %#04x not NaN", bits, h[0])
			}
			return
		}
		// The result is the nearest half (ties even), or Inf past the
		// largest half + half an ulp.
		got := float64(back[0])
		if math.IsInf(got, 0) {
			if math.Abs(float64(v)) < 65520 {
				t.Fatalf("F32ToF16(%v) = %v", v, got)
			}
			return
		}
		for _, nb := range []uint16{h[0] - 1, h[0] + 1} {
			if nb&0x7fff > 0x7c00 {
				continue
			}
			o := float64(f16ToF32(nb))
			if math.Abs(o-float64(v)) < math.Abs(got-float64(v)) {
				t.Fatalf("F32ToF16(%v) = %v but %v is closer", v, got, o)
			}
		}
	})
}

func FuzzSoftmaxRMSNorm(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 192})
	f.Add(make([]byte, 4*33))
	f.Fuzz(func(t *testing.T, b []byte) {
		x := floatsFrom(b)
		if len(x) == 0 {
			return
		}
		for i := range x {
			x[i] = float32(math.Mod(float64(x[i]), 80)) // keep exp finite
		}
		// Softmax against float64.
		s := append([]float32(nil), x...)
		Softmax(s)
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range x {
			sum += math.Exp(float64(v) - mx)
		}
		for i, v := range x {
			w := math.Exp(float64(v)-mx) / sum
			tol := 1e-37 + (16+math.Abs(float64(v)-mx)+float64(len(x)))*eps32*w
			if !near(s[i], w, tol) {
				t.Fatalf("Softmax n=%d i=%d: got %v want %v", len(x), i, s[i], w)
			}
		}
		// RMSNorm of one row with unit weights.
		w1 := make([]float32, len(x))
		for i := range w1 {
			w1[i] = 1
		}
		y := make([]float32, len(x))
		RMSNormRows(y, x, w1, len(x), 1e-5, nil)
		want, _ := refRMSNorm(x, w1, len(x), 1e-5)
		for i := range y {
			if !near(y[i], want[i], float64(len(x)+8)*eps32*math.Abs(want[i])+1e-30) {
				t.Fatalf("RMSNormRows n=%d i=%d: got %v want %v", len(x), i, y[i], want[i])
			}
		}
	})
}
