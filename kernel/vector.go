package kernel

import (
	"fmt"
	"math"
)

func checkLen2(fn string, nx, ny int) {
	if nx != ny {
		panic(fmt.Sprintf("kernel: %s: len(x)=%d != len(y)=%d", fn, nx, ny))
	}
}

func checkLen3(fn string, nd, na, nb int) {
	if nd != na || nd != nb {
		panic(fmt.Sprintf("kernel: %s: lengths differ: len(dst)=%d len(a)=%d len(b)=%d", fn, nd, na, nb))
	}
}

// Dot returns Σ x[i]·y[i]. It panics if len(x) != len(y).
func Dot(x, y []float32) float32 {
	checkLen2("Dot", len(x), len(y))
	return dotImpl(x, y)
}

// Axpy computes y += a·x element-wise. It panics if len(x) != len(y).
func Axpy(a float32, x, y []float32) {
	checkLen2("Axpy", len(x), len(y))
	axpyImpl(a, x, y)
}

// Scale computes x *= a element-wise, in place.
func Scale(a float32, x []float32) { scaleImpl(a, x) }

// Add computes dst = a + b element-wise. dst may be a or b (in place). It
// panics if the lengths differ.
func Add(dst, a, b []float32) {
	checkLen3("Add", len(dst), len(a), len(b))
	addImpl(dst, a, b)
}

// Mul computes dst = a ⊙ b (element-wise product). dst may be a or b. It
// panics if the lengths differ.
func Mul(dst, a, b []float32) {
	checkLen3("Mul", len(dst), len(a), len(b))
	mulImpl(dst, a, b)
}

// SumSq returns Σ x[i]².
func SumSq(x []float32) float32 { return sumSqImpl(x) }

// Max returns the largest element of x, -Inf for an empty x, and NaN if any
// element is NaN.
func Max(x []float32) float32 { return maxImpl(x) }

// Softmax replaces x by softmax(x) = exp(x - max x) / Σ exp(x - max x), in
// place. exp is the vectorised float32 exp described in the package comment
// (≤ 2 ulp); the result sums to 1 within a few ulp. An element equal to -Inf
// gets probability 0 (causal masks); if all elements are -Inf, or any is NaN
// or +Inf, the result is NaN.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := Max(x)
	s := expSubImpl(x, m)
	Scale(1/s, x)
}

// ExpSub replaces x by exp(x − m) element-wise, in place, and returns
// Σ exp(x − m): Softmax without the division, for a softmax computed block
// by block with a running maximum m (online softmax). exp is Softmax's.
func ExpSub(x []float32, m float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return expSubImpl(x, m)
}

// SiLUMul computes dst = silu(gate) ⊙ up with silu(g) = g·σ(g) = g/(1+e⁻ᵍ),
// the SwiGLU activation of Llama-style MLPs. dst may alias gate or up. It
// panics if the lengths differ.
func SiLUMul(dst, gate, up []float32) {
	checkLen3("SiLUMul", len(dst), len(gate), len(up))
	siluMulImpl(dst, gate, up)
}

// ---- pure-Go implementations (used by the purego build, on other
// architectures and on CPUs without AVX2+FMA; also the shape of the
// assembly versions). ----

func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGeneric(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

func scaleGeneric(a float32, x []float32) {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x[i] *= a
		x[i+1] *= a
		x[i+2] *= a
		x[i+3] *= a
	}
	for ; i < len(x); i++ {
		x[i] *= a
	}
}

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		dst[i] = a[i] + b[i]
		dst[i+1] = a[i+1] + b[i+1]
		dst[i+2] = a[i+2] + b[i+2]
		dst[i+3] = a[i+3] + b[i+3]
	}
	for ; i < len(dst); i++ {
		dst[i] = a[i] + b[i]
	}
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		dst[i] = a[i] * b[i]
		dst[i+1] = a[i+1] * b[i+1]
		dst[i+2] = a[i+2] * b[i+2]
		dst[i+3] = a[i+3] * b[i+3]
	}
	for ; i < len(dst); i++ {
		dst[i] = a[i] * b[i]
	}
}

func sumSqGeneric(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * x[i]
		s1 += x[i+1] * x[i+1]
		s2 += x[i+2] * x[i+2]
		s3 += x[i+3] * x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func maxGeneric(x []float32) float32 {
	m0 := float32(math.Inf(-1))
	m1, m2, m3 := m0, m0, m0
	nan := false
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := x[i], x[i+1], x[i+2], x[i+3]
		nan = nan || a != a || b != b || c != c || d != d
		if a > m0 {
			m0 = a
		}
		if b > m1 {
			m1 = b
		}
		if c > m2 {
			m2 = c
		}
		if d > m3 {
			m3 = d
		}
	}
	for ; i < len(x); i++ {
		nan = nan || x[i] != x[i]
		if x[i] > m0 {
			m0 = x[i]
		}
	}
	if nan {
		return float32(math.NaN())
	}
	return max(m0, m1, m2, m3)
}

// Constants of the float32 exp (Cephes expf): exp(x) = 2ⁿ·exp(r) with
// n = round(x·log2 e), r = x - n·ln 2 computed in two parts (C1 exact in
// float32), and exp(r) ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2.
const (
	expHi    = 88.37             // keeps n ≤ 127 so 2ⁿ is finite
	expLo    = -87.3365478515625 // below this exp underflows to a subnormal: return 0
	expLog2e = 1.44269504088896341
	expC1    = 0.693359375
	expC2    = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// expf is the scalar form of the vectorised exp; the assembly kernels
// compute exactly these steps 8 lanes at a time.
func expf(x float32) float32 {
	if x != x {
		return x
	}
	if x < expLo {
		return 0
	}
	if x > expHi {
		x = expHi
	}
	fx := float32(math.Floor(float64(x*expLog2e + 0.5)))
	r := x - fx*expC1
	r = r - fx*expC2
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	y := p*r*r + r + 1
	return y * math.Float32frombits(uint32(int32(fx)+127)<<23)
}

// expSubGeneric sets x[i] = exp(x[i]-m) and returns the sum.
func expSubGeneric(x []float32, m float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		a, b := expf(x[i]-m), expf(x[i+1]-m)
		x[i], x[i+1] = a, b
		s0 += a
		s1 += b
	}
	for ; i < len(x); i++ {
		x[i] = expf(x[i] - m)
		s0 += x[i]
	}
	return s0 + s1
}

func siluMulGeneric(dst, gate, up []float32) {
	gate, up = gate[:len(dst)], up[:len(dst)]
	for i := range dst {
		g := gate[i]
		dst[i] = g / (1 + expf(-g)) * up[i]
	}
}
