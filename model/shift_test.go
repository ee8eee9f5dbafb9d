package model

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// TestShiftFirstLayerKeys: after Shift(keep, n) the first layer's cached
// keys (and values) equal those a fresh pass computes for the kept tokens
// at their new positions — there a key depends only on its token and
// position — for interleaved RoPE (llama), half-split RoPE with q/k/v
// biases (qwen2), and YaRN (whose attention factor must not be applied
// twice).
func TestShiftFirstLayerKeys(t *testing.T) {
	yarn := []gguf.KV{
		{Key: "llama.rope.scaling.type", Value: gguf.Value{Data: "yarn"}},
		{Key: "llama.rope.scaling.factor", Value: gguf.Value{Data: float32(4)}},
		{Key: "llama.rope.scaling.original_context_length", Value: gguf.Value{Data: uint32(16)}},
	}
	for _, c := range []struct {
		name string
		s    synth
	}{
		{"llama", synth{arch: "llama", dim: 32, hidden: 48, layers: 2, heads: 4, kvHeads: 2, vocab: 50}},
		{"qwen2", synth{arch: "qwen2", dim: 32, hidden: 48, layers: 2, heads: 4, kvHeads: 4, vocab: 50}},
		{"llama yarn", synth{arch: "llama", dim: 32, hidden: 48, layers: 2, heads: 4, kvHeads: 2, vocab: 50, extraKV: yarn}},
	} {
		m, err := Load(writeSynth(t, c.s), Options{Threads: 1, KeepMapped: true})
		if err != nil {
			t.Fatal(err)
		}
		toks := make([]int, 40)
		for i := range toks {
			toks[i] = (i*7 + 3) % 50
		}
		const keep, n = 4, 14
		a := m.NewSession(0)
		if _, err := a.Forward(toks, 0); err != nil {
			t.Fatal(err)
		}
		if !a.CanShift() {
			t.Fatalf("%s: CanShift false", c.name)
		}
		if err := a.Shift(keep, n); err != nil {
			t.Fatal(err)
		}
		kept := append(append([]int(nil), toks[:keep]...), toks[keep+n:]...)
		b := m.NewSession(0)
		if _, err := b.Forward(kept, 0); err != nil {
			t.Fatal(err)
		}
		if a.Pos != len(kept) || b.Pos != len(kept) {
			t.Fatalf("%s: Pos %d and %d, want %d", c.name, a.Pos, b.Pos, len(kept))
		}
		kvd := m.Config.NKVHeads * m.Config.HeadDim
		dk, dv, scale := 0.0, 0.0, 0.0
		for i := 0; i < len(kept)*kvd; i++ {
			dk = max(dk, math.Abs(float64(a.k[0][i]-b.k[0][i])))
			dv = max(dv, math.Abs(float64(a.v[0][i]-b.v[0][i])))
			scale = max(scale, math.Abs(float64(b.k[0][i])))
		}
		t.Logf("%s: first layer max |Δk| = %.2g (keys up to %.2g), max |Δv| = %.2g", c.name, dk, scale, dv)
		if dk > 1e-5*scale || dv != 0 {
			t.Errorf("%s: shifted keys differ from a fresh pass by %g (values by %g)", c.name, dk, dv)
		}
		// Generation goes on from the shifted cache.
		if _, err := a.Forward([]int{1}, a.Pos); err != nil {
			t.Fatal(err)
		}
		if err := a.Shift(keep, a.Pos); err == nil {
			t.Errorf("%s: a shift past the cache was accepted", c.name)
		}
		m.Close()
	}
}

// TestShiftLearnedPositionsRefused: learned positions enter every key
// through the residual stream, so the cache cannot be shifted in place.
func TestShiftLearnedPositionsRefused(t *testing.T) {
	cfg := train.Config{Vocab: 8, Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 32, Ctx: 16, Norm: train.NormLayer,
		Eps: 1e-5, Pos: train.PosLearned, MLP: train.MLPGELU, Tied: true}
	tm, err := train.NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ck")
	if _, err := train.SaveCheckpoint(dir, tm, nil, tokenizer.NewChar("abcdefgh"), train.State{}, 1); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewSession(0)
	if _, err := s.Forward([]int{1, 2, 3, 4}, 0); err != nil {
		t.Fatal(err)
	}
	if s.CanShift() {
		t.Error("CanShift true with learned positions")
	}
	if err := s.Shift(1, 2); err == nil || !strings.Contains(err.Error(), "recompute") {
		t.Errorf("Shift: %v", err)
	}
}
