package posenc

import "math"

// sincosf returns sin(y) and cos(y) exactly as glibc's sincosf does on
// x86-64 CPUs with FMA (the variant its libm picks there, and the function
// ggml's CPU rope calls on Linux): not always the correctly rounded
// result (up to 0.56 ulp from it), so the float64 functions rounded to
// float32 differ in the last bit for about 2 % of RoPE angles.
//
// The argument is reduced to r ∈ [−π/4, π/4] and quadrant n in float64
// (one fused multiply-add r = y − n·π/2 below 120, a fixed-point product
// with 192 bits of 2/π above), and both results come from the polynomials
// s(x) = x + x³(S1 + x²S2 + x⁴S3), c(x) = C0 + x²C1 + x⁴(C2 + x²C3 + x⁴C4)
// evaluated with the same fused multiply-adds, rounded once to float32.
func sincosf(y float32) (sin, cos float32) {
	top := math.Float32bits(y) >> 20 & 0x7ff
	x := float64(y)
	switch {
	case top < 0x3f4: // |y| < 0.75 (the top bits of π/4)
		if top < 0x398 { // |y| < 2⁻¹²
			return y, 1
		}
		return sincosPoly(x, x*x, 0, false)
	case top < 0x42f: // |y| < 120
		n := (int32(x*0x1.45f306dc9c883p+23) + 0x800000) >> 24 // 2/π·2²⁴
		r := math.FMA(-float64(n), 0x1.921fb54442d18p0, x)
		return sincosPoly(r*sincosSign[n&3], r*r, int(n), n&2 != 0)
	case top < 0x7f8:
		r, n := reduceLarge(math.Float32bits(y))
		q := n + int(math.Float32bits(y)>>31)
		return sincosPoly(r*sincosSign[q&3], r*r, n, q&2 != 0)
	}
	return y - y, y - y // NaN for ±Inf and NaN
}

var sincosSign = [4]float64{1, -1, -1, 1}

// sincosPoly evaluates both polynomials at x (x2 = r², the reduced
// argument squared); an odd quadrant n swaps sine and cosine, neg negates
// the cosine polynomial.
func sincosPoly(x, x2 float64, n int, neg bool) (sin, cos float32) {
	c0, c1, c2, c3, c4 := 1.0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16
	if neg {
		c0, c1, c2, c3, c4 = -c0, -c1, -c2, -c3, -c4
	}
	const s1, s2, s3 = -0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13
	x3, x4 := x2*x, x2*x2
	sp := math.FMA(x2, s3, s2)
	cp := math.FMA(x2, c4, c3)
	x5, x6 := x3*x2, x4*x2
	cq := math.FMA(x2, c1, c0)
	s := math.FMA(x3, s1, x)
	c := math.FMA(x4, c2, cq)
	sin, cos = float32(math.FMA(sp, x5, s)), float32(math.FMA(cp, x6, c))
	if n&1 != 0 {
		return cos, sin
	}
	return sin, cos
}

// twoOverPi holds the first 192 bits of the fraction of 2/π.
var twoOverPi = [24]byte{0xa2, 0xf9, 0x83, 0x6e, 0x4e, 0x44, 0x15, 0x29, 0xfc, 0x27, 0x57, 0xd1,
	0xf5, 0x34, 0xdd, 0xc0, 0xdb, 0x62, 0x95, 0x99, 0x3c, 0x43, 0x90, 0x41}

// invPio4 returns the 32 bits of 2/π's fraction ending at byte i
// (fewer leading bytes for i < 3).
func invPio4(i int) uint32 {
	var v uint32
	for j := max(0, i-3); j <= i; j++ {
		v = v<<8 | uint32(twoOverPi[j])
	}
	return v
}

// reduceLarge reduces |y| ≥ 120 (xi its bits) exactly in 2.62 fixed
// point: it returns r·(π/2)⁻¹·... scaled back to radians and the quadrant.
func reduceLarge(xi uint32) (float64, int) {
	k := int(xi>>26) & 15
	shift := (xi >> 23) & 7
	m := (xi&0xffffff | 0x800000) << shift
	r0 := uint64(m * invPio4(k))
	r1 := uint64(m) * uint64(invPio4(k+4))
	r2 := uint64(m) * uint64(invPio4(k+8))
	r := (r2>>32 | r0<<32) + r1
	n := (r + 1<<61) >> 62
	r -= n << 62
	return float64(int64(r)) * 0x1.921fb54442d18p-62, int(n)
}
