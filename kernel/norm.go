package kernel

import (
	"fmt"
	"math"
	"unsafe"
)

// ntMinBytes is the output size from which the forward norms write with
// non-temporal stores: the output then cannot stay in the 32 MiB L3 anyway,
// and bypassing the caches saves reading every destination line first.
const ntMinBytes = 16 << 20

// useNT reports whether y (rows of d floats) is big enough for
// non-temporal stores and every row starts 32-byte aligned.
func useNT(y []float32, d int) bool {
	return len(y)*4 >= ntMinBytes && d%8 == 0 && uintptr(unsafe.Pointer(unsafe.SliceData(y)))%32 == 0
}

// checkRows checks that the row-major arguments of lengths n0, n1, n2 (pass
// n0 again for an unused one) agree and hold whole rows of d; it returns the
// number of rows.
func checkRows(fn string, d, n0, n1, n2 int) int {
	if d <= 0 {
		panic(fmt.Sprintf("kernel: %s: row length d=%d must be positive", fn, d))
	}
	if n0%d != 0 {
		panic(fmt.Sprintf("kernel: %s: len=%d is not a multiple of d=%d", fn, n0, d))
	}
	if n1 != n0 || n2 != n0 {
		panic(fmt.Sprintf("kernel: %s: row-major arguments have different lengths %d, %d, %d", fn, n0, n1, n2))
	}
	return n0 / d
}

func checkVec(fn, name string, l, want int, optional bool) {
	if optional && l == 0 {
		return
	}
	if l != want {
		panic(fmt.Sprintf("kernel: %s: len(%s)=%d, want %d", fn, name, l, want))
	}
}

// RMSNormRows normalises each row of x (rows = len(x)/d) by its root mean
// square and scales it by w: y = x / sqrt(mean(x²) + eps) ⊙ w. y may be x
// (in place). If invRMS is not nil (length rows) it receives each row's
// 1/sqrt(mean(x²)+eps), which RMSNormBackwardRows needs. mean(x²) is
// accumulated in float32 with 8 to 32 partial sums. Outputs of 16 MiB or
// more are written with non-temporal stores (they bypass the caches).
func RMSNormRows(y, x, w []float32, d int, eps float32, invRMS []float32) {
	PRMSNormRows(y, x, w, d, d, eps, invRMS)
}

// PRMSNormRows is partial RMSNorm (pRMSNorm, Zhang & Sennrich 2019): the
// mean square comes from the first k elements of each row only,
// y = x / sqrt((1/k)·Σ_{i<k} x_i² + eps) ⊙ w, and the whole row is
// scaled; k = d is RMSNormRows. The sum of squares touches k of the d
// values, which is what makes pRMSNorm cheaper.
func PRMSNormRows(y, x, w []float32, d, k int, eps float32, invRMS []float32) {
	rows := checkRows("RMSNormRows", d, len(x), len(y), len(x))
	checkVec("RMSNormRows", "w", len(w), d, false)
	checkVec("RMSNormRows", "invRMS", len(invRMS), rows, true)
	if k < 1 || k > d {
		panic(fmt.Sprintf("kernel: PRMSNormRows: k=%d outside [1, d=%d]", k, d))
	}
	scaleMul := scaleMulImpl
	if useNT(y, d) && scaleMulNTImpl != nil {
		scaleMul = scaleMulNTImpl
	}
	for r := 0; r < rows; r++ {
		xr := x[r*d : r*d+d]
		ss := sumSqImpl(xr[:k])
		inv := float32(1 / math.Sqrt(float64(ss/float32(k)+eps)))
		if invRMS != nil {
			invRMS[r] = inv
		}
		scaleMul(y[r*d:r*d+d], xr, w, inv)
	}
}

// RMSNormBackwardRows is the backward pass of RMSNormRows. Given the
// forward input x, weight w, the saved invRMS (required) and the upstream
// gradient dy, it sets dx (dx may alias dy) and accumulates the weight
// gradient into dw (dw += Σ_rows dy ⊙ x·invRMS; dw may be nil to skip):
//
//	g = dy ⊙ w,  dx = invRMS·g − x·invRMS³·(g·x)/d.
func RMSNormBackwardRows(dx, dw, dy, x, w, invRMS []float32, d int) {
	PRMSNormBackwardRows(dx, dw, dy, x, w, invRMS, d, d)
}

