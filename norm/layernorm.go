package norm

import (
	"fmt"
	"math"
)

// LayerNorm normalises rows to zero mean and unit variance:
//
//	y = (x − μ)·inv ⊙ Weight + Bias,  inv = 1/sqrt(σ² + Eps)
//
// with μ the row mean and σ² the biased variance mean((x − μ)²), as
// torch.nn.functional.layer_norm. A row with σ² + Eps = 0 gets inv = 0,
// so y = Bias. The zero value is not usable: Dim must be set.
type LayerNorm struct {
	// Dim is d, the length of each row (> 0).
	Dim int
	// Weight is the gain (length Dim); nil means ones.
	Weight []float32
	// Bias is added after scaling (length Dim); nil means zeros.
	Bias []float32
	// Eps is the stabiliser, finite and ≥ 0 (PyTorch's default is 1e-5).
	Eps float64
	// Arith is ArithExact (the zero value) or ArithFast (the SIMD kernels
	// of package kernel, with float32 accumulation); see RMSNorm.Arith.
	Arith Arith
}

// NewLayerNorm returns a LayerNorm of width dim with weight ones and bias
// zeros, ready to train.
func NewLayerNorm(dim int, eps float64) *LayerNorm {
	w := make([]float32, max(dim, 0))
	for i := range w {
		w[i] = 1
	}
	return &LayerNorm{Dim: dim, Weight: w, Bias: make([]float32, max(dim, 0)), Eps: eps}
}

// Width returns Dim.
func (n *LayerNorm) Width() int { return n.Dim }

// StatsPerRow returns 2: Forward keeps the mean and 1/σ of each row.
func (n *LayerNorm) StatsPerRow() int { return 2 }

// Validate reports whether the parameters are usable.
func (n *LayerNorm) Validate() error {
	if n.Dim <= 0 {
		return fmt.Errorf("norm: LayerNorm: %w: Dim = %d, want > 0", ErrParam, n.Dim)
	}
	if err := checkEps(n.Eps); err != nil {
		return fmt.Errorf("norm: LayerNorm: %w", err)
	}
	if n.Weight != nil && len(n.Weight) != n.Dim {
		return fmt.Errorf("norm: LayerNorm: %w: len(Weight) = %d, want Dim = %d", ErrShape, len(n.Weight), n.Dim)
	}
	if n.Bias != nil && len(n.Bias) != n.Dim {
		return fmt.Errorf("norm: LayerNorm: %w: len(Bias) = %d, want Dim = %d", ErrShape, len(n.Bias), n.Dim)
	}
	if n.Arith != ArithExact && n.Arith != ArithFast {
		return fmt.Errorf("norm: LayerNorm: %w: Arith %d (want ArithExact or ArithFast)", ErrParam, n.Arith)
	}
	if n.Arith == ArithFast && n.Eps > math.MaxFloat32 {
		return fmt.Errorf("norm: LayerNorm: %w: eps = %v overflows float32", ErrParam, n.Eps)
	}
	return nil
}

func (n *LayerNorm) inv(variance float64) float64 {
	den := math.Sqrt(variance + n.Eps)
	if den == 0 {
		return 0
	}
	return 1 / den
}

// meanVar returns the mean and biased variance of x in float64 (two passes).
func meanVar(x []float32) (mean, variance float64) {
	mean = sum(x) / float64(len(x))
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		a, b := float64(x[i])-mean, float64(x[i+1])-mean
		s0 += a * a
		s1 += b * b
	}
	for ; i < len(x); i++ {
		a := float64(x[i]) - mean
		s0 += a * a
	}
	return mean, (s0 + s1) / float64(len(x))
}

// Forward normalises each row of x into y. len(x) must be a multiple of
// Dim and len(y) == len(x); y may be the same slice as x. If stats is not
// nil it must have two values per row and receives (mean, 1/σ).
func (n *LayerNorm) Forward(y, x, stats []float32) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkRows(n.Dim, x, []string{"y"}, y)
	if err != nil {
		return fmt.Errorf("norm: LayerNorm.Forward: %w", err)
	}
	if err := checkStats(stats, rows, 2); err != nil {
		return fmt.Errorf("norm: LayerNorm.Forward: %w", err)
	}
	if n.Arith == ArithFast {
		n.forwardFast(y, x, stats, rows)
		return nil
	}
	n.forwardExact(y, x, stats, 0, rows)
	return nil
}

// forwardExact is the ArithExact forward pass over rows [r0, r1).
func (n *LayerNorm) forwardExact(y, x, stats []float32, r0, r1 int) {
	d := n.Dim
	for r := r0; r < r1; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		mean, variance := meanVar(xr)
		inv := n.inv(variance)
		if stats != nil {
			stats[2*r], stats[2*r+1] = float32(mean), float32(inv)
		}
		if n.Weight == nil && n.Bias == nil {
			for i, v := range xr {
				yr[i] = float32((float64(v) - mean) * inv)
			}
			continue
		}
		w, b := n.Weight, n.Bias
		for i, v := range xr {
			t := (float64(v) - mean) * inv
			if w != nil {
				t *= float64(w[i])
			}
			if b != nil {
				t += float64(b[i])
			}
			yr[i] = float32(t) // one rounding, even when the bias cancels
		}
	}
}

