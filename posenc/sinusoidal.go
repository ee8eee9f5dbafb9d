package posenc

import (
	"fmt"
	"math"
)

// PreEncoder is a position encoding added to token embeddings: emb holds
// len(pos) rows of the encoder's dimension, and row t gets the encoding of
// position pos[t] added in place.
type PreEncoder interface {
	Add(emb []float32, pos []int) error
}

// SinLayout orders the sine and cosine halves of a sinusoidal encoding.
type SinLayout int

const (
	// SinInterleaved is the Transformer paper's layout:
	// PE[p][2i] = sin(p·ω_i), PE[p][2i+1] = cos(p·ω_i).
	SinInterleaved SinLayout = iota
	// SinConcat puts all sines first: PE[p][i] = sin(p·ω_i),
	// PE[p][d/2+i] = cos(p·ω_i) (tensor2tensor, many re-implementations).
	SinConcat
)

// ParseSinLayout maps "interleaved" and "concat" to their SinLayout.
func ParseSinLayout(s string) (SinLayout, error) {
	switch s {
	case "interleaved", "":
		return SinInterleaved, nil
	case "concat":
		return SinConcat, nil
	}
	return 0, fmt.Errorf("posenc: unknown sinusoidal layout %q (want \"interleaved\" or \"concat\")", s)
}

// Sinusoidal is the fixed absolute position encoding of "Attention Is All
// You Need" with ω_i = Base^(−2i/Dim), i < Dim/2. Base 0 means 10000.
// Angles, sines and cosines are computed in float64.
type Sinusoidal struct {
	Dim    int
	Base   float64
	Layout SinLayout
}

var _ PreEncoder = Sinusoidal{}

// maxSinDim bounds the sinusoidal model width.
const maxSinDim = 1 << 20

func (s Sinusoidal) check() (float64, error) {
	base := s.Base
	if base == 0 {
		base = 10000
	}
	if err := checkPositive("sinusoidal base", base); err != nil {
		return 0, err
	}
	if s.Dim <= 0 || s.Dim%2 != 0 || s.Dim > maxSinDim {
		return 0, fmt.Errorf("posenc: sinusoidal dim %d must be positive, even and at most %d", s.Dim, maxSinDim)
	}
	if s.Layout != SinInterleaved && s.Layout != SinConcat {
		return 0, fmt.Errorf("posenc: unknown sinusoidal layout %d", int(s.Layout))
	}
	return base, nil
}

// Row writes the encoding of position p into dst (length Dim).
func (s Sinusoidal) Row(p int, dst []float32) error {
	base, err := s.check()
	if err != nil {
		return err
	}
	if len(dst) != s.Dim {
		return fmt.Errorf("posenc: row has %d values, want %d", len(dst), s.Dim)
	}
	if p > MaxPosition || p < -MaxPosition {
		return fmt.Errorf("posenc: position %d out of range", p)
	}
	s.row(base, p, dst, false)
	return nil
}

func (s Sinusoidal) row(base float64, p int, dst []float32, add bool) {
	half := s.Dim / 2
	for i := 0; i < half; i++ {
		w := math.Pow(base, -float64(2*i)/float64(s.Dim))
		sn, c := math.Sincos(float64(p) * w)
		is, ic := 2*i, 2*i+1
		if s.Layout == SinConcat {
			is, ic = i, half+i
		}
		if add {
			dst[is] = float32(float64(dst[is]) + sn)
			dst[ic] = float32(float64(dst[ic]) + c)
		} else {
			dst[is], dst[ic] = float32(sn), float32(c)
		}
	}
}

// Table returns the encodings of the given positions, [len(pos)][Dim].
func (s Sinusoidal) Table(pos []int) ([]float32, error) {
	base, err := s.check()
	if err != nil {
		return nil, err
	}
	if len(pos) > maxTableEntries/s.Dim {
		return nil, fmt.Errorf("posenc: %d positions × dim %d is too large", len(pos), s.Dim)
	}
	if err := checkPositions(pos, -MaxPosition, MaxPosition+1); err != nil {
		return nil, err
	}
	out := make([]float32, len(pos)*s.Dim)
	for t, p := range pos {
		s.row(base, p, out[t*s.Dim:(t+1)*s.Dim], false)
	}
	return out, nil
}

// Add adds the encoding of pos[t] to row t of emb ([len(pos)][Dim]). The
// sum is formed in float64 and rounded once.
func (s Sinusoidal) Add(emb []float32, pos []int) error {
	base, err := s.check()
	if err != nil {
		return err
	}
	if len(emb) != len(pos)*s.Dim {
		return fmt.Errorf("posenc: embeddings have %d values, want %d positions × dim %d", len(emb), len(pos), s.Dim)
	}
	if err := checkPositions(pos, -MaxPosition, MaxPosition+1); err != nil {
		return err
	}
	for t, p := range pos {
		s.row(base, p, emb[t*s.Dim:(t+1)*s.Dim], true)
	}
	return nil
}

// checkPositions reports the first position outside [lo, hi).
func checkPositions(pos []int, lo, hi int) error {
	for t, p := range pos {
		if p < lo || p >= hi {
			return fmt.Errorf("posenc: position %d (index %d) outside [%d, %d)", p, t, lo, hi)
		}
	}
	return nil
}
