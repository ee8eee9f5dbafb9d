package norm

import (
	"fmt"
	"math"
)

// RMSNorm normalises rows by their root mean square:
//
//	y = x · inv ⊙ (WeightOffset + Weight) + Bias
//	inv = 1/sqrt(ms + Eps)   (default; Llama, T5, ggml, PyTorch)
//	inv = 1/(sqrt(ms) + Eps) (EpsOutside; the RMSNorm paper's code)
//	ms  = (1/k) Σ_{i<k} x_i², k = max(1, floor(Dim·P))
//
// A row with ms + Eps = 0 (or sqrt(ms) + Eps = 0) gets inv = 0, so y = Bias.
// The zero value is not usable: Dim must be set. See NewRMSNorm.
type RMSNorm struct {
	// Dim is d, the length of each row (> 0).
	Dim int
	// Weight is the gain g (length Dim). Nil means no gain: the scale
	// is 1 whatever WeightOffset is.
	Weight []float32
	// Bias is added after scaling (length Dim); nil means no bias.
	Bias []float32
	// Eps is the stabiliser, finite and ≥ 0 (Llama uses 1e-5 or 1e-6).
	Eps float64
	// EpsOutside adds Eps to the RMS rather than to the mean square.
	EpsOutside bool
	// WeightOffset is added to every weight: 0 for Llama, 1 for Gemma,
	// whose checkpoints store g − 1. It is ignored when Weight is nil.
	WeightOffset float32
	// P selects pRMSNorm: the RMS is estimated from the first
	// k = max(1, floor(Dim·P)) elements and applied to the whole row.
	// 0 means 1 (plain RMSNorm); otherwise P must be in (0, 1].
	P float64
	// Arith selects the rounding of Forward: ArithExact (the zero value)
	// or the bit-exact float32 arithmetic of ggml or llama2.c.
	Arith Arith
}

// Arith selects how RMSNorm.Forward rounds. It affects Forward only:
// Backward, Forward64 and Backward64 always use the exact formulas.
type Arith int

const (
	// ArithExact sums squares in float64 and forms each output as
	// float32(float64(x)·inv·w): one rounding per output.
	ArithExact Arith = iota
	// ArithGGML reproduces llama.cpp's CPU rms_norm followed by the weight
	// multiply bit for bit: float32 squares summed in float64 in order,
	// mean = float32(sum/k), scale = 1/sqrtf(mean + float32(eps)), then
	// y = (x·scale)·w in float32.
	ArithGGML
	// ArithLlama2C reproduces llama2.c's rmsnorm bit for bit: float32
	// squares summed in float32 in order, ss = ss/k + float32(eps),
	// scale = 1/sqrtf(ss), y = w·(scale·x) in float32.
	ArithLlama2C
	// ArithFast uses the SIMD row kernels of package kernel (float32
	// accumulation with several partial sums), forward and backward,
	// typically 10–20× faster than ArithExact and within about 1e-6
	// relative of it (tests allow 1e-5). Configurations the kernels do not
	// cover (EpsOutside, pRMSNorm) and rows they cannot handle (zero rows,
	// squares outside the float32 range) use the exact path.
	ArithFast
)

// NewRMSNorm returns an RMSNorm of width dim with eps inside the root and
// a gain vector of ones, ready to train.
func NewRMSNorm(dim int, eps float64) *RMSNorm {
	w := make([]float32, max(dim, 0))
	for i := range w {
		w[i] = 1
	}
	return &RMSNorm{Dim: dim, Weight: w, Eps: eps}
}

// Width returns Dim.
func (n *RMSNorm) Width() int { return n.Dim }

// StatsPerRow returns 1: Forward keeps 1/rms for each row.
func (n *RMSNorm) StatsPerRow() int { return 1 }

// K returns the number of leading elements of a row that feed the RMS:
// max(1, floor(Dim·P)), or Dim when P is 0 or 1.
func (n *RMSNorm) K() int {
	if n.P == 0 || n.P == 1 {
		return n.Dim
	}
	return max(1, int(math.Floor(float64(n.Dim)*n.P)))
}

