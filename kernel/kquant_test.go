package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmparts/llmparts/quant"
)

// computeTypes are the weight types with in-place kernels.
var computeTypes = []quant.Type{quant.F32, quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_1, quant.Q5_0,
	quant.Q5_1, quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.IQ4_NL, quant.IQ4_XS}

// halfFields are the byte offsets of each block's float16 scales: random
// bytes elsewhere exercise every bit pattern of the quants and sub-block
// scales, while the scales are set to finite values of either sign.
var halfFields = map[quant.Type][]int{
	quant.Q4_0: {0}, quant.Q4_1: {0, 2}, quant.Q5_0: {0}, quant.Q5_1: {0, 2}, quant.Q8_0: {0},
	quant.Q2_K: {80, 82}, quant.Q3_K: {108}, quant.Q4_K: {0, 2}, quant.Q5_K: {0, 2}, quant.Q6_K: {208},
	quant.IQ4_NL: {0}, quant.IQ4_XS: {0},
}

// randWeights returns m rows of n random elements of type t.
func randWeights(rng *rand.Rand, t quant.Type, m, n int) []byte {
	if !t.Quantized() {
		x := make([]float32, m*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		w, err := quant.Quantize(t, x)
		if err != nil {
			panic(err)
		}
		return w
	}
	rb := t.MustRowBytes(n)
	w := make([]byte, m*rb)
	for i := range w {
		w[i] = byte(rng.Uint32())
	}
	bb := t.BlockBytes()
	for b := 0; b < len(w)/bb; b++ {
		blk := w[b*bb:]
		for _, off := range halfFields[t] {
			h := f32ToF16(float32(rng.NormFloat64()) * 0.01)
			blk[off], blk[off+1] = byte(h), byte(h>>8)
		}
		if t == quant.Q8_0 {
			for j := 2; j < 34; j++ {
				if blk[j] == 0x80 { // ggml's quantizer never writes -128
					blk[j] = 0x81
				}
			}
		}
	}
	return w
}

// deq64 returns the dequantized rows of w as float64.
func deq64(t quant.Type, w []byte, m, n int) []float64 {
	f := make([]float32, m*n)
	if err := quant.Dequantize(t, w, f); err != nil {
		panic(err)
	}
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}

// TestGemvFloatPath checks every type's float-activation GEMV against the
// float64 product of quant's reference dequantization: equal up to the
// reassociation of a float32 sum.
func TestGemvFloatPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range computeTypes {
		for _, n := range []int{256, 768} {
			m := 13
			w := randWeights(rng, typ, m, n)
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			k := typ.Kernels()
			if k.Gemv == nil {
				t.Fatalf("%v: no Gemv registered", typ)
			}
			y := make([]float32, m)
			k.Gemv(y, w, x, m, n)
			wd := deq64(typ, w, m, n)
			for r := 0; r < m; r++ {
				var want, abs float64
				for j := 0; j < n; j++ {
					p := wd[r*n+j] * float64(x[j])
					want += p
					abs += math.Abs(p)
				}
				if d := math.Abs(float64(y[r]) - want); d > 4*float64(n)*0x1p-24*abs+1e-30 {
					t.Errorf("%v n=%d row %d: got %v want %v (|diff| %.3g, Σ|wx| %.3g)", typ, n, r, y[r], want, d, abs)
				}
			}
		}
	}
}

// TestGemvIntPath checks every type's integer path: activations quantized
// by QuantizeActivations, then GemvQ, against the float64 product of the
// dequantized weights and the dequantized activations. The integer sums
// are exact, so the only error is float32 rounding of the block scales and
// of the sum: any mistake in the scales, mins or block sums is far larger.
func TestGemvIntPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, typ := range computeTypes {
		k := typ.Kernels()
		if typ == quant.F32 {
			continue // no integer path
		}
		if k.GemvQ == nil || k.GemmQ == nil {
			t.Fatalf("%v: no GemvQ/GemmQ registered", typ)
		}
		for _, n := range []int{256, 1024} {
			m, T := 11, 6
			w := randWeights(rng, typ, m, n)
			vt := typ.VecDot()
			xr := vt.MustRowBytes(n)
			xq := make([]byte, T*xr)
			x := make([]float32, T*n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for tk := 0; tk < T; tk++ {
				QuantizeActivations(typ, xq[tk*xr:(tk+1)*xr], x[tk*n:(tk+1)*n])
			}
			wd := deq64(typ, w, m, n)
			xd := deq64(vt, xq, T, n)
			y := make([]float32, m)
			ldy := m + 5
			yy := make([]float32, T*ldy)
			k.GemmQ(yy, ldy, w, xq, m, n, T)
			for tk := 0; tk < T; tk++ {
				k.GemvQ(y, w, xq[tk*xr:(tk+1)*xr], m, n)
				for r := 0; r < m; r++ {
					var want, abs float64
					for j := 0; j < n; j++ {
						p := wd[r*n+j] * xd[tk*n+j]
						want += p
						abs += math.Abs(p)
					}
					tol := 8*float64(n)*0x1p-24*abs + 1e-30
					if d := math.Abs(float64(y[r]) - want); d > tol {
						t.Errorf("%v n=%d token %d row %d: GemvQ %v want %v (|diff| %.3g, tol %.3g)", typ, n, tk, r, y[r], want, d, tol)
					}
					if yy[tk*ldy+r] != y[r] {
						t.Errorf("%v n=%d token %d row %d: GemmQ %v != GemvQ %v", typ, n, tk, r, yy[tk*ldy+r], y[r])
					}
				}
			}
		}
	}
}

