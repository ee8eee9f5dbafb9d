package llmparts

import "fmt"

// shift makes room in a full context (Params.ContextShift): it keeps the
// first keep tokens (at least BOS when the text starts with it, at most
// half the tokens), drops half of the others, and moves the rest down.
// With RoPE (or ALiBi, or no positions) the cache is shifted in place,
// each moved key rotated back by the number of dropped positions
// (model.Session.Shift); with learned or sinusoidal positions, where a
// key depends on its absolute position through every layer, the kept
// tokens are run through the model again.
func (s *Session) shift(keep int) error {
	keep = max(keep, 0)
	if bos := s.m.Tokenizer.BOS(); len(s.hist) > 0 && bos >= 0 && s.hist[0] == bos {
		keep = max(keep, 1)
	}
	keep = min(keep, len(s.hist)/2)
	n := (len(s.hist) - keep) / 2
	if n < 1 {
		return fmt.Errorf("llmparts: a context of %d tokens is too small to shift", len(s.hist))
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	kept := append(s.hist[:keep:keep], s.hist[keep+n:]...)
	if s.s.CanShift() {
		if err := s.s.Shift(keep, n); err != nil {
			return err
		}
	} else {
		s.s.Reset()
		if _, err := s.s.Forward(kept, 0); err != nil {
			return err
		}
	}
	s.hist = kept
	s.stats.Shifts++
	return nil
}
