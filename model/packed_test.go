package model

import (
	"math"
	"testing"
)

// TestPackedPrompts: the first prompt multiplies the unpacked F32 weights,
// the second packs them (PackedBytes grows from 0 to at least the weight
// matrices' size) and every later one reads the packed copy; all give
// bit-identical logits, packed or not, and the decode step after them too.
func TestPackedPrompts(t *testing.T) {
	m, err := Load(writeSynth(t, synth{arch: "llama", dim: 64, hidden: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 40}), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	prompt := []int{1, 5, 9, 3, 7, 2, 11, 4, 8, 6, 12, 30, 39, 0, 17, 21, 25}
	var first, firstNext []float32
	for run := 0; run < 3; run++ {
		s := m.NewSession(32)
		logits, err := s.Forward(prompt, 0)
		if err != nil {
			t.Fatal(err)
		}
		logits = append([]float32(nil), logits...)
		next, err := s.Forward([]int{3}, len(prompt))
		if err != nil {
			t.Fatal(err)
		}
		next = append([]float32(nil), next...)
		packed := m.PackedBytes()
		switch {
		case run == 0 && packed != 0:
			t.Fatalf("after one prompt: PackedBytes %d, want 0", packed)
		case run > 0 && packed < m.weightBytes()-m.Embed.Bytes()-m.Output.Bytes():
			t.Fatalf("after %d prompts: PackedBytes %d, want at least the block matrices' %d bytes", run+1, packed, m.weightBytes()-m.Embed.Bytes()-m.Output.Bytes())
		}
		if run == 0 {
			first, firstNext = logits, next
			continue
		}
		for i := range logits {
			if math.Float32bits(logits[i]) != math.Float32bits(first[i]) || math.Float32bits(next[i]) != math.Float32bits(firstNext[i]) {
				t.Fatalf("run %d: logit %d is %v then %v (next token %v, %v), want the same bits as the unpacked first run", run, i, first[i], logits[i], firstNext[i], next[i])
			}
		}
	}
}