// Backward computes gradients for a batch of rows. With x̂ = (x − μ)·r,
// r = 1/σ, u = dy ⊙ Weight:
//
//	dx_j = r · (u_j − mean(u) − x̂_j · mean(u ⊙ x̂))
//	dg_j += Σ_rows dy_j · x̂_j,   db_j += Σ_rows dy_j
//
// dx is overwritten; dWeight and dBias are ADDED to (nil skips them).
// Backward takes 1/σ from stats and recomputes the mean from x in float64
// (a float32 mean loses digits on rows with a large offset); nil stats
// recomputes both. dx may be the same slice as dy.
func (n *LayerNorm) Backward(dx, dWeight, dBias, dy, x, stats []float32) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkBackward(n.Dim, 2, dx, dWeight, dBias, dy, x, stats)
	if err != nil {
		return fmt.Errorf("norm: LayerNorm.Backward: %w", err)
	}
	if n.Arith == ArithFast && n.backwardFast(dx, dWeight, dBias, dy, x, stats, rows) {
		return nil
	}
	d := n.Dim
	fd := float64(d)
	// Parameter gradients are summed over the rows in float64 and added
	// to dWeight/dBias once, so long batches do not lose precision.
	var accW, accB []float64
	if dWeight != nil {
		accW = make([]float64, d)
	}
	if dBias != nil {
		accB = make([]float64, d)
	}
	for row := 0; row < rows; row++ {
		xr, dyr, dxr := x[row*d:(row+1)*d], dy[row*d:(row+1)*d], dx[row*d:(row+1)*d]
		var mean, r float64
		if stats != nil && !math.IsInf(float64(stats[2*row+1]), 0) {
			mean, r = sum(xr)/fd, float64(stats[2*row+1])
		} else { // no stats, or 1/σ overflowed float32
			var variance float64
			mean, variance = meanVar(xr)
			r = n.inv(variance)
		}
		// mu = mean(u), mux = mean(u ⊙ x̂).
		var su, sux float64
		for i, v := range xr {
			u := float64(dyr[i])
			if n.Weight != nil {
				u *= float64(n.Weight[i])
			}
			su += u
			sux += u * (float64(v) - mean) * r
		}
		mu, mux := su/fd, sux/fd
		if accW != nil {
			for i, v := range xr {
				accW[i] += float64(dyr[i]) * (float64(v) - mean) * r
			}
		}
		if accB != nil {
			for i, v := range dyr {
				accB[i] += float64(v)
			}
		}
		for i, v := range xr {
			u := float64(dyr[i])
			if n.Weight != nil {
				u *= float64(n.Weight[i])
			}
			dxr[i] = float32(r * (u - mu - (float64(v)-mean)*r*mux))
		}
	}
	for i, v := range accW {
		dWeight[i] += float32(v)
	}
	for i, v := range accB {
		dBias[i] += float32(v)
	}
	return nil
}

// Forward64 is the float64 reference of Forward, written as plainly as the
// formula; stats (nil or two per row) receives (mean, 1/σ).
func (n *LayerNorm) Forward64(y, x, stats []float64) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkRows(n.Dim, x, []string{"y"}, y)
	if err != nil {
		return fmt.Errorf("norm: LayerNorm.Forward64: %w", err)
	}
	if err := checkStats(stats, rows, 2); err != nil {
		return fmt.Errorf("norm: LayerNorm.Forward64: %w", err)
	}
	d := n.Dim
	w, b := to64(n.Weight), to64(n.Bias)
	for r := 0; r < rows; r++ {
		xr := x[r*d : (r+1)*d]
		mean := 0.0
		for _, v := range xr {
			mean += v
		}
		mean /= float64(d)
		variance := 0.0
		for _, v := range xr {
			variance += (v - mean) * (v - mean)
		}
		variance /= float64(d)
		inv := n.inv(variance)
		if stats != nil {
			stats[2*r], stats[2*r+1] = mean, inv
		}
		for i, v := range xr {
			o := (v - mean) * inv
			if w != nil {
				o *= w[i]
			}
			if b != nil {
				o += b[i]
			}
			y[r*d+i] = o
		}
	}
	return nil
}

// Backward64 is the float64 reference of Backward (same contract; stats
// are ignored and recomputed).
func (n *LayerNorm) Backward64(dx, dWeight, dBias, dy, x, stats []float64) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkBackward(n.Dim, 2, dx, dWeight, dBias, dy, x, stats)
	if err != nil {
		return fmt.Errorf("norm: LayerNorm.Backward64: %w", err)
	}
	d := n.Dim
	w := to64(n.Weight)
	st := make([]float64, 2*rows)
	y := make([]float64, len(x))
	plain := LayerNorm{Dim: n.Dim, Eps: n.Eps} // y = x̂ (no gain, no bias)
	if err := plain.Forward64(y, x, st); err != nil {
		return err
	}
	for row := 0; row < rows; row++ {
		xh, dyr, dxr := y[row*d:(row+1)*d], dy[row*d:(row+1)*d], dx[row*d:(row+1)*d]
		r := st[2*row+1]
		u := make([]float64, d)
		mu, mux := 0.0, 0.0
		for i := range u {
			u[i] = dyr[i]
			if w != nil {
				u[i] *= w[i]
			}
			mu += u[i]
			mux += u[i] * xh[i]
		}
		mu /= float64(d)
		mux /= float64(d)
		for j := 0; j < d; j++ {
			if dWeight != nil {
				dWeight[j] += dyr[j] * xh[j]
			}
			if dBias != nil {
				dBias[j] += dyr[j]
			}
			dxr[j] = r * (u[j] - mu - xh[j]*mux)
		}
	}
	return nil
}