// PRMSNormBackwardRows is the backward pass of PRMSNormRows: only the
// first k inputs feed the scale, so only they get the second term,
//
//	g = dy ⊙ w,  dx_i = invRMS·g_i − [i < k]·x_i·invRMS³·(g·x)/k,
//
// where g·x runs over the whole row (every output is scaled).
func PRMSNormBackwardRows(dx, dw, dy, x, w, invRMS []float32, d, k int) {
	rows := checkRows("RMSNormBackwardRows", d, len(x), len(dx), len(dy))
	checkVec("RMSNormBackwardRows", "w", len(w), d, false)
	checkVec("RMSNormBackwardRows", "dw", len(dw), d, true)
	checkVec("RMSNormBackwardRows", "invRMS", len(invRMS), rows, false)
	if k < 1 || k > d {
		panic(fmt.Sprintf("kernel: PRMSNormBackwardRows: k=%d outside [1, d=%d]", k, d))
	}
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*d:r*d+d], dy[r*d:r*d+d], dx[r*d:r*d+d]
		inv := invRMS[r]
		// gx = Σ dy·w·x, one fused pass.
		gx := dot3Impl(dyr, w, xr)
		c := -inv * inv * inv * gx / float32(k)
		if dw != nil {
			rmsBwdFusedImpl(dxr[:k], dw[:k], dyr[:k], w[:k], xr[:k], inv, c) // both below, one pass
			if k < d {
				rmsBwdFusedImpl(dxr[k:], dw[k:], dyr[k:], w[k:], xr[k:], inv, 0)
			}
			continue
		}
		rmsBwdImpl(dxr[:k], dyr[:k], w[:k], xr[:k], inv, c) // dx = inv·dy⊙w + c·x
		if k < d {
			rmsBwdImpl(dxr[k:], dyr[k:], w[k:], xr[k:], inv, 0)
		}
	}
}

// LayerNormRows normalises each row of x (rows = len(x)/d) to zero mean and
// unit variance and applies the affine map: y = (x−mean)·invStd ⊙ w + b with
// invStd = 1/sqrt(var + eps) (biased variance, as PyTorch). b may be nil (no
// bias). y may be x. mean and invStd, if not nil (length rows), receive the
// per-row statistics that LayerNormBackwardRows needs. The variance is
// computed from the mean-subtracted values (two passes), which stays
// accurate when |mean| ≫ std.
func LayerNormRows(y, x, w, b []float32, d int, eps float32, mean, invStd []float32) {
	rows := checkRows("LayerNormRows", d, len(x), len(y), len(x))
	checkVec("LayerNormRows", "w", len(w), d, false)
	checkVec("LayerNormRows", "b", len(b), d, true)
	checkVec("LayerNormRows", "mean", len(mean), rows, true)
	checkVec("LayerNormRows", "invStd", len(invStd), rows, true)
	normAffine := normAffineImpl
	if useNT(y, d) && normAffineNTImpl != nil {
		normAffine = normAffineNTImpl
	}
	for r := 0; r < rows; r++ {
		xr := x[r*d : r*d+d]
		mu := sumImpl(xr) / float32(d)
		v := sumSqDiffImpl(xr, mu) / float32(d)
		inv := float32(1 / math.Sqrt(float64(v+eps)))
		if mean != nil {
			mean[r] = mu
		}
		if invStd != nil {
			invStd[r] = inv
		}
		normAffine(y[r*d:r*d+d], xr, w, b, mu, inv)
	}
}

// LayerNormBackwardRows is the backward pass of LayerNormRows, given the
// forward input x, weight w, the saved mean and invStd (required) and the
// upstream gradient dy. It sets dx (dx may alias dy) and accumulates
// dw += Σ_rows dy ⊙ x̂ and db += Σ_rows dy (either may be nil), with
// x̂ = (x−mean)·invStd and g = dy ⊙ w:
//
//	dx = invStd·(g − mean(g) − x̂·mean(g ⊙ x̂)).
func LayerNormBackwardRows(dx, dw, db, dy, x, w, mean, invStd []float32, d int) {
	rows := checkRows("LayerNormBackwardRows", d, len(x), len(dx), len(dy))
	checkVec("LayerNormBackwardRows", "w", len(w), d, false)
	checkVec("LayerNormBackwardRows", "dw", len(dw), d, true)
	checkVec("LayerNormBackwardRows", "db", len(db), d, true)
	checkVec("LayerNormBackwardRows", "mean", len(mean), rows, false)
	checkVec("LayerNormBackwardRows", "invStd", len(invStd), rows, false)
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*d:r*d+d], dy[r*d:r*d+d], dx[r*d:r*d+d]
		mu, inv := mean[r], invStd[r]
		sg, sgx := lnBwdSumsImpl(dyr, w, xr, mu) // Σ g, Σ g·(x−mu)
		mg := sg / float32(d)
		mgx := sgx * inv / float32(d) // mean(g·x̂)
		if dw != nil && db != nil {
			lnBwdFusedImpl(dxr, dw, db, dyr, w, xr, mu, inv, mg, mgx) // one pass
			continue
		}
		if dw != nil || db != nil {
			lnBwdParamImpl(dw, db, dyr, xr, mu, inv)
		}
		lnBwdDxImpl(dxr, dyr, w, xr, mu, inv, mg, mgx)
	}
}

