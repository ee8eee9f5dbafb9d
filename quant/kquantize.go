package quant

import "math"

// The K-quant encoders below are deliberately simple: each sub-block takes
// its scale (and minimum) from its own range, and the sub-block scales are
// then quantized against the super-block scale. They produce valid blocks
// that llama.cpp and Dequantize read, with a somewhat larger error than
// llama-quantize, whose reference code searches for the best scales; they
// are not bit-identical to it.

// nearest rounds to the nearest integer, halves away from zero, and clamps
// to [lo, hi] (NaN becomes lo).
func nearest(x float32, lo, hi int) int {
	r := math.Round(float64(x))
	if !(r >= float64(lo)) {
		return lo
	}
	if r > float64(hi) {
		return hi
	}
	return int(r)
}

// inv returns 1/d, or 0 for d = 0 (ggml's id = d ? 1.0f/d : 0.0f): an
// all-zero block then quantizes to zeros instead of NaN.
func inv(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}

// QuantizeQ6_K encodes src (a multiple of 256 elements) as Q6_K blocks:
// 16 sub-blocks of 16 with an int8 scale each, x ≈ d·sc·(q−32). Like
// QuantizeQ4_K it uses a simple encoder, not llama-quantize's search.
func QuantizeQ6_K(src []float32, dst []byte) error {
	if err := checkQuant(Q6_K, src, dst); err != nil {
		return err
	}
	bb := Q6_K.BlockBytes()
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*bb : (i+1)*bb]
		clear(b)
		var scales [16]float32
		var maxScale float32
		for s := range scales {
			scales[s] = absMax(x[16*s:16*s+16]) / 31
			maxScale = max(maxScale, scales[s])
		}
		d := maxScale / 127
		le.PutUint16(b[208:], F32ToF16(d))
		d = F16ToF32(F32ToF16(d))
		id := inv(d)
		for s := range scales {
			sc := nearest(scales[s]*id, -128, 127)
			b[192+s] = byte(int8(sc))
			ds := d * float32(sc)
			ids := inv(ds)
			for k, v := range x[16*s : 16*s+16] {
				e := 16*s + k
				q := nearest(v*ids, -32, 31) + 32
				h, quarter, l := e/128, (e%128)/32, e%32
				b[64*h+l+32*(quarter%2)] |= byte(q&15) << (4 * uint(quarter/2))
				b[128+32*h+l] |= byte(q>>4) << (2 * uint(quarter))
			}
		}
	}
	return nil
}

// kScalesMins quantizes 8 sub-block (scale, min) pairs to 6 bits against
// super-block d and dmin, packs them in the 12-byte K-quant layout, and
// returns the effective per-sub-block scale and min.
func kScalesMins(scales, mins *[8]float32, b []byte) (d, dmin float32, effScale, effMin [8]float32) {
	var maxScale, maxMin float32
	for s := 0; s < 8; s++ {
		maxScale = max(maxScale, scales[s])
		maxMin = max(maxMin, mins[s])
	}
	d = F16ToF32(F32ToF16(maxScale / 63))
	dmin = F16ToF32(F32ToF16(maxMin / 63))
	le.PutUint16(b, F32ToF16(d))
	le.PutUint16(b[2:], F32ToF16(dmin))
	id, idm := inv(d), inv(dmin)
	p := b[4:16]
	clear(p)
	for s := 0; s < 8; s++ {
		ls := nearest(scales[s]*id, 0, 63)
		lm := nearest(mins[s]*idm, 0, 63)
		// A sub-block whose scale rounds to 0 would lose its values; keep
		// at least 1 when it had any range.
		if ls == 0 && scales[s] > 0 {
			ls = 1
		}
		if s < 4 {
			p[s] |= byte(ls)
			p[s+4] |= byte(lm)
		} else {
			p[s+4] |= byte(ls&15) | byte(lm&15)<<4
			p[s-4] |= byte(ls>>4) << 6
			p[s] |= byte(lm>>4) << 6
		}
		effScale[s] = d * float32(ls)
		effMin[s] = dmin * float32(lm)
	}
	return d, dmin, effScale, effMin
}

// QuantizeQ4_K encodes src (a multiple of 256 elements) as Q4_K blocks:
// 8 sub-blocks of 32, x ≈ d·sc·q − dmin·m with q in 0…15. Each sub-block's
// scale and minimum come from its own range and are rounded to 6 bits
// against the super-block's; the blocks are valid for llama.cpp but not
// bit-identical to llama-quantize, which searches for better scales.
func QuantizeQ4_K(src []float32, dst []byte) error {
	return quantizeQxK(Q4_K, src, dst)
}

