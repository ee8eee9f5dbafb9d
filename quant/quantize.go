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
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*34 : (i+1)*34]
		var amax float32
		for _, v := range x {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
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
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*18 : (i+1)*18]
		var amax, mx float32
		for _, v := range x {
			if a := float32(math.Abs(float64(v))); amax < a {
				amax, mx = a, v
			}
		}
		d := mx / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
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
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*20 : (i+1)*20]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		var id float32
		if d != 0 {
			id = 1 / d
		}
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
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*22 : (i+1)*22]
		var amax, mx float32
		for _, v := range x {
			if a := float32(math.Abs(float64(v))); amax < a {
				amax, mx = a, v
			}
		}
		d := mx / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
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
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*24 : (i+1)*24]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
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

// Quantize encodes src as type t (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1, Q4_K, Q5_K or Q6_K) and returns the bytes. len(src) must be a
// multiple of t's block size. The K-quants use a simple encoder (see
// QuantizeQ4_K), the others ggml's reference rounding.
func Quantize(t Type, src []float32) ([]byte, error) {
	n, err := t.RowBytes(len(src))
	if err != nil {
		return nil, fmt.Errorf("quant: quantize: %v", err)
	}
	dst := make([]byte, n)
	switch t {
	case F32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToF16(v))
		}
	case BF16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToBF16(v))
		}
	case Q8_0:
		err = QuantizeQ8_0(src, dst)
	case Q4_0:
		err = QuantizeQ4_0(src, dst)
	case Q4_1:
		err = QuantizeQ4_1(src, dst)
	case Q5_0:
		err = QuantizeQ5_0(src, dst)
	case Q5_1:
		err = QuantizeQ5_1(src, dst)
	case Q4_K:
		err = QuantizeQ4_K(src, dst)
	case Q5_K:
		err = QuantizeQ5_K(src, dst)
	case Q6_K:
		err = QuantizeQ6_K(src, dst)
	default:
		return nil, fmt.Errorf("quant: quantize: type %v is not supported", t)
	}
	return dst, err
}
