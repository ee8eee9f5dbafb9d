package posenc

import (
	"fmt"
	"math/rand/v2"
)

// Learned is a trained absolute position embedding (GPT-2's wpe): row p of
// the [MaxPos × Dim] table Weight is added to the embedding of a token at
// position p.
type Learned struct {
	MaxPos int
	Dim    int
	Weight []float32 // MaxPos × Dim, row-major
}

var _ PreEncoder = (*Learned)(nil)

// NewLearned returns a zero-initialised table of maxPos positions.
func NewLearned(maxPos, dim int) (*Learned, error) {
	if maxPos <= 0 || dim <= 0 || maxPos > maxTableEntries/dim {
		return nil, fmt.Errorf("posenc: learned table %d × %d out of range", maxPos, dim)
	}
	return &Learned{MaxPos: maxPos, Dim: dim, Weight: make([]float32, maxPos*dim)}, nil
}

// Init fills the table with normal values of standard deviation std (GPT-2
// uses 0.01 for position embeddings) drawn from rng.
func (l *Learned) Init(rng *rand.Rand, std float64) {
	for i := range l.Weight {
		l.Weight[i] = float32(rng.NormFloat64() * std)
	}
}

func (l *Learned) check(n int, what string, pos []int) error {
	if l == nil || l.MaxPos <= 0 || l.Dim <= 0 || len(l.Weight) != l.MaxPos*l.Dim {
		return fmt.Errorf("posenc: malformed learned table")
	}
	if n != len(pos)*l.Dim {
		return fmt.Errorf("posenc: %s has %d values, want %d positions × dim %d", what, n, len(pos), l.Dim)
	}
	return checkPositions(pos, 0, l.MaxPos)
}

// Add adds Weight[pos[t]] to row t of emb ([len(pos)][Dim]). Positions
// must lie in [0, MaxPos).
func (l *Learned) Add(emb []float32, pos []int) error {
	if err := l.check(len(emb), "embeddings", pos); err != nil {
		return err
	}
	for t, p := range pos {
		row, w := emb[t*l.Dim:(t+1)*l.Dim], l.Weight[p*l.Dim:(p+1)*l.Dim]
		for j := range row {
			row[j] += w[j]
		}
	}
	return nil
}

// Backward accumulates the gradient of Add into dWeight (same shape as
// Weight): dWeight[pos[t]] += dEmb[t]. Repeated positions accumulate.
// The gradient with respect to the embeddings is dEmb itself.
func (l *Learned) Backward(dWeight, dEmb []float32, pos []int) error {
	if err := l.check(len(dEmb), "dEmb", pos); err != nil {
		return err
	}
	if len(dWeight) != len(l.Weight) {
		return fmt.Errorf("posenc: dWeight has %d values, want %d", len(dWeight), len(l.Weight))
	}
	for t, p := range pos {
		g, d := dEmb[t*l.Dim:(t+1)*l.Dim], dWeight[p*l.Dim:(p+1)*l.Dim]
		for j := range g {
			d[j] += g[j]
		}
	}
	return nil
}