// QuantizeQ5_K encodes src (a multiple of 256 elements) as Q5_K blocks:
// 8 sub-blocks of 32, x ≈ d·sc·q − dmin·m with q in 0…31.
func QuantizeQ5_K(src []float32, dst []byte) error {
	return quantizeQxK(Q5_K, src, dst)
}

func quantizeQxK(t Type, src []float32, dst []byte) error {
	if err := checkQuant(t, src, dst); err != nil {
		return err
	}
	levels, bb := 15, t.BlockBytes()
	if t == Q5_K {
		levels = 31
	}
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*bb : (i+1)*bb]
		clear(b)
		var scales, mins [8]float32
		for s := 0; s < 8; s++ {
			lo, hi := minMax(x[32*s : 32*s+32])
			lo = min(lo, 0) // the minimum is stored as a non-negative m: x = … − m
			scales[s] = (hi - lo) / float32(levels)
			mins[s] = -lo
		}
		_, _, sc, mn := kScalesMins(&scales, &mins, b)
		for s := 0; s < 8; s++ {
			ids := inv(sc[s])
			for k, v := range x[32*s : 32*s+32] {
				e := 32*s + k
				q := nearest((v+mn[s])*ids, 0, levels)
				if t == Q4_K {
					b[16+32*(e/64)+e%32] |= byte(q) << (4 * uint((e%64)/32))
				} else {
					b[48+32*(e/64)+e%32] |= byte(q&15) << (4 * uint((e%64)/32))
					b[16+e%32] |= byte(q>>4) << uint(e/32)
				}
			}
		}
	}
	return nil
}

// signedScale returns the scale s of least magnitude, of either sign, with
// which every x/s lies in [lo, hi] (lo < 0 < hi): the asymmetric ranges of
// Q3_K (−4…3) and of the IQ4 codebook (−127…113) fit better one way round.
func signedScale(x []float32, lo, hi float32) float32 {
	n, p := minMax(x)
	n, p = -min(n, 0), max(p, 0) // magnitudes of the extremes
	pos := max(n/-lo, p/hi)
	neg := max(p/-lo, n/hi)
	if pos <= neg {
		return pos
	}
	return -neg
}

// QuantizeQ2_K encodes src (a multiple of 256 elements) as Q2_K blocks:
// 16 sub-blocks of 16, x ≈ d·sc·q − dmin·m with q in 0…3 and 4-bit sc, m.
// Each sub-block's scale and minimum come from its own range (a simple
// encoder, not llama-quantize's search).
func QuantizeQ2_K(src []float32, dst []byte) error {
	if err := checkQuant(Q2_K, src, dst); err != nil {
		return err
	}
	bb := Q2_K.BlockBytes()
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*bb : (i+1)*bb]
		clear(b)
		var scales, mins [16]float32
		var maxScale, maxMin float32
		for g := range scales {
			lo, hi := minMax(x[16*g : 16*g+16])
			lo = min(lo, 0)
			scales[g], mins[g] = (hi-lo)/3, -lo
			maxScale, maxMin = max(maxScale, scales[g]), max(maxMin, mins[g])
		}
		d := F16ToF32(F32ToF16(maxScale / 15))
		dmin := F16ToF32(F32ToF16(maxMin / 15))
		le.PutUint16(b[80:], F32ToF16(d))
		le.PutUint16(b[82:], F32ToF16(dmin))
		for g := range scales {
			var ls, lm int
			if d != 0 {
				ls = nearest(scales[g]/d, 0, 15)
			}
			if dmin != 0 {
				lm = nearest(mins[g]/dmin, 0, 15)
			}
			if ls == 0 && scales[g] > 0 {
				ls = 1
			}
			b[g] = byte(ls) | byte(lm)<<4
			sc, mn := d*float32(ls), dmin*float32(lm)
			ids := inv(sc)
			for k, v := range x[16*g : 16*g+16] {
				e := 16*g + k
				q := nearest((v+mn)*ids, 0, 3)
				b[16+32*(e/128)+e%32] |= byte(q) << (2 * uint((e%128)/32))
			}
		}
	}
	return nil
}

