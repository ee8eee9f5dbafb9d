package model

import (
	"encoding/binary"
	"math"

	"github.com/llmparts/llmparts/kernel"
)

// dot returns Σ a[i]·b[i]: the kernel package's SIMD dot for long
// vectors, four scalar accumulators for short ones (a head of 8).
func dot(a, b []float32) float32 {
	n := len(a)
	if n >= 32 {
		return kernel.Dot(a, b[:n])
	}
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		s0 += a[i]*b[i] + a[i+4]*b[i+4]
		s1 += a[i+1]*b[i+1] + a[i+5]*b[i+5]
		s2 += a[i+2]*b[i+2] + a[i+6]*b[i+6]
		s3 += a[i+3]*b[i+3] + a[i+7]*b[i+7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot4 returns the dots of x with four rows at once (x is read once).
func dot4(r0, r1, r2, r3, x []float32) (float32, float32, float32, float32) {
	n := len(x)
	r0, r1, r2, r3 = r0[:n], r1[:n], r2[:n], r3[:n]
	var s0, s1, s2, s3, t0, t1, t2, t3 float32
	i := 0
	for ; i+2 <= n; i += 2 {
		a, b := x[i], x[i+1]
		s0 += r0[i] * a
		s1 += r1[i] * a
		s2 += r2[i] * a
		s3 += r3[i] * a
		t0 += r0[i+1] * b
		t1 += r1[i+1] * b
		t2 += r2[i+1] * b
		t3 += r3[i+1] * b
	}
	for ; i < n; i++ {
		a := x[i]
		s0 += r0[i] * a
		s1 += r1[i] * a
		s2 += r2[i] * a
		s3 += r3[i] * a
	}
	return s0 + t0, s1 + t1, s2 + t2, s3 + t3
}

func dotF16(raw []byte, x []float32) float32 {
	f16tab := f16Table()
	var s0, s1 float32
	n := len(x)
	raw = raw[:2*n]
	i := 0
	for ; i+2 <= n; i += 2 {
		s0 += f16tab[binary.LittleEndian.Uint16(raw[2*i:])] * x[i]
		s1 += f16tab[binary.LittleEndian.Uint16(raw[2*i+2:])] * x[i+1]
	}
	for ; i < n; i++ {
		s0 += f16tab[binary.LittleEndian.Uint16(raw[2*i:])] * x[i]
	}
	return s0 + s1
}

func dotQ8(raw []byte, x []float32) float32 {
	f16tab := f16Table()
	var sum float32
	for blk := 0; blk < len(x)/32; blk++ {
		b := raw[blk*34 : blk*34+34]
		xs := x[blk*32 : blk*32+32]
		var s0, s1, s2, s3 float32
		for j := 0; j < 32; j += 4 {
			s0 += float32(int8(b[2+j])) * xs[j]
			s1 += float32(int8(b[3+j])) * xs[j+1]
			s2 += float32(int8(b[4+j])) * xs[j+2]
			s3 += float32(int8(b[5+j])) * xs[j+3]
		}
		sum += f16tab[binary.LittleEndian.Uint16(b)] * ((s0 + s1) + (s2 + s3))
	}
	return sum
}

func dotQ4(raw []byte, x []float32) float32 {
	f16tab := f16Table()
	var sum float32
	for blk := 0; blk < len(x)/32; blk++ {
		b := raw[blk*18 : blk*18+18]
		xs := x[blk*32 : blk*32+32]
		var s0, s1 float32
		for j := 0; j < 16; j++ {
			q := b[2+j]
			s0 += float32(int(q&15)-8) * xs[j]
			s1 += float32(int(q>>4)-8) * xs[16+j]
		}
		sum += f16tab[binary.LittleEndian.Uint16(b)] * (s0 + s1)
	}
	return sum
}

// axpy computes y += a·x.
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	if len(y) >= 32 {
		kernel.Axpy(a, x, y)
		return
	}
	for i := range y {
		y[i] += a * x[i]
	}
}

// expf is a float32 exp with about 2 ulp error (Cephes expf): with
// n = round(x/ln 2) and r = x − n·ln 2 ∈ [−ln2/2, ln2/2],
// exp(x) = 2^n · (1 + r + r²·P(r)) for a degree-5 polynomial P.
func expf(x float32) float32 {
	if x < -87.33 {
		return 0
	}
	if x > 88.72 {
		return float32(math.Inf(1))
	}
	z := x * 1.44269504088896341
	var n int32
	if z >= 0 {
		n = int32(z + 0.5)
	} else {
		n = int32(z - 0.5)
	}
	fn := float32(n)
	r := x - fn*0.693359375 - fn*-2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	if n > 127 {
		return p * math.Float32frombits(uint32(n+126)<<23) * 2
	}
	if n < -126 {
		return p * math.Float32frombits(uint32(n+127+64)<<23) * (1.0 / (1 << 64))
	}
	return p * math.Float32frombits(uint32(n+127)<<23)
}

// softmax replaces x by exp(x−max)/Σexp(x−max): the kernel package's
// vectorised version for long rows, scalar expf for short ones.
func softmax(x []float32) {
	if len(x) >= 16 {
		kernel.Softmax(x)
		return
	}
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var s float32
	for i, v := range x {
		e := expf(v - m)
		x[i] = e
		s += e
	}
	inv := 1 / s
	for i := range x {
		x[i] *= inv
	}
}

func silu(x float32) float32 { return x / (1 + expf(-x)) }

// gelu is the tanh approximation 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))).
func gelu(x float32) float32 {
	const c = 0.7978845608028654 // √(2/π)
	return 0.5 * x * (1 + float32(math.Tanh(c*float64(x+0.044715*x*x*x))))
}
