package norm

import (
	"errors"
	"fmt"
	"math"
)

// Layer is what RMSNorm and LayerNorm have in common, so a model or a
// trainer can plug in either.
type Layer interface {
	// Width returns d, the length of each row.
	Width() int
	// StatsPerRow returns how many float32 values Forward keeps per row
	// for Backward (1 for RMSNorm, 2 for LayerNorm).
	StatsPerRow() int
	// Forward normalises each row of x into y (len(y) == len(x), a multiple
	// of Width; y may be x). If stats is not nil it must hold
	// rows·StatsPerRow values and receives what Backward needs.
	Forward(y, x, stats []float32) error
	// Backward writes dL/dx into dx (overwriting it) and adds dL/dWeight
	// and dL/dBias into dWeight and dBias (either may be nil to skip it),
	// given dy = dL/dy, the forward input x and the stats Forward kept
	// (stats may be nil: they are then recomputed from x).
	Backward(dx, dWeight, dBias, dy, x, stats []float32) error
}

var (
	_ Layer = (*RMSNorm)(nil)
	_ Layer = (*LayerNorm)(nil)
)

// ErrShape is wrapped by every error about slice lengths.
var ErrShape = errors.New("shape mismatch")

// ErrParam is wrapped by every error about an invalid parameter (d, eps, p).
var ErrParam = errors.New("invalid parameter")

func checkEps(eps float64) error {
	if math.IsNaN(eps) || math.IsInf(eps, 0) || eps < 0 {
		return fmt.Errorf("%w: eps = %v, want a finite value ≥ 0", ErrParam, eps)
	}
	return nil
}

// checkRows checks that x has whole rows of length d and that every other
// slice in same has the same length; it returns the number of rows.
func checkRows[T float32 | float64](d int, x []T, names []string, same ...[]T) (int, error) {
	if len(x)%d != 0 {
		return 0, fmt.Errorf("%w: len(x) = %d is not a multiple of d = %d", ErrShape, len(x), d)
	}
	for i, s := range same {
		if len(s) != len(x) {
			return 0, fmt.Errorf("%w: len(%s) = %d, len(x) = %d", ErrShape, names[i], len(s), len(x))
		}
	}
	return len(x) / d, nil
}

func checkStats[T float32 | float64](stats []T, rows, per int) error {
	if stats != nil && len(stats) != rows*per {
		return fmt.Errorf("%w: len(stats) = %d, want rows·%d = %d", ErrShape, len(stats), per, rows*per)
	}
	return nil
}

// checkParamGrad checks an optional parameter gradient (nil is allowed).
func checkParamGrad[T float32 | float64](name string, g []T, d int) error {
	if g != nil && len(g) != d {
		return fmt.Errorf("%w: len(%s) = %d, want d = %d", ErrShape, name, len(g), d)
	}
	return nil
}

// checkBackward checks the arguments every Backward takes (per stats per
// row) and returns the number of rows.
func checkBackward[T float32 | float64](d, per int, dx, dWeight, dBias, dy, x, stats []T) (int, error) {
	rows, err := checkRows(d, x, []string{"dx", "dy"}, dx, dy)
	if err != nil {
		return 0, err
	}
	if err := checkStats(stats, rows, per); err != nil {
		return 0, err
	}
	if err := checkParamGrad("dWeight", dWeight, d); err != nil {
		return 0, err
	}
	if err := checkParamGrad("dBias", dBias, d); err != nil {
		return 0, err
	}
	return rows, nil
}

// to64 converts a float32 parameter vector (nil stays nil).
func to64(v []float32) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

// sumSq returns Σ x[i]² in float64, four accumulators wide.
func sumSq(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, e := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += e * e
	}
	for ; i < len(x); i++ {
		a := float64(x[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}

// sum returns Σ x[i] in float64, four accumulators wide.
func sum(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// dot returns Σ a[i]·b[i] in float64.
func dot(a, b []float32) float64 {
	var s0, s1, s2, s3 float64
	b = b[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}
