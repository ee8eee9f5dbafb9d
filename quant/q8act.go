package quant

import "math"

// The activation formats of the integer path. llama.cpp multiplies a row
// of quantized weights by activations it has itself quantized per block:
// to Q8_0 or Q8_1 (32 elements) for the 32-element weight formats, to Q8_K
// (256 elements) for the K-quants and IQ4_XS. The encoders here round as
// llama.cpp's x86 code does, so that the integer path computes the same
// numbers.

// QuantizeQ8_K encodes src (a multiple of 256 elements) as Q8_K blocks:
// with max the element of largest magnitude (keeping its sign), the scale
// is s = −127/max, q = min(127, round(s·x)) rounded half to even, the stored
// d = 1/s (float32), and bsums[j] = Σ of the 16 quants of group j. An
// all-zero block gets d = 0 and zero quants.
func QuantizeQ8_K(src []float32, dst []byte) error {
	if err := checkQuant(Q8_K, src, dst); err != nil {
		return err
	}
	bb := Q8_K.BlockBytes()
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*bb : (i+1)*bb]
		mx := signedMax(x)
		if mx == 0 {
			clear(b)
			continue
		}
		iscale := -127 / mx
		q := b[4 : 4+QKK]
		for j, v := range x {
			// float32 product, then round half to even (llama.cpp adds
			// 1.5·2²³ in float32, which rounds that way).
			r := math.RoundToEven(float64(float32(iscale * v)))
			q[j] = byte(int8(min(127, r)))
		}
		for g := 0; g < QKK/16; g++ {
			var s int16
			for _, v := range q[16*g : 16*g+16] {
				s += int16(int8(v))
			}
			le.PutUint16(b[4+QKK+2*g:], uint16(s))
		}
		le.PutUint32(b, math.Float32bits(1/iscale))
	}
	return nil
}

// QuantizeQ8_1 encodes src (a multiple of 32 elements) as Q8_1 blocks:
// d = max|x|/127, q = round(x·127/max|x|) rounded half to even, and
// s = d·Σq, both d and s stored as float16. The weight formats with a
// minimum (Q4_1, Q5_1) use s to add m·Σx̃ without touching the quants.
func QuantizeQ8_1(src []float32, dst []byte) error {
	if err := checkQuant(Q8_1, src, dst); err != nil {
		return err
	}
	bb := Q8_1.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		amax := absMax(x)
		d := amax / 127
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		var sum int32
		for j, v := range x {
			q := int32(math.RoundToEven(float64(float32(v * id))))
			b[4+j] = byte(int8(q))
			sum += q
		}
		le.PutUint16(b, F32ToF16(d))
		le.PutUint16(b[2:], F32ToF16(d*float32(sum)))
	}
	return nil
}