// QuantizeQ3_K encodes src (a multiple of 256 elements) as Q3_K blocks:
// 16 sub-blocks of 16, x ≈ d·(sc−32)·v with v in −4…3 and 6-bit sc. Each
// sub-block's scale is the smallest, of either sign, that keeps its
// elements in range.
func QuantizeQ3_K(src []float32, dst []byte) error {
	if err := checkQuant(Q3_K, src, dst); err != nil {
		return err
	}
	bb := Q3_K.BlockBytes()
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*bb : (i+1)*bb]
		clear(b)
		var scales [16]float32
		for g := range scales {
			scales[g] = signedScale(x[16*g:16*g+16], -4, 3)
		}
		d := F16ToF32(F32ToF16(absMax(scales[:]) / 31))
		le.PutUint16(b[108:], F32ToF16(d))
		hm, qs, p := b[0:32], b[32:96], b[96:108]
		for g := range scales {
			ls := 0
			if d != 0 {
				ls = nearest(scales[g]/d, -32, 31)
			}
			u := byte(ls + 32)
			if g < 8 {
				p[g] |= u & 15
			} else {
				p[g-8] |= (u & 15) << 4
			}
			p[8+g%4] |= (u >> 4) << (2 * uint(g/4))
			sc := d * float32(ls)
			ids := inv(sc)
			for k, v := range x[16*g : 16*g+16] {
				e := 16*g + k
				q := byte(nearest(v*ids, -4, 3) + 4)
				qs[32*(e/128)+e%32] |= (q & 3) << (2 * uint((e%128)/32))
				hm[e%32] |= (q >> 2) << uint(e/32)
			}
		}
	}
	return nil
}

// nearestIQ4 returns the index of the codebook value nearest to v (NaN: 0).
func nearestIQ4(v float32) byte {
	best, bd := byte(0), float32(math.Inf(1))
	for k, c := range kvaluesIQ4NL {
		if d := float32(math.Abs(float64(v - float32(c)))); d < bd {
			best, bd = byte(k), d
		}
	}
	return best
}

// QuantizeIQ4_NL encodes src (a multiple of 32 elements) as IQ4_NL blocks:
// d is the smallest scale, of either sign, that keeps x/d within the
// codebook's −127…113, and every element takes the nearest codebook value (llama-quantize also
// searches the scale; this encoder does not).
func QuantizeIQ4_NL(src []float32, dst []byte) error {
	if err := checkQuant(IQ4_NL, src, dst); err != nil {
		return err
	}
	bb := IQ4_NL.BlockBytes()
	for i := 0; i < len(src)/QK; i++ {
		x := src[i*QK : (i+1)*QK]
		b := dst[i*bb : (i+1)*bb]
		d := F16ToF32(F32ToF16(signedScale(x, -127, 113)))
		le.PutUint16(b, F32ToF16(d))
		id := inv(d)
		for j := 0; j < 16; j++ {
			b[2+j] = nearestIQ4(x[j]*id) | nearestIQ4(x[j+16]*id)<<4
		}
	}
	return nil
}

// QuantizeIQ4_XS encodes src (a multiple of 256 elements) as IQ4_XS
// blocks: 8 sub-blocks of 32 with a 6-bit signed scale each (ls−32) against
// the super-block's d, elements the nearest codebook value.
func QuantizeIQ4_XS(src []float32, dst []byte) error {
	if err := checkQuant(IQ4_XS, src, dst); err != nil {
		return err
	}
	bb := IQ4_XS.BlockBytes()
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*bb : (i+1)*bb]
		clear(b)
		var scales [8]float32
		for ib := range scales {
			scales[ib] = signedScale(x[32*ib:32*ib+32], -127, 113)
		}
		d := F16ToF32(F32ToF16(absMax(scales[:]) / 31))
		le.PutUint16(b, F32ToF16(d))
		var sh uint16
		for ib := range scales {
			ls := 0
			if d != 0 {
				ls = nearest(scales[ib]/d, -32, 31)
			}
			u := ls + 32
			b[4+ib/2] |= byte(u&15) << (4 * uint(ib%2))
			sh |= uint16(u>>4) << (2 * uint(ib))
			sc := d * float32(ls)
			ids := inv(sc)
			xb, q := x[32*ib:32*ib+32], b[8+16*ib:8+16*ib+16]
			for j := 0; j < 16; j++ {
				q[j] = nearestIQ4(xb[j]*ids) | nearestIQ4(xb[j+16]*ids)<<4
			}
		}
		le.PutUint16(b[2:], sh)
	}
	return nil
}
