package train

import (
	"fmt"
	"math"
)

// sampleTemp is the temperature of Sample: p_j^(1/0.8), renormalised
// (nanoGPT's sample.py default), which keeps a young model's samples
// readable without making them greedy.
const sampleTemp = 0.8

// Sample continues prompt by n tokens drawn from the model's next-token
// distribution at temperature sampleTemp with a generator of its own seeded by seed,
// so sampling never disturbs training. Each token is predicted from the
// last Config.Ctx tokens (a sliding window): one forward pass of a single
// sequence per token, the positions after the window's end padded (the
// causal mask keeps them out). The batch buffers are reallocated for one
// sequence and again for the next training step.
func (m *Model) Sample(prompt []int, n int, seed uint64) ([]int, error) {
	T, V := m.Config.Ctx, m.Config.Vocab
	if len(prompt) == 0 {
		return nil, fmt.Errorf("train: Sample: empty prompt")
	}
	seq := append([]int(nil), prompt...)
	rng := RNG{State: seed}
	tok, tgt, w := make([]int, T), make([]int, T), make([]float64, V)
	for i := 0; i < n; i++ {
		win := seq[max(0, len(seq)-T):]
		clear(tok)
		copy(tok, win)
		if _, err := m.Forward(tok, tgt, 1); err != nil {
			return nil, err
		}
		// Forward leaves the softmax probabilities in m.logits.
		p := m.logits[(len(win)-1)*V : len(win)*V]
		var sum float64
		for j, pj := range p {
			w[j] = math.Pow(float64(pj), 1/sampleTemp)
			sum += w[j]
		}
		r, next := rng.Float64()*sum, V-1
		for j, wj := range w {
			if r -= wj; r < 0 {
				next = j
				break
			}
		}
		seq = append(seq, next)
	}
	return seq[len(prompt):], nil
}
