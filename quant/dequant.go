package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Dequantize decodes len(dst) elements of type t from src into dst.
// len(dst) must be a multiple of t's block size and src must hold exactly
// the bytes of that many elements. Supported types: F32, F16, BF16, F64,
// I8, I16, I32, I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K,
// Q5_K, Q6_K, Q8_K, IQ4_NL and IQ4_XS.
func Dequantize(t Type, src []byte, dst []float32) error {
	want, err := t.RowBytes(len(dst))
	if err != nil {
		return fmt.Errorf("quant: dequantize: %v", err)
	}
	if len(src) != want {
		return fmt.Errorf("quant: dequantize %d %v elements: have %d bytes, want %d", len(dst), t, len(src), want)
	}
	switch t { // fast paths for the element-wise types
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
		return nil
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(le.Uint16(src[2*i:]))
		}
		return nil
	case BF16:
		for i := range dst {
			dst[i] = BF16ToF32(le.Uint16(src[2*i:]))
		}
		return nil
	}
	ti := t.info()
	f := ti.Dequantize
	if f == nil {
		return fmt.Errorf("quant: dequantize: type %v is not supported", t)
	}
	bs, bb := ti.BlockSize, ti.BlockBytes
	for i := 0; i < len(dst)/bs; i++ {
		f(src[i*bb:(i+1)*bb], dst[i*bs:(i+1)*bs])
	}
	return nil
}

// CanDequantize reports whether Dequantize supports t.
func CanDequantize(t Type) bool { return t.Info().Dequantize != nil }

// A block dequantizer decodes one block of src into y (one block long);
// the table of types (types.go) takes them from here.
var dequantizers = map[Type]func(src []byte, y []float32){
	F32:    func(b []byte, y []float32) { y[0] = math.Float32frombits(le.Uint32(b)) },
	F16:    func(b []byte, y []float32) { y[0] = F16ToF32(le.Uint16(b)) },
	BF16:   func(b []byte, y []float32) { y[0] = BF16ToF32(le.Uint16(b)) },
	F64:    func(b []byte, y []float32) { y[0] = float32(math.Float64frombits(le.Uint64(b))) },
	I8:     func(b []byte, y []float32) { y[0] = float32(int8(b[0])) },
	I16:    func(b []byte, y []float32) { y[0] = float32(int16(le.Uint16(b))) },
	I32:    func(b []byte, y []float32) { y[0] = float32(int32(le.Uint32(b))) },
	I64:    func(b []byte, y []float32) { y[0] = float32(int64(le.Uint64(b))) },
	Q4_0:   dequantQ4_0,
	Q4_1:   dequantQ4_1,
	Q5_0:   dequantQ5_0,
	Q5_1:   dequantQ5_1,
	Q8_0:   dequantQ8_0,
	Q8_1:   dequantQ8_1,
	Q2_K:   dequantQ2_K,
	Q3_K:   dequantQ3_K,
	Q4_K:   dequantQ4_K,
	Q5_K:   dequantQ5_K,
	Q6_K:   dequantQ6_K,
	Q8_K:   dequantQ8_K,
	IQ4_NL: dequantIQ4_NL,
	IQ4_XS: dequantIQ4_XS,
}

var le = binary.LittleEndian

// Products are wrapped in float32(…) where a sum follows: an explicit
// conversion forbids the compiler from fusing a·b+c into one FMA, so the
// results are bit-identical to ggml's reference code on every platform.

func f16(b []byte) float32 { return F16ToF32(le.Uint16(b)) }

// Q4_0: d (f16), qs[16]; element j is low nibble of qs[j], element j+16
// the high nibble; x = d·(q−8).
func dequantQ4_0(b []byte, y []float32) {
	d := f16(b)
	qs := b[2:18]
	for j := 0; j < 16; j++ {
		y[j] = float32(int(qs[j]&0xf)-8) * d
		y[j+16] = float32(int(qs[j]>>4)-8) * d
	}
}

// Q4_1: d, m (f16), qs[16]; x = d·q + m.
func dequantQ4_1(b []byte, y []float32) {
	d, m := f16(b), f16(b[2:])
	qs := b[4:20]
	for j := 0; j < 16; j++ {
		y[j] = float32(float32(qs[j]&0xf)*d) + m
		y[j+16] = float32(float32(qs[j]>>4)*d) + m
	}
}

