package posenc

import (
	"fmt"
	"math"
)

// DefaultALiBiMaxBias is the max_bias of the ALiBi paper and of BLOOM: with
// H a power of two, head h (1-based) gets slope 2^(−8h/H).
const DefaultALiBiMaxBias = 8

// maxALiBiHeads bounds the number of heads ALiBi accepts.
const maxALiBiHeads = 1 << 16

// ALiBiSlopes returns the slopes m_1..m_H of ALiBi ("Attention with Linear
// Biases", Press et al. 2022) for H heads, in ggml's max_bias form. Let
// n = 2^⌊log₂ H⌋ (the largest power of two ≤ H) and b = maxBias:
//
//	m_h = 2^(−b·h/n)            for h = 1..n
//	m_h = 2^(−b·(2k−1)/(2n))    for h = n+k, k = 1..H−n
//
// With b = 8 and H a power of two this is the paper's 2^(−8h/H); when H is
// not a power of two the extra heads take every other slope of the 2n-head
// sequence (the odd ones), the paper's rule, Hugging Face's
// build_alibi_tensor and ggml_soft_max_ext alike. Slopes are computed in
// float64 (ggml and Hugging Face compute them in float32).
func ALiBiSlopes(heads int, maxBias float64) ([]float64, error) {
	if heads <= 0 || heads > maxALiBiHeads {
		return nil, fmt.Errorf("posenc: ALiBi needs 1 to %d heads, got %d", maxALiBiHeads, heads)
	}
	if err := checkPositive("ALiBi max_bias", maxBias); err != nil {
		return nil, err
	}
	n := 1
	for n*2 <= heads {
		n *= 2
	}
	m := make([]float64, heads)
	for h := 1; h <= heads; h++ {
		if h <= n {
			m[h-1] = math.Exp2(-maxBias * float64(h) / float64(n))
		} else {
			k := h - n
			m[h-1] = math.Exp2(-maxBias * float64(2*k-1) / float64(2*n))
		}
	}
	return m, nil
}

// ALiBi is the third kind of position encoding: instead of rotating
// queries and keys (RoPE) or adding a vector to the embeddings (absolute),
// it adds a bias to the attention score of query position i and key
// position j in head h,
//
//	score_h(i, j) = q_i·k_j/√d + m_h·(j − i),
//
// a penalty growing linearly with the distance i − j ≥ 0 to earlier keys,
// steep for the first heads (m_1 = 1/2 for 8 heads) and nearly flat for the
// last (m_8 = 1/256). The bias is added after the 1/√d scaling and before
// the causal mask and softmax. Hugging Face's BLOOM adds m_h·j instead; the
// two differ by m_h·i, the same for every key of a row, and softmax is
// unchanged by a constant per row. ggml stores −|i − j| in the mask and
// multiplies it by m_h in ggml_soft_max_ext: m_h·(j − i) for causal rows.
type ALiBi struct {
	// Slopes holds m_h per head (index h−1).
	Slopes []float64
}

// NewALiBi returns ALiBi for heads heads with the slopes of [ALiBiSlopes].
func NewALiBi(heads int, maxBias float64) (*ALiBi, error) {
	m, err := ALiBiSlopes(heads, maxBias)
	if err != nil {
		return nil, err
	}
	return &ALiBi{Slopes: m}, nil
}

// Bias returns m_h·(k − q) for 0-based head index h, query position q and
// key position k.
func (a *ALiBi) Bias(h, q, k int) float64 {
	return a.Slopes[h] * float64(k-q)
}

// AddBias adds the bias of 0-based head h to one row of attention scores:
// scores[t] is the score of query position q against key position
// kStart+t, and gets m_h·(kStart+t−q) added (summed in float64, rounded
// once).
func (a *ALiBi) AddBias(scores []float32, h, q, kStart int) error {
	if a == nil || h < 0 || h >= len(a.Slopes) {
		return fmt.Errorf("posenc: ALiBi head %d out of range", h)
	}
	if q < -MaxPosition || q > MaxPosition || kStart < -MaxPosition || kStart > MaxPosition ||
		len(scores) > MaxPosition {
		return fmt.Errorf("posenc: ALiBi positions q=%d, keys from %d (%d of them) out of range", q, kStart, len(scores))
	}
	m := a.Slopes[h]
	for t := range scores {
		scores[t] = float32(float64(scores[t]) + m*float64(kStart+t-q))
	}
	return nil
}