// Validate reports whether the parameters are usable.
func (n *RMSNorm) Validate() error {
	if n.Dim <= 0 {
		return fmt.Errorf("norm: RMSNorm: %w: Dim = %d, want > 0", ErrParam, n.Dim)
	}
	if err := checkEps(n.Eps); err != nil {
		return fmt.Errorf("norm: RMSNorm: %w", err)
	}
	if math.IsNaN(n.P) || n.P < 0 || n.P > 1 {
		return fmt.Errorf("norm: RMSNorm: %w: P = %v, want p in (0, 1] (or 0 for 1)", ErrParam, n.P)
	}
	wo := float64(n.WeightOffset)
	if math.IsNaN(wo) || math.IsInf(wo, 0) {
		return fmt.Errorf("norm: RMSNorm: %w: WeightOffset = %v, want a finite value", ErrParam, wo)
	}
	if n.Weight != nil && len(n.Weight) != n.Dim {
		return fmt.Errorf("norm: RMSNorm: %w: len(Weight) = %d, want Dim = %d", ErrShape, len(n.Weight), n.Dim)
	}
	if n.Bias != nil && len(n.Bias) != n.Dim {
		return fmt.Errorf("norm: RMSNorm: %w: len(Bias) = %d, want Dim = %d", ErrShape, len(n.Bias), n.Dim)
	}
	switch n.Arith {
	case ArithExact, ArithFast:
	case ArithGGML, ArithLlama2C:
		if n.EpsOutside {
			return fmt.Errorf("norm: RMSNorm: %w: Arith %d computes eps inside the root; EpsOutside is not supported", ErrParam, n.Arith)
		}
		if n.Eps > math.MaxFloat32 {
			return fmt.Errorf("norm: RMSNorm: %w: eps = %v overflows float32", ErrParam, n.Eps)
		}
	default:
		return fmt.Errorf("norm: RMSNorm: %w: unknown Arith %d", ErrParam, n.Arith)
	}
	return nil
}

// scale32 returns the float32 row scale of the ggml or llama2.c
// arithmetic for the first k elements xk. A zero denominator gives 0 (so
// a zero row maps to zeros, where the C code would give NaN).
func (n *RMSNorm) scale32(xk []float32) float32 {
	eps := float32(n.Eps)
	var den float32
	if n.Arith == ArithGGML {
		var sum float64
		for _, v := range xk {
			sum += float64(v * v) // float32 square, float64 sum
		}
		mean := float32(sum / float64(len(xk)))
		den = float32(math.Sqrt(float64(mean + eps)))
	} else {
		var ss float32
		for _, v := range xk {
			ss += float32(v * v) // the conversion forbids fusing into an FMA
		}
		ss /= float32(len(xk))
		ss += eps
		den = float32(math.Sqrt(float64(ss)))
	}
	if den == 0 {
		return 0
	}
	return 1 / den
}

// forward32 is Forward for ArithGGML and ArithLlama2C.
func (n *RMSNorm) forward32(y, x, stats []float32, rows int) {
	d, k := n.Dim, n.K()
	for r := 0; r < rows; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		s := n.scale32(xr[:k])
		if stats != nil {
			stats[r] = s
		}
		if n.Weight == nil {
			for i, v := range xr {
				yr[i] = v * s
			}
		} else {
			w, off := n.Weight[:d], n.WeightOffset
			for i, v := range xr {
				t := v * s
				yr[i] = t * (off + w[i])
			}
		}
		if n.Bias != nil {
			b := n.Bias[:d]
			for i := range yr {
				yr[i] += b[i]
			}
		}
	}
}

// inv returns the row scale 1/rms for mean square ms (0 when the
// denominator is 0; NaN when ms is NaN; 0 when ms is +Inf).
func (n *RMSNorm) inv(ms float64) float64 {
	var den float64
	if n.EpsOutside {
		den = math.Sqrt(ms) + n.Eps
	} else {
		den = math.Sqrt(ms + n.Eps)
	}
	if den == 0 {
		return 0
	}
	return 1 / den
}

