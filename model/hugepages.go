package model

// tensors returns every weight matrix of the model once (a tied head is
// the embedding).
func (m *Model) tensors() []*Tensor {
	seen := map[*Tensor]bool{}
	var out []*Tensor
	add := func(ts ...*Tensor) {
		for _, t := range ts {
			if t != nil && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	add(m.Embed, m.Output, m.PosEmbed)
	for _, b := range m.Blocks {
		add(b.WQ, b.WK, b.WV, b.WO, b.Gate, b.Up, b.Down)
	}
	return out
}

// weightBytes is the storage size of the weight matrices.
func (m *Model) weightBytes() int64 {
	var n int64
	for _, t := range m.tensors() {
		n += t.Bytes()
	}
	return n
}
