package model

import "fmt"

// CanShift reports whether Shift can move this session's cache in place:
// keys carry their position only through RoPE (a rotation, undone and
// redone exactly) or not at all (ALiBi, which biases by distance, and no
// positions). With learned or sinusoidal positions added to the
// embeddings every key depends on its absolute position through all the
// layers: the caller must recompute the kept tokens instead (Reset, then
// Forward).
func (s *Session) CanShift() bool {
	switch s.m.Config.Pos {
	case PosRoPE, PosALiBi, PosNone:
		return true
	}
	return false
}

// Shift drops the n cached positions [keep, keep+n) and moves the later
// ones down by n, so that generation can go on past the context (keep the
// first tokens, drop a block after them, as llama.cpp's context shift).
// Values move as they are. With RoPE a key cached at position p is
// R(p)·k, with R(p) the rotation by p·θ_i of each pair; at its new
// position p−n it must be R(p−n)·k = R(−n)·R(p)·k, so each moved key is
// rotated by −n·θ_i (the relative property of RoPE; the attention factor
// of YaRN is not applied twice). In the first layer, where a key depends
// only on its token and position, the result equals a fresh pass at the
// new positions up to rounding; deeper layers keep what they computed
// with the dropped tokens in view, the approximation every context shift
// makes. Pos becomes Pos−n.
func (s *Session) Shift(keep, n int) error {
	if !s.CanShift() {
		return fmt.Errorf("model: a %s-position model cannot shift its cache: recompute the kept tokens", s.m.Config.Pos)
	}
	if keep < 0 || n <= 0 || keep+n > s.Pos {
		return fmt.Errorf("model: shift of %d positions after %d does not fit the %d cached", n, keep, s.Pos)
	}
	c := &s.m.Config
	kvd := c.NKVHeads * c.HeadDim
	moved := s.Pos - keep - n
	var delta []int
	rot := func([]float32) {}
	if c.Pos == PosRoPE {
		r := c.RoPE.ForContext(s.ctx)
		rp, err := r.posenc(c.HeadDim, c.ContextLen)
		if err != nil {
			return err
		}
		rp.Scale = 1 // a pure rotation: the cached keys already carry the magnitude
		delta = make([]int, moved)
		for i := range delta {
			delta[i] = -n
		}
		rot = func(k []float32) { _ = rp.Apply(k, moved, c.NKVHeads, delta) } // shapes match by construction
	}
	for l := range s.k {
		k := s.k[l][keep*kvd : (s.Pos-n)*kvd]
		copy(k, s.k[l][(keep+n)*kvd:s.Pos*kvd])
		rot(k)
		copy(s.v[l][keep*kvd:(s.Pos-n)*kvd], s.v[l][(keep+n)*kvd:s.Pos*kvd])
	}
	s.Pos -= n
	return nil
}