// Forward normalises each row of x into y. len(x) must be a multiple of
// Dim and len(y) == len(x); y may be the same slice as x. If stats is not
// nil it must have one value per row and receives 1/rms (0 for a zero row).
// Each output is computed in float64 and rounded once:
// float32(float64(x)·inv·(offset + w) + bias).
func (n *RMSNorm) Forward(y, x, stats []float32) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkRows(n.Dim, x, []string{"y"}, y)
	if err != nil {
		return fmt.Errorf("norm: RMSNorm.Forward: %w", err)
	}
	if err := checkStats(stats, rows, 1); err != nil {
		return fmt.Errorf("norm: RMSNorm.Forward: %w", err)
	}
	switch {
	case n.Arith == ArithGGML || n.Arith == ArithLlama2C:
		n.forward32(y, x, stats, rows)
		return nil
	case n.Arith == ArithFast && n.fastOK():
		n.forwardFast(y, x, stats, rows)
		return nil
	}
	n.forwardExact(y, x, stats, 0, rows)
	return nil
}

// forwardExact is the ArithExact forward pass over rows [r0, r1).
func (n *RMSNorm) forwardExact(y, x, stats []float32, r0, r1 int) {
	d, k := n.Dim, n.K()
	for r := r0; r < r1; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		inv := n.inv(sumSq(xr[:k]) / float64(k))
		if stats != nil {
			stats[r] = float32(inv)
		}
		if n.Weight == nil && n.Bias == nil {
			for i, v := range xr {
				yr[i] = float32(float64(v) * inv)
			}
			continue
		}
		w, b, off := n.Weight, n.Bias, float64(n.WeightOffset)
		for i, v := range xr {
			t := float64(v) * inv
			if w != nil {
				t *= off + float64(w[i])
			}
			if b != nil {
				t += float64(b[i])
			}
			yr[i] = float32(t) // one rounding, even when the bias cancels
		}
	}
}

