package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Params configures a Sampler. The zero value is greedy decoding.
type Params struct {
	Temperature   float64 // ≤ 0: greedy
	TopK          int     // ≤ 0: off
	TopP          float64 // ≥ 1 or ≤ 0: off
	MinP          float64 // ≤ 0: off
	RepeatPenalty float64 // ≤ 0 or 1: off
	RepeatLastN   int     // tokens of history the penalties look at (≤ 0: 64)
	// FrequencyPenalty and PresencePenalty subtract c·f + p·[c > 0] from
	// the logit of a token seen c times in the last RepeatLastN tokens
	// (OpenAI's frequency_penalty and presence_penalty, applied over
	// llama.cpp's window; 0: off).
	FrequencyPenalty float64
	PresencePenalty  float64
	Seed             uint64
}

// DefaultParams returns llama.cpp's default sampling settings
// (its common_params_sampling): temperature 0.8, top-k 40,
// top-p 0.95, min-p 0.05, repetition penalty 1.0 (off) over the last 64
// tokens. Seed is 0: set it (llama.cpp draws a random one by default).
// The zero Params, by contrast, is greedy decoding.
func DefaultParams() Params {
	return Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.0, RepeatLastN: 64}
}

// Validate reports parameters that are not numbers or lie outside the
// ranges above (NaN or ±Inf anywhere, a negative TopK or RepeatLastN,
// TopP or MinP outside [0, 1], a negative RepeatPenalty). Sample itself
// never fails: it treats out-of-range values as "off", as documented on
// each field; Validate is for front ends that want a clear error instead.
func (p Params) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"temperature", p.Temperature}, {"top-p", p.TopP}, {"min-p", p.MinP}, {"repeat penalty", p.RepeatPenalty},
		{"frequency penalty", p.FrequencyPenalty}, {"presence penalty", p.PresencePenalty}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("sample: %s is %v, want a finite number", f.name, f.v)
		}
	}
	switch {
	case p.Temperature < 0:
		return fmt.Errorf("sample: temperature %g is negative (0 = greedy)", p.Temperature)
	case p.TopK < 0:
		return fmt.Errorf("sample: top-k %d is negative (0 = off)", p.TopK)
	case p.TopP < 0 || p.TopP > 1:
		return fmt.Errorf("sample: top-p %g is outside [0, 1] (1 = off)", p.TopP)
	case p.MinP < 0 || p.MinP > 1:
		return fmt.Errorf("sample: min-p %g is outside [0, 1] (0 = off)", p.MinP)
	case p.RepeatPenalty < 0:
		return fmt.Errorf("sample: repeat penalty %g is negative (1 = off)", p.RepeatPenalty)
	case p.RepeatLastN < 0:
		return fmt.Errorf("sample: repeat-last-n %d is negative", p.RepeatLastN)
	}
	return nil
}

// Candidate is a token with its logit and (after Distribution) probability.
type Candidate struct {
	ID    int
	Logit float32
	Prob  float64
}

// Sampler draws tokens. It reuses its buffers, so one Sampler serves one
// stream at a time.
type Sampler struct {
	P    Params
	rng  *rand.Rand
	cand []Candidate
	seen map[int]bool
	n    map[int]int
}

// New returns a sampler with its generator seeded from p.Seed.
func New(p Params) *Sampler {
	return &Sampler{P: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)), seen: map[int]bool{}, n: map[int]int{}}
}

// Sample returns the next token for logits given the tokens so far
// (history, oldest first; only used by the repetition penalty).
func (s *Sampler) Sample(logits []float32, history []int) int {
	c := s.Distribution(logits, history)
	if len(c) == 1 {
		return c[0].ID
	}
	u := s.rng.Float64()
	var cum float64
	for _, x := range c {
		cum += x.Prob
		if u < cum {
			return x.ID
		}
	}
	return c[len(c)-1].ID
}

// Distribution returns the candidates left after every filter, with their
// final probabilities (summing to 1), most likely first. Greedy decoding
// gives the single argmax with probability 1.
func (s *Sampler) Distribution(logits []float32, history []int) []Candidate {
	p := s.P
	c := s.cand[:0]
	for i, l := range logits {
		c = append(c, Candidate{ID: i, Logit: l})
	}
	s.cand = c
	if p.RepeatPenalty > 0 && p.RepeatPenalty != 1 {
		n := p.RepeatLastN
		if n <= 0 {
			n = 64
		}
		n = min(n, len(history))
		clear(s.seen)
		for _, t := range history[max(0, len(history)-n):] {
			if t < 0 || t >= len(c) || s.seen[t] {
				continue
			}
			s.seen[t] = true
			if c[t].Logit > 0 {
				c[t].Logit = float32(float64(c[t].Logit) / p.RepeatPenalty)
			} else {
				c[t].Logit = float32(float64(c[t].Logit) * p.RepeatPenalty)
			}
		}
	}
	if p.FrequencyPenalty != 0 || p.PresencePenalty != 0 {
		n := p.RepeatLastN
		if n <= 0 {
			n = 64
		}
		clear(s.n)
		for _, t := range history[max(0, len(history)-n):] {
			if t >= 0 && t < len(c) {
				s.n[t]++
			}
		}
		for t, k := range s.n {
			c[t].Logit -= float32(float64(k)*p.FrequencyPenalty + p.PresencePenalty)
		}
	}
	if p.Temperature <= 0 {
		best := 0
		for i := range c {
			if c[i].Logit > c[best].Logit {
				best = i
			}
		}
		c[0], c[best] = c[best], c[0]
		c[0].Prob = 1
		return c[:1]
	}
	if p.TopK > 0 && p.TopK < len(c) {
		c = topK(c, p.TopK)
	}
	slices.SortFunc(c, byLogit)
	if p.TopP > 0 && p.TopP < 1 {
		probs(c, 1)
		var cum float64
		for i := range c {
			cum += c[i].Prob
			if cum >= p.TopP {
				c = c[:i+1]
				break
			}
		}
	}
	if p.MinP > 0 {
		probs(c, 1)
		lim := p.MinP * c[0].Prob
		k := 1
		for k < len(c) && c[k].Prob >= lim {
			k++
		}
		c = c[:k]
	}
	probs(c, p.Temperature)
	return c
}

// probs sets Prob to softmax(Logit/temp) over c (c sorted descending).
func probs(c []Candidate, temp float64) {
	m := float64(c[0].Logit)
	var sum float64
	for i := range c {
		e := math.Exp((float64(c[i].Logit) - m) / temp)
		c[i].Prob = e
		sum += e
	}
	for i := range c {
		c[i].Prob /= sum
	}
}

// byLogit orders by logit, highest first, ties by id.
func byLogit(a, b Candidate) int {
	switch {
	case a.Logit > b.Logit:
		return -1
	case a.Logit < b.Logit:
		return 1
	}
	return a.ID - b.ID
}

// topK moves the k best candidates (by byLogit) to the front with a
// min-heap of size k, O(n log k), and returns them unsorted.
func topK(c []Candidate, k int) []Candidate {
	h := c[:k]
	less := func(i, j int) bool { return byLogit(h[i], h[j]) > 0 } // worst on top
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= k {
				return
			}
			if r := l + 1; r < k && less(r, l) {
				l = r
			}
			if !less(l, i) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, x := range c[k:] {
		if byLogit(x, h[0]) < 0 {
			h[0] = x
			down(0)
		}
	}
	return h
}