// RoPERows applies rotary position embedding in place to x laid out as
// [nTokens][nHeads][headDim]. In each head the first nDims values (nDims
// even, ≤ headDim; the rest pass through) form nDims/2 pairs rotated by the
// angle of their token and frequency: cos and sin are [nTokens][nDims/2]
// tables (posenc computes them in float64). halfSplit selects the pairing:
// true pairs i with i+nDims/2 (GPT-NeoX, Hugging Face Llama), false pairs
// 2i with 2i+1 (GPT-J, Meta's original Llama):
//
//	(a, b) → (a·cos − b·sin, a·sin + b·cos).
func RoPERows(x []float32, nTokens, nHeads, headDim, nDims int, cos, sin []float32, halfSplit bool) {
	ropeCheck("RoPERows", x, nTokens, nHeads, headDim, nDims, cos, sin)
	ropeRows(x, nTokens, nHeads, headDim, nDims, cos, sin, halfSplit, false)
}

// RoPEBackwardRows is the backward pass of RoPERows: it rotates the
// gradient dx in place by the opposite angles (the transpose of a rotation
// is its inverse). Arguments are as for RoPERows.
func RoPEBackwardRows(dx []float32, nTokens, nHeads, headDim, nDims int, cos, sin []float32, halfSplit bool) {
	ropeCheck("RoPEBackwardRows", dx, nTokens, nHeads, headDim, nDims, cos, sin)
	ropeRows(dx, nTokens, nHeads, headDim, nDims, cos, sin, halfSplit, true)
}

func ropeCheck(fn string, x []float32, nTokens, nHeads, headDim, nDims int, cos, sin []float32) {
	if nTokens < 0 || nHeads < 0 || headDim <= 0 || nDims < 0 || nDims > headDim || nDims%2 != 0 {
		panic(fmt.Sprintf("kernel: %s: bad shape nTokens=%d nHeads=%d headDim=%d nDims=%d (nDims must be even and ≤ headDim)", fn, nTokens, nHeads, headDim, nDims))
	}
	if len(x) != nTokens*nHeads*headDim {
		panic(fmt.Sprintf("kernel: %s: len(x)=%d, want nTokens·nHeads·headDim=%d", fn, len(x), nTokens*nHeads*headDim))
	}
	if len(cos) != nTokens*nDims/2 || len(sin) != nTokens*nDims/2 {
		panic(fmt.Sprintf("kernel: %s: len(cos)=%d len(sin)=%d, want nTokens·nDims/2=%d", fn, len(cos), len(sin), nTokens*nDims/2))
	}
}

func ropeRows(x []float32, nTokens, nHeads, headDim, nDims int, cos, sin []float32, halfSplit, inverse bool) {
	h := nDims / 2
	if h == 0 {
		return
	}
	for t := 0; t < nTokens; t++ {
		c, s := cos[t*h:t*h+h], sin[t*h:t*h+h]
		xt := x[t*nHeads*headDim : (t+1)*nHeads*headDim]
		if ropeHeadsImpl != nil && ropeHeadsImpl(xt, c, s, nHeads, headDim, nDims, halfSplit, inverse) {
			continue
		}
		for hd := 0; hd < nHeads; hd++ {
			v := xt[hd*headDim : hd*headDim+nDims]
			if halfSplit {
				ropeHalfImpl(v[:h], v[h:], c, s, inverse)
			} else {
				ropeInterleavedImpl(v, c, s, inverse)
			}
		}
	}
}

// ---- pure-Go implementations ----

// scaleMulGeneric: y = x ⊙ w · s.
func scaleMulGeneric(y, x, w []float32, s float32) {
	x, w = x[:len(y)], w[:len(y)]
	for i := range y {
		y[i] = x[i] * s * w[i]
	}
}

