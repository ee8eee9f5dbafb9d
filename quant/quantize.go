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
			b[2+j] = byte(int8(math.Round(float64(v * id))))
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
			q0 := min(15, int8(float32(x[j]*id)+8.5))
			q1 := min(15, int8(float32(x[j+16]*id)+8.5))
			b[2+j] = byte(q0) | byte(q1)<<4
		}
	}
	return nil
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

// Quantize encodes src as type t (F32, F16, BF16, Q8_0 or Q4_0) and returns
// the bytes. len(src) must be a multiple of t's block size.
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
	default:
		return nil, fmt.Errorf("quant: quantize: type %v is not supported", t)
	}
	return dst, err
}
