package kernel

import (
	"fmt"
	"math"
)

// F16ToF32 converts IEEE 754 binary16 values (as raw bits) to float32:
// exact, including subnormals, ±Inf and NaN. It panics if the lengths
// differ.
func F16ToF32(dst []float32, src []uint16) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernel: F16ToF32: len(dst)=%d != len(src)=%d", len(dst), len(src)))
	}
	f16ToF32Impl(dst, src)
}

// F32ToF16 converts float32 values to IEEE 754 binary16 bits, rounding to
// nearest even; values beyond ±65504 become ±Inf, NaN stays NaN (quiet). It
// panics if the lengths differ.
func F32ToF16(dst []uint16, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernel: F32ToF16: len(dst)=%d != len(src)=%d", len(dst), len(src)))
	}
	f32ToF16Impl(dst, src)
}

// BF16ToF32 converts bfloat16 values (the top 16 bits of a float32) to
// float32, exactly. It panics if the lengths differ.
func BF16ToF32(dst []float32, src []uint16) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernel: BF16ToF32: len(dst)=%d != len(src)=%d", len(dst), len(src)))
	}
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(src[i]) << 16)
	}
}

// F32ToBF16 converts float32 values to bfloat16 bits, rounding to nearest
// even; NaN stays NaN (quiet). It panics if the lengths differ.
func F32ToBF16(dst []uint16, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernel: F32ToBF16: len(dst)=%d != len(src)=%d", len(dst), len(src)))
	}
	src = src[:len(dst)]
	for i := range dst {
		b := math.Float32bits(src[i])
		if b&0x7fffffff > 0x7f800000 {
			dst[i] = uint16(b>>16) | 0x40
			continue
		}
		b += 0x7fff + (b>>16)&1
		dst[i] = uint16(b >> 16)
	}
}

// f16ToF32 converts one binary16 value.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	default: // subnormal: man·2⁻²⁴, exact in float32
		v := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
}

// f32ToF16 converts one float32 to binary16, rounding to nearest even.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00 | uint16(man>>13) // quiet NaN, keep payload top
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal (or zero) in half precision.
		if e < -10 {
			return sign
		}
		m := man | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, giving Inf correctly
	}
	return sign | uint16(r)
}

func f16ToF32Generic(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = f16ToF32(src[i])
	}
}

func f32ToF16Generic(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = f32ToF16(src[i])
	}
}

// f16Table maps every binary16 value to float32; the Go quantized kernels
// use it for block scales.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = f16ToF32(uint16(i))
	}
	return &t
}()

// GemvF16 computes y = W·x for a row-major m×n matrix W stored as IEEE
// binary16 bits (len(w) == m·n), converting each weight exactly to float32
// on the fly (F16C on amd64). Rows are split over Threads() goroutines
// above 1 MiB of weights. It panics on a shape mismatch.
func GemvF16(y []float32, w []uint16, x []float32, m, n int) {
	checkHalfGemv("GemvF16", y, w, x, m, n)
	gemvHalf(y, w, x, m, n, dotF16Impl, gemvF16RowsImpl)
}

// GemvBF16 is GemvF16 for bfloat16 weights.
func GemvBF16(y []float32, w []uint16, x []float32, m, n int) {
	checkHalfGemv("GemvBF16", y, w, x, m, n)
	gemvHalf(y, w, x, m, n, dotBF16Impl, gemvBF16RowsImpl)
}

func checkHalfGemv(fn string, y []float32, w []uint16, x []float32, m, n int) {
	if m < 0 || n < 0 || len(w) != m*n || len(x) != n || len(y) != m {
		panic(fmt.Sprintf("kernel: %s: m=%d n=%d needs len(w)=m·n, len(x)=n, len(y)=m; got %d, %d, %d", fn, m, n, len(w), len(x), len(y)))
	}
}

func gemvHalf(y []float32, w []uint16, x []float32, m, n int, dot func(w []uint16, x []float32) float32, rows4 func(y []float32, w []uint16, x []float32, ldw int)) {
	if Threads() <= 1 || 2*m*n < parallelMinBytes {
		gemvHalfRows(y, w, x, n, dot, rows4)
		return
	}
	parallelFor(m, 8, 2*m*n, func(lo, hi int) {
		gemvHalfRows(y[lo:hi], w[lo*n:hi*n], x, n, dot, rows4)
	})
}

// gemvHalfRows runs rows in groups of four through rows4 (when set; it
// takes whole 8-element vectors) and the rest through dot.
func gemvHalfRows(y []float32, w []uint16, x []float32, n int, dot func(w []uint16, x []float32) float32, rows4 func(y []float32, w []uint16, x []float32, ldw int)) {
	m4, n8 := 0, n&^7
	if rows4 != nil && n8 > 0 {
		m4 = len(y) &^ 3
	}
	if m4 > 0 {
		rows4(y[:m4], w, x[:n8], n)
		if n8 < n {
			for r := 0; r < m4; r++ {
				y[r] += dot(w[r*n+n8:r*n+n], x[n8:])
			}
		}
	}
	for r := m4; r < len(y); r++ {
		y[r] = dot(w[r*n:r*n+n], x)
	}
}

func dotF16Generic(w []uint16, x []float32) float32 {
	x = x[:len(w)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(w); i += 4 {
		s0 += f16Table[w[i]] * x[i]
		s1 += f16Table[w[i+1]] * x[i+1]
		s2 += f16Table[w[i+2]] * x[i+2]
		s3 += f16Table[w[i+3]] * x[i+3]
	}
	for ; i < len(w); i++ {
		s0 += f16Table[w[i]] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotBF16Generic(w []uint16, x []float32) float32 {
	x = x[:len(w)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(w); i += 4 {
		s0 += math.Float32frombits(uint32(w[i])<<16) * x[i]
		s1 += math.Float32frombits(uint32(w[i+1])<<16) * x[i+1]
		s2 += math.Float32frombits(uint32(w[i+2])<<16) * x[i+2]
		s3 += math.Float32frombits(uint32(w[i+3])<<16) * x[i+3]
	}
	for ; i < len(w); i++ {
		s0 += math.Float32frombits(uint32(w[i])<<16) * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
