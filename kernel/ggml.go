package kernel

import "math"

// llama.cpp's CPU backend, built for a CPU with AVX-512 (its
// GGML_NATIVE build on such a machine), computes attention and SiLU with
// float32 arithmetic of its own: the functions below reproduce it bit for
// bit, lane by lane, in scalar Go. They are slower than the SIMD kernels
// above and exist so that a model can compute exactly what llama.cpp
// computes (model.Model.MatchGGML), which makes the quantized activations of
// the integer path, and so the logits, equal to llama.cpp's.

// FMA32 returns a·b + c rounded once to float32 (C's fmaf). a·b is exact
// in float64; the float64 sum is rounded a second time only when it lies
// exactly halfway between two float32 values, which its rounding error
// then decides.
func FMA32(a, b, c float32) float32 {
	s := float64(a)*float64(b) + float64(c)
	// s is not exactly halfway between two float32 values (the 29 bits
	// below float32's precision are not 100…0) and in float32's normal
	// range or Inf/NaN: its rounding is the single one.
	if math.Float64bits(s)&(1<<29-1) == 1<<28 || !(s >= 0x1p-126 || s <= -0x1p-126) {
		return fma32Tie(a, b, c)
	}
	return float32(s)
}

// fma32Tie is FMA32 where the float64 sum may be a tie of float32
// rounding (or a float32 subnormal).
func fma32Tie(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	r := float32(s)
	if float64(r) == s || math.IsInf(s, 0) || math.IsNaN(s) {
		return r
	}
	v := s - p // TwoSum: e is the rounding error of s
	e := (p - (s - v)) + (float64(c) - v)
	if e == 0 {
		return r
	}
	lo, hi := r, r
	if float64(r) < s {
		hi = math.Nextafter32(r, float32(math.Inf(1)))
	} else {
		lo = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if s-float64(lo) != float64(hi)-s {
		return r
	}
	if e > 0 {
		return hi
	}
	return lo
}

// reduce16 is _mm512_reduce_add_ps as GCC computes it: lanes l and l+8,
// then l and l+4, then l and l+2, then the last two.
func reduce16(v *[16]float32) float32 {
	var a [8]float32
	for l := range a {
		a[l] = v[l+8] + v[l]
	}
	var b [4]float32
	for l := range b {
		b[l] = a[l+4] + a[l]
	}
	return (b[0] + b[2]) + (b[1] + b[3])
}

// DotGGML returns x·y as ggml_vec_dot_f32 computes it: the first
// n − n mod 64 products in four 16-lane fused multiply-add accumulators
// added pairwise (0+2, 1+3, then the two) and reduced by reduce16; then
// the rest in order, rounded products added one by one in blocks of 16
// and 8, the last n mod 8 by fused multiply-adds.
func DotGGML(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	np := n &^ 63
	var sum float32
	if np > 0 {
		var acc [4][16]float32
		for j := range acc { // the first FMA adds to 0: the rounded product
			for l := range acc[j] {
				acc[j][l] = float32(x[16*j+l] * y[16*j+l])
			}
		}
		for i := 64; i < np; i += 64 {
			for j := range acc {
				for l := range acc[j] {
					a, b, c := x[i+16*j+l], y[i+16*j+l], acc[j][l]
					// FMA32's fast path, written out to stay in the loop
					r := float64(a)*float64(b) + float64(c)
					if math.Float64bits(r)&(1<<29-1) == 1<<28 || !(r >= 0x1p-126 || r <= -0x1p-126) {
						acc[j][l] = FMA32(a, b, c)
					} else {
						acc[j][l] = float32(r)
					}
				}
			}
		}
		var v [16]float32
		for l := range v {
			v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
		}
		sum = reduce16(&v)
	}
	// Blocks of 16, then of 8: rounded products added one by one (the
	// explicit conversion keeps each product rounded, unfused).
	i := np
	for end := np + (n-np)&^15; i < end; i++ {
		sum += float32(x[i] * y[i])
	}
	if n-i >= 8 {
		for end := i + 8; i < end; i++ {
			sum += float32(x[i] * y[i])
		}
	}
	for ; i < n; i++ {
		sum = FMA32(x[i], y[i], sum)
	}
	return sum
}

// ExpGGML returns e^x as one lane of ggml's AVX-512 ggml_v_expf: n =
// round(x·log₂e) (by adding 1.5·2²³), b = x − n·ln2 in two fused steps, a
// degree-5 polynomial in b by fused multiply-adds, scaled by 2ⁿ; |n| >
// 192 gives +Inf or 0.
func ExpGGML(x float32) float32 {
	const r = 0x1.8p23
	z := FMA32(x, 0x1.715476p+0, r)
	n := z - r
	b := FMA32(-n, 0x1.7f7d1cp-20, FMA32(-n, 0x1.62e4p-1, x))
	if a := float32(math.Abs(float64(n))); a > 192 {
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	u := b * b
	j := FMA32(FMA32(FMA32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, FMA32(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u,
		FMA32(0x1.ffffecp-1, b, 1))
	if n != n {
		return n
	}
	return float32(math.Ldexp(float64(j), int(n)))
}

// SiLUMulGGML computes dst = silu(gate) ⊙ up as llama.cpp's ggml_silu
// then ggml_mul: silu(g) = g/(1 + ExpGGML(0 − g)) rounded, times up. (The
// last len mod 16 values, which ggml computes with the C library's expf,
// use ExpGGML too.)
func SiLUMulGGML(dst, gate, up []float32) {
	checkLen3("SiLUMulGGML", len(dst), len(gate), len(up))
	for i, g := range gate {
		s := g / (1 + ExpGGML(0-g))
		dst[i] = s * up[i]
	}
}

// SoftmaxGGML replaces the scores x of keys off..off+len(x)−1 (already
// scaled) by their softmax as ggml_soft_max computes it over a row of
// keys 0.. whose other entries are masked: e = ExpGGML(x − max), the sum
// of each 16 keys (aligned at key 0) reduced as _mm512_reduce_add_ps and
// accumulated in float64, then every e times float32(1/sum).
func SoftmaxGGML(x []float32, off int) {
	if len(x) == 0 {
		return
	}
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	var lane [16]float32
	for i := range x {
		x[i] = ExpGGML(x[i] - m)
		k := (off + i) % 16
		lane[k] = x[i]
		if k == 15 || i == len(x)-1 {
			sum += float64(reduce16(&lane))
			lane = [16]float32{}
		}
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// WeightedSumGGML computes o[d] = Σ_j w[j]·v_j[d] for the keys j =
// off..off+len(w)−1 (v_j = v[j·stride:][:len(o)], counted from off) as
// llama.cpp's F32 GEMM (llamafile's tinyBLAS, AVX-512) multiplies the
// attention weights by the values: 16 lanes by key position mod 16, each
// a chain of fused multiply-adds in key order, then reduce16.
func WeightedSumGGML(o, w, v []float32, stride, off int) {
	// The lanes of Dot16GGML, with the weights of keys 0..off−1 zero,
	// for 16 outputs at a time: lane (off+i) mod 16 takes key i.
	for d0 := 0; d0 < len(o); d0 += 16 {
		n := min(16, len(o)-d0)
		var acc [16][16]float32 // [lane][output]
		for i, a := range w {
			lane := &acc[(off+i)&15]
			for d, b := range v[i*stride+d0 : i*stride+d0+n] {
				// FMA32's fast path, written out to stay in the loop
				r := float64(a)*float64(b) + float64(lane[d])
				if math.Float64bits(r)&(1<<29-1) == 1<<28 || !(r >= 0x1p-126 || r <= -0x1p-126) {
					lane[d] = FMA32(a, b, lane[d])
				} else {
					lane[d] = float32(r)
				}
			}
		}
		for d := range n {
			var l [16]float32
			for k := range l {
				l[k] = acc[k][d]
			}
			o[d0+d] = reduce16(&l)
		}
	}
}

// Dot16GGML returns x·y as one output of llama.cpp's F32 and F16 GEMM
// (llamafile's tinyBLAS with AVX-512, for lengths that are multiples of
// 16): 16 lanes by index mod 16, each a chain of fused multiply-adds in
// index order, then reduce16. The F16 GEMM converts both operands to
// float32 first (exactly), so x and y are those float32 values.
func Dot16GGML(x, y []float32) float32 {
	y = y[:len(x)]
	var acc [16]float32
	for i, a := range x {
		acc[i%16] = FMA32(a, y[i], acc[i%16])
	}
	return reduce16(&acc)
}