// Q5_0: d (f16), qh (uint32: bit j is the fifth bit of element j), qs[16];
// x = d·(q−16).
func dequantQ5_0(b []byte, y []float32) {
	d := f16(b)
	qh := le.Uint32(b[2:])
	qs := b[6:22]
	for j := 0; j < 16; j++ {
		h0 := (qh >> j & 1) << 4
		h1 := (qh >> (j + 16) & 1) << 4
		y[j] = float32(int(uint32(qs[j]&0xf)|h0)-16) * d
		y[j+16] = float32(int(uint32(qs[j]>>4)|h1)-16) * d
	}
}

// Q5_1: d, m (f16), qh (uint32), qs[16]; x = d·q + m.
func dequantQ5_1(b []byte, y []float32) {
	d, m := f16(b), f16(b[2:])
	qh := le.Uint32(b[4:])
	qs := b[8:24]
	for j := 0; j < 16; j++ {
		h0 := (qh >> j & 1) << 4
		h1 := (qh >> (j + 16) & 1) << 4
		y[j] = float32(float32(uint32(qs[j]&0xf)|h0)*d) + m
		y[j+16] = float32(float32(uint32(qs[j]>>4)|h1)*d) + m
	}
}

// Q8_0: d (f16), qs[32] int8; x = d·q.
func dequantQ8_0(b []byte, y []float32) {
	d := f16(b)
	for j, q := range b[2:34] {
		y[j] = float32(int8(q)) * d
	}
}

// Q8_1: d, s (f16; s = d·Σq, unused here), qs[32] int8; x = d·q.
func dequantQ8_1(b []byte, y []float32) {
	d := f16(b)
	for j, q := range b[4:36] {
		y[j] = float32(int8(q)) * d
	}
}

// Q8_K: d (float32), qs[256] int8, bsums[16] int16 (unused here).
func dequantQ8_K(b []byte, y []float32) {
	d := math.Float32frombits(le.Uint32(b))
	for j, q := range b[4 : 4+QKK] {
		y[j] = float32(int8(q)) * d
	}
}

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2-bit
// quants), d, dmin (f16). 16 sub-blocks of 16: x = d·sc·q − dmin·m.
func dequantQ2_K(b []byte, y []float32) {
	scales := b[0:16]
	q := b[16:80]
	d, dmin := f16(b[80:]), f16(b[82:])
	is, k := 0, 0
	for n := 0; n < QKK; n += 128 {
		for shift := uint(0); shift < 8; shift += 2 {
			for half := 0; half < 2; half++ {
				sc := scales[is]
				is++
				dl, ml := d*float32(sc&0xf), dmin*float32(sc>>4)
				for l := 0; l < 16; l++ {
					y[k] = float32(dl*float32(q[l+16*half]>>shift&3)) - ml
					k++
				}
			}
		}
		q = q[32:]
	}
}

// Q3_K: hmask[32] (third bit), qs[64] (low 2 bits), scales[12] (16 6-bit
// scales), d (f16). x = d·(sc−32)·(q−4·(1−hbit)).
func dequantQ3_K(b []byte, y []float32) {
	hm := b[0:32]
	q := b[32:96]
	var scales [16]int8
	unpackQ3Scales(b[96:108], &scales)
	d := f16(b[108:])
	is, k := 0, 0
	m := uint8(1)
	for n := 0; n < QKK; n += 128 {
		for shift := uint(0); shift < 8; shift += 2 {
			for half := 0; half < 2; half++ {
				dl := d * float32(int(scales[is])-32)
				is++
				for l := 0; l < 16; l++ {
					v := int(q[l+16*half] >> shift & 3)
					if hm[l+16*half]&m == 0 {
						v -= 4
					}
					y[k] = dl * float32(v)
					k++
				}
			}
			m <<= 1
		}
		q = q[32:]
	}
}

// unpackQ3Scales expands the 12 packed bytes of Q3_K scales: scale i has
// its low 4 bits in byte i (i < 8, low nibble) or byte i−8 (high nibble),
// and its high 2 bits in byte 8 + i%4 at bit 2·(i/4).
func unpackQ3Scales(p []byte, s *[16]int8) {
	for i := 0; i < 16; i++ {
		var lo byte
		if i < 8 {
			lo = p[i] & 0xf
		} else {
			lo = p[i-8] >> 4
		}
		hi := p[8+i%4] >> (2 * uint(i/4)) & 3
		s[i] = int8(lo | hi<<4)
	}
}

