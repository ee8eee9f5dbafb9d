package quant

import (
	"fmt"
	"math"
)

// QuantizeQ8_0 encodes src (a multiple of 32 elements) as Q8_0 blocks into
// dst, which must hold len(src)/32·34 bytes. It follows ggml's reference
// rounding: d = max|x|/127, q = round(x·(1/d)) (halves away from zero), d
// stored as float16.
func QuantizeQ8_0(src []float32, dst []byte) error {
	if err := checkQuant(Q8_0, src, dst); err != nil {
		return err
	}
	bb := Q8_0.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		d := absMax(x) / 127
		id := inv(d)
		le.PutUint16(b, F32ToF16(d))
		for j, v := range x {
			b[2+j] = byte(int8(nearest(v*id, -127, 127)))
		}
	}
	return nil
}

// QuantizeQ4_0 encodes src (a multiple of 32 elements) as Q4_0 blocks into
// dst, which must hold len(src)/32·18 bytes. It follows ggml's reference
// rounding: with max the element of largest magnitude (keeping its sign),
// d = max/−8 and q = min(15, trunc(x·(1/d) + 8.5)), d stored as float16.
func QuantizeQ4_0(src []float32, dst []byte) error {
	if err := checkQuant(Q4_0, src, dst); err != nil {
		return err
	}
	bb := Q4_0.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		mx := signedMax(x)
		d := mx / -8
		id := inv(d)
		le.PutUint16(b, F32ToF16(d))
		for j := 0; j < 16; j++ {
			// float32(…) keeps the product rounded on its own (no FMA).
			q0 := clampQ(float32(x[j]*id)+8.5, 15)
			q1 := clampQ(float32(x[j+16]*id)+8.5, 15)
			b[2+j] = q0 | q1<<4
		}
	}
	return nil
}

// QuantizeQ4_1 encodes src as Q4_1 blocks (ggml reference rounding:
// d = (max−min)/15, m = min, q = min(15, trunc((x−min)·(1/d) + 0.5))).
func QuantizeQ4_1(src []float32, dst []byte) error {
	if err := checkQuant(Q4_1, src, dst); err != nil {
		return err
	}
	bb := Q4_1.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		id := inv(d)
		le.PutUint16(b, F32ToF16(d))
		le.PutUint16(b[2:], F32ToF16(lo))
		for j := 0; j < 16; j++ {
			q0 := clampQ(float32((x[j]-lo)*id)+0.5, 15)
			q1 := clampQ(float32((x[j+16]-lo)*id)+0.5, 15)
			b[4+j] = q0 | q1<<4
		}
	}
	return nil
}

// QuantizeQ5_0 encodes src as Q5_0 blocks (ggml reference rounding: with
// max the element of largest magnitude, d = max/−16 and
// q = min(31, trunc(x·(1/d) + 16.5))).
func QuantizeQ5_0(src []float32, dst []byte) error {
	if err := checkQuant(Q5_0, src, dst); err != nil {
		return err
	}
	bb := Q5_0.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		mx := signedMax(x)
		d := mx / -16
		id := inv(d)
		le.PutUint16(b, F32ToF16(d))
		var qh uint32
		for j := 0; j < 16; j++ {
			q0 := clampQ(float32(x[j]*id)+16.5, 31)
			q1 := clampQ(float32(x[j+16]*id)+16.5, 31)
			b[6+j] = q0&0xf | q1<<4
			qh |= uint32(q0>>4)<<j | uint32(q1>>4)<<(j+16)
		}
		le.PutUint32(b[2:], qh)
	}
	return nil
}

