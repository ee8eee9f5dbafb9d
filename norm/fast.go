package norm

import (
	"math"
	"unsafe"

	"github.com/llmparts/llmparts/kernel"
)

// maxFastInv bounds the row scale the float32 kernels are trusted with:
// beyond it (or below its inverse) the float32 sums of squares and
// products under- or overflow, and the exact path redoes the work.
const maxFastInv = 1e18

// aliases reports whether a and b share their first element.
func aliases(a, b []float32) bool {
	return len(a) > 0 && len(b) > 0 && unsafe.SliceData(a) == unsafe.SliceData(b)
}

func ones(d int) []float32 {
	w := make([]float32, d)
	for i := range w {
		w[i] = 1
	}
	return w
}

// fastOK reports whether the kernels cover this configuration (RMSNorm
// and pRMSNorm with ε inside the square root).
func (n *RMSNorm) fastOK() bool {
	return !n.EpsOutside
}

// fastWeight returns offset + Weight (or ones) as one float32 vector.
func (n *RMSNorm) fastWeight() []float32 {
	if n.Weight == nil {
		return ones(n.Dim)
	}
	if n.WeightOffset == 0 {
		return n.Weight
	}
	w := make([]float32, n.Dim)
	for i, g := range n.Weight {
		w[i] = n.WeightOffset + g
	}
	return w
}

// goodScale reports whether a row scale 1/rms (or 1/σ) is one the float32
// kernels handle accurately: rms within [1e-18, 1e18].
func goodScale(inv float32) bool {
	return inv >= 1/maxFastInv && inv <= maxFastInv
}

// forwardFast is Forward with ArithFast: one kernel call per row, rows the
// kernel cannot handle redone exactly (from a copy when y aliases x).
func (n *RMSNorm) forwardFast(y, x, stats []float32, rows int) {
	d := n.Dim
	w := n.fastWeight()
	eps := float32(n.Eps)
	if !aliases(y, x) {
		// One kernel call for all rows; x is intact for redoing bad rows.
		inv := stats
		if inv == nil {
			inv = make([]float32, rows)
		}
		kernel.PRMSNormRows(y, x, w, d, n.K(), eps, inv)
		for r := 0; r < rows; r++ {
			yr := y[r*d : (r+1)*d]
			if s := inv[r]; !goodScale(s) && !math.IsNaN(float64(s)) {
				exact := *n
				exact.Arith = ArithExact
				exact.forwardExact(y, x, inv, r, r+1)
				continue
			}
			if n.Bias != nil {
				b := n.Bias[:d]
				for i := range yr {
					yr[i] += b[i]
				}
			}
		}
		return
	}
	scratch := make([]float32, d)
	var inv [1]float32
	for r := 0; r < rows; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		src := scratch
		copy(src, xr)
		kernel.PRMSNormRows(yr, src, w, d, n.K(), eps, inv[:])
		if !goodScale(inv[0]) && !math.IsNaN(float64(inv[0])) {
			// Zero row, or squares outside the float32 range.
			exact := *n
			exact.Arith = ArithExact
			exact.forwardExact(yr, src, nil, 0, 1)
			if stats != nil {
				stats[r] = float32(exact.inv(sumSq(src[:n.K()]) / float64(n.K())))
			}
			continue
		}
		if stats != nil {
			stats[r] = inv[0]
		}
		if n.Bias != nil {
			b := n.Bias[:d]
			for i := range yr {
				yr[i] += b[i]
			}
		}
	}
}

// backwardFast is Backward with ArithFast. It reports false, having done
// nothing, when some row's scale is outside what the kernels handle.
func (n *RMSNorm) backwardFast(dx, dWeight, dBias, dy, x, stats []float32, rows int) bool {
	d := n.Dim
	if stats == nil {
		stats = make([]float32, rows)
		for r := range stats {
			stats[r] = float32(n.inv(sumSq(x[r*d:r*d+n.K()]) / float64(n.K())))
		}
	}
	for _, s := range stats {
		if s != 0 && !goodScale(s) && !math.IsNaN(float64(s)) {
			return false
		}
	}
	if dBias != nil {
		addColumnSums(dBias, dy, d)
	}
	kernel.PRMSNormBackwardRows(dx, dWeight, dy, x, n.fastWeight(), stats, d, n.K())
	return true
}

// addColumnSums adds Σ_rows dy[row][j] (summed in float64) to db[j]. It
// must run before dy is overwritten (dx may alias dy).
func addColumnSums(db, dy []float32, d int) {
	acc := make([]float64, d)
	for r := 0; r+d <= len(dy); r += d {
		for j, v := range dy[r : r+d] {
			acc[j] += float64(v)
		}
	}
	for j, v := range acc {
		db[j] += float32(v)
	}
}

// forwardFast is LayerNorm.Forward with ArithFast.
func (n *LayerNorm) forwardFast(y, x, stats []float32, rows int) {
	d := n.Dim
	w := n.Weight
	if w == nil {
		w = ones(d)
	}
	eps := float32(n.Eps)
	var scratch []float32
	if aliases(y, x) {
		scratch = make([]float32, d)
	}
	var mean, inv [1]float32
	for r := 0; r < rows; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		src := xr
		if scratch != nil {
			copy(scratch, xr)
			src = scratch
		}
		kernel.LayerNormRows(yr, src, w, n.Bias, d, eps, mean[:], inv[:])
		if !goodScale(inv[0]) && !math.IsNaN(float64(inv[0])) {
			exact := *n
			exact.Arith = ArithExact
			var st [2]float32
			exact.forwardExact(yr, src, st[:], 0, 1)
			if stats != nil {
				stats[2*r], stats[2*r+1] = st[0], st[1]
			}
			continue
		}
		if stats != nil {
			stats[2*r], stats[2*r+1] = mean[0], inv[0]
		}
	}
}

// backwardFast is LayerNorm.Backward with ArithFast; false means it did
// nothing because some row's statistics are outside the kernels' range.
func (n *LayerNorm) backwardFast(dx, dWeight, dBias, dy, x, stats []float32, rows int) bool {
	d := n.Dim
	mean, inv := make([]float32, rows), make([]float32, rows)
	for r := 0; r < rows; r++ {
		if stats != nil {
			mean[r], inv[r] = stats[2*r], stats[2*r+1]
		} else {
			m, v := meanVar(x[r*d : (r+1)*d])
			mean[r], inv[r] = float32(m), float32(n.inv(v))
		}
		if s := inv[r]; s != 0 && !goodScale(s) && !math.IsNaN(float64(s)) {
			return false
		}
	}
	w := n.Weight
	if w == nil {
		w = ones(d)
	}
	kernel.LayerNormBackwardRows(dx, dWeight, dBias, dy, x, w, mean, inv, d)
	return true
}