// Backward computes gradients for a batch of rows. With w = offset + g,
// u = dy ⊙ w and r = 1/rms:
//
//	dx_j = r·u_j − [j < k] · c · x_j
//	c    = r³ · Σ_i u_i x_i / k               (eps inside)
//	c    = r² · Σ_i u_i x_i / (k · rms)       (eps outside; 0 if rms = 0)
//	dg_j += Σ_rows dy_j · x_j · r,   db_j += Σ_rows dy_j
//
// dx is overwritten; dWeight and dBias are ADDED to (nil skips them). stats
// are the per-row 1/rms values from Forward; nil recomputes them. dx may be
// the same slice as dy.
func (n *RMSNorm) Backward(dx, dWeight, dBias, dy, x, stats []float32) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkBackward(n.Dim, 1, dx, dWeight, dBias, dy, x, stats)
	if err != nil {
		return fmt.Errorf("norm: RMSNorm.Backward: %w", err)
	}
	if n.Arith == ArithFast && n.fastOK() && n.backwardFast(dx, dWeight, dBias, dy, x, stats, rows) {
		return nil
	}
	d, k := n.Dim, n.K()
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
		var r, ms float64
		if stats != nil && !n.EpsOutside && !math.IsInf(float64(stats[row]), 0) {
			r = float64(stats[row]) // Inf: 1/rms overflowed float32; recompute
		} else {
			ms = sumSq(xr[:k]) / float64(k)
			r = n.inv(ms)
		}
		// su = Σ_i u_i x_i = dL/dr (over the whole row: every y_i uses r).
		var su float64
		if n.Weight == nil {
			su = dot(dyr, xr)
		} else {
			w, off := n.Weight[:d], float64(n.WeightOffset)
			for i := 0; i < d; i++ {
				su += float64(dyr[i]) * (off + float64(w[i])) * float64(xr[i])
			}
		}
		var c float64
		if n.EpsOutside {
			if rms := math.Sqrt(ms); rms > 0 {
				c = r * r * su / (float64(k) * rms)
			}
		} else {
			c = r * r * r * su / float64(k)
		}
		if accW != nil {
			for i, v := range xr {
				accW[i] += float64(dyr[i]) * float64(v) * r
			}
		}
		if accB != nil {
			for i, v := range dyr {
				accB[i] += float64(v)
			}
		}
		if n.Weight == nil {
			for i := 0; i < d; i++ {
				g := r * float64(dyr[i])
				if i < k {
					g -= c * float64(xr[i])
				}
				dxr[i] = float32(g)
			}
		} else {
			w, off := n.Weight[:d], float64(n.WeightOffset)
			for i := 0; i < d; i++ {
				g := r * float64(dyr[i]) * (off + float64(w[i]))
				if i < k {
					g -= c * float64(xr[i])
				}
				dxr[i] = float32(g)
			}
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

// weight64 returns the effective float64 gain offset+g, or nil for none.
func (n *RMSNorm) weight64() []float64 {
	if n.Weight == nil {
		return nil
	}
	w := to64(n.Weight)
	for i := range w {
		w[i] += float64(n.WeightOffset)
	}
	return w
}

// Forward64 is the float64 reference of Forward, written as plainly as
// the formula; stats (nil or one per row) receives 1/rms.
func (n *RMSNorm) Forward64(y, x, stats []float64) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkRows(n.Dim, x, []string{"y"}, y)
	if err != nil {
		return fmt.Errorf("norm: RMSNorm.Forward64: %w", err)
	}
	if err := checkStats(stats, rows, 1); err != nil {
		return fmt.Errorf("norm: RMSNorm.Forward64: %w", err)
	}
	d, k := n.Dim, n.K()
	w, b := n.weight64(), to64(n.Bias)
	for r := 0; r < rows; r++ {
		ms := 0.0
		for i := 0; i < k; i++ {
			ms += x[r*d+i] * x[r*d+i]
		}
		inv := n.inv(ms / float64(k))
		if stats != nil {
			stats[r] = inv
		}
		for i := 0; i < d; i++ {
			v := x[r*d+i] * inv
			if w != nil {
				v *= w[i]
			}
			if b != nil {
				v += b[i]
			}
			y[r*d+i] = v
		}
	}
	return nil
}

// Backward64 is the float64 reference of Backward (same contract: dx is
// overwritten, dWeight and dBias accumulate, stats are ignored and
// recomputed).
func (n *RMSNorm) Backward64(dx, dWeight, dBias, dy, x, stats []float64) error {
	if err := n.Validate(); err != nil {
		return err
	}
	rows, err := checkBackward(n.Dim, 1, dx, dWeight, dBias, dy, x, stats)
	if err != nil {
		return fmt.Errorf("norm: RMSNorm.Backward64: %w", err)
	}
	d, k := n.Dim, n.K()
	w := n.weight64()
	for row := 0; row < rows; row++ {
		xr, dyr, dxr := x[row*d:(row+1)*d], dy[row*d:(row+1)*d], dx[row*d:(row+1)*d]
		ms := 0.0
		for i := 0; i < k; i++ {
			ms += xr[i] * xr[i]
		}
		ms /= float64(k)
		rms := math.Sqrt(ms)
		r := n.inv(ms)
		u := make([]float64, d)
		for i := range u {
			u[i] = dyr[i]
			if w != nil {
				u[i] *= w[i]
			}
		}
		su := 0.0 // dL/dr
		for i := 0; i < d; i++ {
			su += u[i] * xr[i]
		}
		// d r / d x_j for j < k is −c_j·x_j with this c.
		c := 0.0
		if n.EpsOutside {
			if rms > 0 {
				c = r * r / (float64(k) * rms)
			}
		} else {
			c = r * r * r / float64(k)
		}
		for j := 0; j < d; j++ {
			if dWeight != nil {
				dWeight[j] += dyr[j] * xr[j] * r
			}
			if dBias != nil {
				dBias[j] += dyr[j]
			}
			g := r * u[j]
			if j < k {
				g -= c * su * xr[j]
			}
			dxr[j] = g
		}
	}
	return nil
}