// dot3Generic: Σ a⊙b⊙c.
func dot3Generic(a, b, c []float32) float32 {
	b, c = b[:len(a)], c[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i] * c[i]
		s1 += a[i+1] * b[i+1] * c[i+1]
		s2 += a[i+2] * b[i+2] * c[i+2]
		s3 += a[i+3] * b[i+3] * c[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i] * c[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyMulGeneric: dst += s·a⊙b.
func axpyMulGeneric(dst, a, b []float32, s float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += s * a[i] * b[i]
	}
}

// rmsBwdFusedGeneric: dw += inv·dy⊙x and dx = inv·dy⊙w + k·x (dx may be
// dy: each dy[i] is read before dx[i] is written).
func rmsBwdFusedGeneric(dx, dw, dy, w, x []float32, inv, k float32) {
	dw, dy, w, x = dw[:len(dx)], dy[:len(dx)], w[:len(dx)], x[:len(dx)]
	for i := range dx {
		t := inv * dy[i]
		dw[i] += t * x[i]
		dx[i] = t*w[i] + k*x[i]
	}
}

// rmsBwdGeneric: dx = inv·dy⊙w + k·x.
func rmsBwdGeneric(dx, dy, w, x []float32, inv, k float32) {
	dy, w, x = dy[:len(dx)], w[:len(dx)], x[:len(dx)]
	for i := range dx {
		dx[i] = inv*dy[i]*w[i] + k*x[i]
	}
}

func sumGeneric(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSqDiffGeneric: Σ (x−mu)².
func sumSqDiffGeneric(x []float32, mu float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := x[i]-mu, x[i+1]-mu, x[i+2]-mu, x[i+3]-mu
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		a := x[i] - mu
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}

// normAffineGeneric: y = (x−mu)·inv⊙w + b (b may be nil).
func normAffineGeneric(y, x, w, b []float32, mu, inv float32) {
	x, w = x[:len(y)], w[:len(y)]
	if b == nil {
		for i := range y {
			y[i] = (x[i] - mu) * inv * w[i]
		}
		return
	}
	b = b[:len(y)]
	for i := range y {
		y[i] = (x[i]-mu)*inv*w[i] + b[i]
	}
}

// lnBwdSumsGeneric returns Σ dy⊙w and Σ dy⊙w⊙(x−mu).
func lnBwdSumsGeneric(dy, w, x []float32, mu float32) (float32, float32) {
	w, x = w[:len(dy)], x[:len(dy)]
	var s0, s1, t0, t1 float32
	i := 0
	for ; i+2 <= len(dy); i += 2 {
		g0, g1 := dy[i]*w[i], dy[i+1]*w[i+1]
		s0 += g0
		s1 += g1
		t0 += g0 * (x[i] - mu)
		t1 += g1 * (x[i+1] - mu)
	}
	for ; i < len(dy); i++ {
		g := dy[i] * w[i]
		s0 += g
		t0 += g * (x[i] - mu)
	}
	return s0 + s1, t0 + t1
}

// lnBwdParamGeneric: dw += dy⊙x̂, db += dy (either may be nil).
func lnBwdParamGeneric(dw, db, dy, x []float32, mu, inv float32) {
	x = x[:len(dy)]
	if dw != nil {
		dw = dw[:len(dy)]
		for i := range dy {
			dw[i] += dy[i] * ((x[i] - mu) * inv)
		}
	}
	if db != nil {
		addGeneric(db, db, dy)
	}
}

// lnBwdFusedGeneric: dw += dy⊙x̂, db += dy and dx = inv·(dy⊙w − mg −
// x̂·mgx) in one pass (dx may be dy: dy[i] is read before dx[i] is written).
func lnBwdFusedGeneric(dx, dw, db, dy, w, x []float32, mu, inv, mg, mgx float32) {
	dw, db, dy, w, x = dw[:len(dx)], db[:len(dx)], dy[:len(dx)], w[:len(dx)], x[:len(dx)]
	for i := range dx {
		xh := (x[i] - mu) * inv
		d := dy[i]
		dw[i] += d * xh
		db[i] += d
		dx[i] = inv * (d*w[i] - mg - xh*mgx)
	}
}

// lnBwdDxGeneric: dx = inv·(dy⊙w − mg − x̂·mgx).
func lnBwdDxGeneric(dx, dy, w, x []float32, mu, inv, mg, mgx float32) {
	dy, w, x = dy[:len(dx)], w[:len(dx)], x[:len(dx)]
	for i := range dx {
		xh := (x[i] - mu) * inv
		dx[i] = inv * (dy[i]*w[i] - mg - xh*mgx)
	}
}

func ropeHalfGeneric(a, b, c, s []float32, inverse bool) {
	b, c, s = b[:len(a)], c[:len(a)], s[:len(a)]
	if inverse {
		for i := range a {
			x, y := a[i], b[i]
			a[i] = x*c[i] + y*s[i]
			b[i] = y*c[i] - x*s[i]
		}
		return
	}
	for i := range a {
		x, y := a[i], b[i]
		a[i] = x*c[i] - y*s[i]
		b[i] = x*s[i] + y*c[i]
	}
}

func ropeInterleavedGeneric(v, c, s []float32, inverse bool) {
	c = c[:len(v)/2]
	s = s[:len(v)/2]
	sg := float32(1)
	if inverse {
		sg = -1
	}
	for i := range c {
		x, y := v[2*i], v[2*i+1]
		si := sg * s[i]
		v[2*i] = x*c[i] - y*si
		v[2*i+1] = x*si + y*c[i]
	}
}