// scaleMinK4 extracts the j-th 6-bit scale and min of Q4_K/Q5_K.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q4_K: d, dmin (f16), scales[12] (8 6-bit scales and mins), qs[128].
// 8 sub-blocks of 32: x = d·sc·q − dmin·m.
func dequantQ4_K(b []byte, y []float32) {
	d, dmin := f16(b), f16(b[2:])
	scales := b[4:16]
	q := b[16:144]
	k := 0
	for is := 0; is < 8; is += 2 {
		sc1, m1 := scaleMinK4(is, scales)
		sc2, m2 := scaleMinK4(is+1, scales)
		d1, mm1 := d*float32(sc1), dmin*float32(m1)
		d2, mm2 := d*float32(sc2), dmin*float32(m2)
		for l := 0; l < 32; l++ {
			y[k+l] = float32(d1*float32(q[l]&0xf)) - mm1
			y[k+32+l] = float32(d2*float32(q[l]>>4)) - mm2
		}
		q = q[32:]
		k += 64
	}
}

// Q5_K: like Q4_K plus qh[32] holding the fifth bits.
func dequantQ5_K(b []byte, y []float32) {
	d, dmin := f16(b), f16(b[2:])
	scales := b[4:16]
	qh := b[16:48]
	ql := b[48:176]
	k := 0
	u1, u2 := uint8(1), uint8(2)
	for is := 0; is < 8; is += 2 {
		sc1, m1 := scaleMinK4(is, scales)
		sc2, m2 := scaleMinK4(is+1, scales)
		d1, mm1 := d*float32(sc1), dmin*float32(m1)
		d2, mm2 := d*float32(sc2), dmin*float32(m2)
		for l := 0; l < 32; l++ {
			v1, v2 := ql[l]&0xf, ql[l]>>4
			if qh[l]&u1 != 0 {
				v1 += 16
			}
			if qh[l]&u2 != 0 {
				v2 += 16
			}
			y[k+l] = float32(d1*float32(v1)) - mm1
			y[k+32+l] = float32(d2*float32(v2)) - mm2
		}
		ql = ql[32:]
		k += 64
		u1 <<= 2
		u2 <<= 2
	}
}

// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] int8,
// d (f16). 16 sub-blocks of 16: x = d·sc·(q−32).
func dequantQ6_K(b []byte, y []float32) {
	ql := b[0:128]
	qh := b[128:192]
	sc := b[192:208]
	d := f16(b[208:])
	for n := 0; n < 2; n++ {
		yy := y[128*n:]
		for l := 0; l < 32; l++ {
			is := l / 16
			q1 := int(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
			q2 := int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
			q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
			yy[l] = d * float32(int8(sc[is])) * float32(q1)
			yy[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			yy[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			yy[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
		ql = ql[64:]
		qh = qh[32:]
		sc = sc[8:]
	}
}

// kvaluesIQ4NL is the non-linear 4-bit codebook of IQ4_NL and IQ4_XS.
var kvaluesIQ4NL = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// IQ4_NL: d (f16), qs[16] nibbles laid out as in Q4_0; x = d·K[q] with K
// the non-linear codebook.
func dequantIQ4_NL(b []byte, y []float32) {
	d := f16(b)
	qs := b[2:18]
	for j := 0; j < 16; j++ {
		y[j] = d * float32(kvaluesIQ4NL[qs[j]&0xf])
		y[j+16] = d * float32(kvaluesIQ4NL[qs[j]>>4])
	}
}

// IQ4_XS: d (f16), scales_h (uint16: high 2 bits of 8 6-bit scales),
// scales_l[4] (low nibbles), qs[128]; 8 sub-blocks of 32 laid out as
// IQ4_NL blocks, x = d·(scale−32)·K[q].
func dequantIQ4_XS(b []byte, y []float32) {
	d := f16(b)
	sh := le.Uint16(b[2:])
	sl := b[4:8]
	qs := b[8:136]
	for ib := 0; ib < 8; ib++ {
		ls := int(sl[ib/2]>>(4*uint(ib%2))&0xf) | int(sh>>(2*uint(ib))&3)<<4
		dl := d * float32(ls-32)
		q := qs[16*ib : 16*ib+16]
		yy := y[32*ib : 32*ib+32]
		for j := 0; j < 16; j++ {
			yy[j] = dl * float32(kvaluesIQ4NL[q[j]&0xf])
			yy[j+16] = dl * float32(kvaluesIQ4NL[q[j]>>4])
		}
	}
}
