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

// QuantizeQ6_K encodes src (a multiple of 256 elements) as Q6_K blocks:
// 16 sub-blocks of 16 with an int8 scale each, x ≈ d·sc·(q−32). Like
// QuantizeQ4_K it uses a simple encoder, not llama-quantize's search.
func QuantizeQ6_K(src []float32, dst []byte) error {
	if err := checkQuant(Q6_K, src, dst); err != nil {
		return err
	}
	for i := 0; i < len(src)/QKK; i++ {
		x := src[i*QKK : (i+1)*QKK]
		b := dst[i*210 : (i+1)*210]
		clear(b)
		var scales [16]float32
		var maxScale float32
		for s := range scales {
			var amax float32
			for _, v := range x[16*s : 16*s+16] {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			scales[s] = amax / 31
			maxScale = max(maxScale, scales[s])
		}
		d := maxScale / 127
		le.PutUint16(b[208:], F32ToF16(d))
		d = F16ToF32(F32ToF16(d))
		var id float32
		if d != 0 {
			id = 1 / d
		}
		for s := range scales {
			sc := nearest(scales[s]*id, -128, 127)
			b[192+s] = byte(int8(sc))
			ds := d * float32(sc)
			var ids float32
			if ds != 0 {
				ids = 1 / ds
			}
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
	var id, idm float32
	if d != 0 {
		id = 1 / d
	}
	if dmin != 0 {
		idm = 1 / dmin
	}
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
	levels, bb := 15, 144
	if t == Q5_K {
		levels, bb = 31, 176
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
			var ids float32
			if sc[s] != 0 {
				ids = 1 / sc[s]
			}
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