// TestQuantizeQ8KRounding checks llama.cpp's Q8_K activation rounding on
// hand-worked values: the scale is −127/max (max keeps its sign), the
// products are rounded half to even (llama.cpp's nearest_int adds 1.5·2²³
// in float32), d = 1/scale, and bsums are the sums of 16 quants.
func TestQuantizeQ8KRounding(t *testing.T) {
	x := make([]float32, 256)
	x[0] = 127 // max: scale −1
	x[1], x[2], x[3], x[4] = 2.5, 3.5, -0.5, 1.4999
	x[17] = -126.5
	dst := make([]byte, quant.Q8_K.BlockBytes())
	QuantizeActivations(quant.Q4_K, dst, x)
	if d := math.Float32frombits(le32(dst)); d != -1 {
		t.Fatalf("d = %v, want -1", d)
	}
	q := func(i int) int8 { return int8(dst[4+i]) }
	want := map[int]int8{0: -127, 1: -2, 2: -4, 3: 0, 4: -1, 17: 126}
	for i, w := range want {
		if q(i) != w {
			t.Errorf("q[%d] = %d, want %d (x=%v)", i, q(i), w, x[i])
		}
	}
	bsum := func(g int) int16 { return int16(uint16(dst[260+2*g]) | uint16(dst[261+2*g])<<8) }
	if bsum(0) != -127-2-4+0-1 || bsum(1) != 126 {
		t.Errorf("bsums %d %d, want %d %d", bsum(0), bsum(1), -127-2-4-1, 126)
	}
	// Largest magnitude negative: scale +0.5, the max still maps to −127.
	x[0], x[17] = -254, 0
	QuantizeActivations(quant.Q6_K, dst, x)
	if d := math.Float32frombits(le32(dst)); d != 2 || q(0) != -127 || q(1) != 1 || q(2) != 2 {
		t.Errorf("negative max: d=%v q0=%d q1=%d q2=%d, want 2 -127 1 2", d, q(0), q(1), q(2))
	}
}

func BenchmarkGemvTypes(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, n := 1024, 2048
	for _, typ := range computeTypes {
		w := randWeights(rng, typ, m, n)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		y := make([]float32, m)
		k := typ.Kernels()
		b.Run(typ.String()+"/float", func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				k.Gemv(y, w, x, m, n)
			}
		})
		if k.GemvQ == nil {
			continue
		}
		xq := make([]byte, typ.VecDot().MustRowBytes(n))
		QuantizeActivations(typ, xq, x)
		b.Run(typ.String()+"/int", func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				k.GemvQ(y, w, xq, m, n)
			}
		})
	}
}

func BenchmarkGemmQ(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	m, n, T := 768, 2048, 64
	for _, typ := range []quant.Type{quant.Q4_K, quant.Q6_K, quant.IQ4_XS, quant.Q8_0} {
		w := randWeights(rng, typ, m, n)
		x := make([]float32, T*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		xr := typ.VecDot().MustRowBytes(n)
		xq := make([]byte, T*xr)
		for tk := 0; tk < T; tk++ {
			QuantizeActivations(typ, xq[tk*xr:(tk+1)*xr], x[tk*n:(tk+1)*n])
		}
		y := make([]float32, T*m)
		k := typ.Kernels()
		b.Run(typ.String(), func(b *testing.B) {
			for b.Loop() {
				k.GemmQ(y, m, w, xq, m, n, T)
			}
			b.ReportMetric(2*float64(m*n*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestIntPathBitExact checks that every integer-path kernel gives exactly
// the numbers of the generic Go version, which follows llama.cpp's AVX2
// arithmetic lane by lane (so that activations quantized from our results
// round as llama.cpp's do): assembly and Go must not differ in one bit.
// Where this CPU runs a type on kernels with other arithmetic (Q8_0 and
// Q4_0 on AVX-512 VNNI: llama.cpp's repacked order, archIntRef), the
// reference is that arithmetic in Go.
func TestIntPathBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	m, n := 37, 768
	for _, typ := range computeTypes {
		var ref func(y []float32, w, xq []byte)
		switch {
		case unpackers[typ] != nil:
			ref = gemvQKGeneric(unpackers[typ], typ.BlockBytes(), kMins[typ])
		case archIntRef(typ) != nil:
			ref = archIntRef(typ)
		case typ == quant.Q8_0:
			ref = func(y []float32, w, xq []byte) {
				gemvQ8x(y, w, xq, len(y), n, q8BlockSize, gemvQ8Q8Generic)
			}
		case unpackers32[typ] != nil && typ != quant.Q4_0:
			ref = gemvQ32Generic(unpackers32[typ], typ.BlockBytes(), typ.VecDot() == quant.Q8_1)
		default:
			continue
		}
		w := randWeights(rng, typ, m, n)
		x := make([]float32, 4*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 3
		}
		xr := typ.VecDot().MustRowBytes(n)
		xq := make([]byte, 4*xr)
		for tk := 0; tk < 4; tk++ {
			QuantizeActivations(typ, xq[tk*xr:(tk+1)*xr], x[tk*n:(tk+1)*n])
		}
		want, got := make([]float32, m), make([]float32, 4*m)
		typ.Kernels().GemmQ(got, m, w, xq, m, n, 4)
		for tk := 0; tk < 4; tk++ {
			ref(want, w, xq[tk*xr:(tk+1)*xr])
			for r := range want {
				if math.Float32bits(want[r]) != math.Float32bits(got[tk*m+r]) {
					t.Fatalf("%v token %d row %d: kernel %v, generic %v", typ, tk, r, got[tk*m+r], want[r])
				}
			}
		}
	}
}
