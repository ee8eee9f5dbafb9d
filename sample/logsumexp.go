package sample

import "math"

// LogSumExp returns log Σ_i e^{x_i}, computed in float64 around the
// maximum m as m + log Σ_i e^{x_i−m} so that no term overflows. The log
// probability of token id under logits x is x[id] − LogSumExp(x).
func LogSumExp(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}