// QuantizeQ5_1 encodes src as Q5_1 blocks (ggml reference rounding:
// d = (max−min)/31, m = min, q = min(31, trunc((x−min)·(1/d) + 0.5))).
func QuantizeQ5_1(src []float32, dst []byte) error {
	if err := checkQuant(Q5_1, src, dst); err != nil {
		return err
	}
	bb := Q5_1.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		id := inv(d)
		le.PutUint16(b, F32ToF16(d))
		le.PutUint16(b[2:], F32ToF16(lo))
		var qh uint32
		for j := 0; j < 16; j++ {
			q0 := clampQ(float32((x[j]-lo)*id)+0.5, 31)
			q1 := clampQ(float32((x[j+16]-lo)*id)+0.5, 31)
			b[8+j] = q0&0xf | q1<<4
			qh |= uint32(q0>>4)<<j | uint32(q1>>4)<<(j+16)
		}
		le.PutUint32(b[4:], qh)
	}
	return nil
}

// absMax returns max|x| (0 for an empty x, NaN if an element is NaN).
func absMax(x []float32) float32 {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	return amax
}

// signedMax returns the element of x of largest magnitude, keeping its
// sign (the first of equal magnitudes; 0 for an all-zero x; NaN elements
// are passed over), as ggml's reference code finds it.
func signedMax(x []float32) float32 {
	var amax, mx float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); amax < a {
			amax, mx = a, v
		}
	}
	return mx
}

// minMax returns the smallest and largest element of x, as ggml's
// reference code computes them (starting from ±FLT_MAX).
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	return lo, hi
}

// clampQ truncates v toward zero, as C's (int8_t) cast does, and clamps
// the result to [0, hi]; NaN gives 0. For finite inputs of the reference
// formulas the value is already in range and this is exactly min(hi, ·).
func clampQ(v float32, hi uint8) uint8 {
	if !(v >= 0) {
		return 0
	}
	if v >= float32(hi) {
		return hi
	}
	return uint8(v)
}

func checkQuant(t Type, src []float32, dst []byte) error {
	n, err := t.RowBytes(len(src))
	if err != nil {
		return fmt.Errorf("quant: quantize: %v", err)
	}
	if len(dst) != n {
		return fmt.Errorf("quant: quantize %d elements to %v: dst has %d bytes, want %d", len(src), t, len(dst), n)
	}
	return nil
}

// Quantize encodes src as type t and returns the bytes. len(src) must be
// a multiple of t's block size. Types with an encoder: F32, F16, BF16,
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (ggml's reference rounding), Q8_1 and Q8_K
// (llama.cpp's activation rounding), Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL
// and IQ4_XS (simple encoders of ours, see kquantize.go).
func Quantize(t Type, src []float32) ([]byte, error) {
	n, err := t.RowBytes(len(src))
	if err != nil {
		return nil, fmt.Errorf("quant: quantize: %v", err)
	}
	f := t.info().Quantize
	if f == nil {
		return nil, fmt.Errorf("quant: quantize: type %v is not supported", t)
	}
	dst := make([]byte, n)
	return dst, f(src, dst)
}

// CanQuantize reports whether Quantize supports t.
func CanQuantize(t Type) bool { return t.Info().Quantize != nil }

// quantizers are the row encoders the table of types takes.
var quantizers = map[Type]func(src []float32, dst []byte) error{
	F32: func(src []float32, dst []byte) error {
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
		return nil
	},
	F16: func(src []float32, dst []byte) error {
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToF16(v))
		}
		return nil
	},
	BF16: func(src []float32, dst []byte) error {
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToBF16(v))
		}
		return nil
	},
	Q8_0: QuantizeQ8_0,
	Q4_0: QuantizeQ4_0,
	Q4_1: QuantizeQ4_1,
	Q5_0: QuantizeQ5_0,
	Q5_1: QuantizeQ5_1,
	Q8_1: QuantizeQ8_1,
	Q8_K: QuantizeQ8_K,
	Q2_K: QuantizeQ2_K,
	Q3_K: QuantizeQ3_K,
	Q4_K: QuantizeQ4_K,
	Q5_K: QuantizeQ5_K,
	Q6_K: QuantizeQ6_K,

	IQ4_NL: QuantizeIQ4_NL,
	IQ4_XS: QuantizeIQ4_XS,
}
