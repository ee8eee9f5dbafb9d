package model

import (
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/norm"
)

// TestHostileGGUFValues (issue 14 items 15, 17): present but invalid
// hyper-parameters are errors naming the key and what was expected, not
// silently replaced by defaults.
func TestHostileGGUFValues(t *testing.T) {
	base := synth{arch: "llama", dim: 32, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20}
	kv := func(key string, v any) []gguf.KV { return []gguf.KV{{Key: key, Value: gguf.Value{Data: v}}} }
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name  string
		extra []gguf.KV
		want  string
	}{
		{"eps NaN", kv("llama.attention.layer_norm_rms_epsilon", nan), "layer_norm_rms_epsilon = NaN, want a finite number"},
		{"eps Inf", kv("llama.attention.layer_norm_rms_epsilon", inf), "layer_norm_rms_epsilon = +Inf, want a finite number"},
		{"eps 0", kv("llama.attention.layer_norm_rms_epsilon", float32(0)), "layer_norm_rms_epsilon = 0, want a number > 0"},
		{"eps -1", kv("llama.attention.layer_norm_rms_epsilon", float32(-1)), "layer_norm_rms_epsilon = -1, want a number > 0"},
		{"freq_base 0", kv("llama.rope.freq_base", float32(0)), "rope.freq_base = 0, want a number > 0"},
		{"freq_base -10", kv("llama.rope.freq_base", float32(-10)), "rope.freq_base = -10, want a number > 0"},
		{"scaling factor 0", append(kv("llama.rope.scaling.type", "linear"), kv("llama.rope.scaling.factor", float32(0))...), "rope.scaling.factor = 0, want a number > 0"},
		{"yarn beta NaN", append(kv("llama.rope.scaling.type", "yarn"), kv("llama.rope.scaling.yarn_beta_fast", nan)...), "yarn_beta_fast = NaN"},
		{"float embedding_length", kv("llama.embedding_length", float32(32)), "llama.embedding_length is a float32 (32), want an integer"},
		{"string eps", kv("llama.attention.layer_norm_rms_epsilon", "1e-5"), `layer_norm_rms_epsilon is a string ("1e-5"), want a float32`},
		{"int scaling type", kv("llama.rope.scaling.type", uint32(1)), "rope.scaling.type is a uint32, want a string"},
		{"context 2^30", kv("llama.context_length", uint32(1<<30)), "context_length = 1073741824 is out of range"},
	} {
		s := base
		s.extraKV = tc.extra
		_, err := Load(writeSynth(t, s), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "m.gguf") {
			t.Errorf("%s: err = %v, want one naming m.gguf and %q", tc.name, err, tc.want)
		}
	}
}

// TestHostileNaNWeights (item 15): a NaN in a norm weight or the token
// embedding is an error at load instead of empty text at generation.
func TestHostileNaNWeights(t *testing.T) {
	m, err := Load(writeSynth(t, synth{arch: "llama", dim: 32, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20}), Options{KeepMapped: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.checkFinite("m.gguf"); err != nil {
		t.Fatalf("clean model: %v", err)
	}
	ffn := m.Blocks[0].FFNNorm.Layer.(*norm.RMSNorm)
	w := append([]float32(nil), ffn.Weight...)
	w[7] = float32(math.NaN())
	saved := ffn.Weight
	ffn.Weight = w
	if err := m.checkFinite("m.gguf"); err == nil || !strings.Contains(err.Error(), "layer 0 ffn norm weight holds NaN at index 7") {
		t.Errorf("NaN norm weight: %v", err)
	}
	ffn.Weight = saved
	e := *m.Embed
	e.F32 = append([]float32(nil), e.F32...)
	e.F32[33] = float32(math.Inf(-1))
	m.Embed = &e
	if err := m.checkFinite("m.gguf"); err == nil || !strings.Contains(err.Error(), "token embedding token_embd.weight holds -Inf at index 33") {
		t.Errorf("Inf embedding: %v", err)
	}
}

// TestHostileNaNWeightInFile writes the NaN into the file itself.
func TestHostileNaNWeightInFile(t *testing.T) {
	p := writeSynth(t, synth{arch: "llama", dim: 32, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20})
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	ti, _ := f.Tensor("output_norm.weight")
	off := f.DataOffset + int64(ti.Offset)
	f.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[off+4*3:], math.Float32bits(float32(math.NaN())))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, Options{}); err == nil || !strings.Contains(err.Error(), "final norm weight holds NaN at index 3") {
		t.Errorf("NaN in output_norm.weight: %v", err)
	}
}

// TestHostilePRMSNormP (item 15): pRMSNorm with p ≥ 1 or ≤ 0 is refused
// instead of running as plain RMSNorm.
func TestHostilePRMSNormP(t *testing.T) {
	for _, p := range []float64{1, 1.5, 0, -0.5, math.NaN()} {
		c := Config{Dim: 8, HiddenDim: 8, NLayers: 1, NHeads: 2, NKVHeads: 2, HeadDim: 4, VocabSize: 4,
			NormEps: 1e-5, Norm: PRMSNorm, NormP: p, Pos: PosNone, MLP: SwiGLU}
		if err := c.validate("c.json"); err == nil || !strings.Contains(err.Error(), "c.json: pRMSNorm fraction p") {
			t.Errorf("p = %v: %v", p, err)
		}
	}
}

// TestHostileKVCacheLimit (item 8): a small file claiming a context of
// 2^24 positions asks for a session far larger than memory; that is an
// error saying how much, before anything is allocated.
func TestHostileKVCacheLimit(t *testing.T) {
	s := synth{arch: "llama", dim: 512, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20,
		extraKV: []gguf.KV{{Key: "llama.context_length", Value: gguf.Value{Data: uint32(1 << 24)}}}}
	m, err := Load(writeSynth(t, s), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	need, ok := m.SessionBytes(0)
	// K and V alone: 2 · 1 layer · 2^24 · 512 · 4 bytes = 64 GiB.
	if !ok || need < 64<<30 {
		t.Fatalf("SessionBytes = %d, %v; want ≥ 64 GiB", need, ok)
	}
	_, err = m.NewSessionLimit(20000000, 1<<30)
	if err == nil || !strings.Contains(err.Error(), "a KV cache of 16777216 positions × 1 layers × 512 kv dims: needs ") ||
		!strings.Contains(err.Error(), "but 1 GiB of memory is available (the limit); ask for fewer tokens or raise --max-kv-memory") {
		t.Fatalf("NewSessionLimit: %v", err)
	}
	// Default limit: the memory available now (64 GiB would be needed
	// just for K and V).
	if _, err := m.NewSessionLimit(0, 0); err == nil {
		t.Fatalf("a %d-byte session was allowed", need)
	}
	// A small session of the same model is fine.
	sess, err := m.NewSessionLimit(64, 0)
	if err != nil || sess.Context() != 64 {
		t.Fatalf("64 positions: %v", err)
	}
	// Sizes that overflow int64 are refused, not wrapped.
	m.Config.NLayers = 1 << 24
	m.Config.NKVHeads, m.Config.HeadDim = 1<<12, 1<<12
	if _, ok := m.SessionBytes(0); ok {
		t.Fatal("overflowing session size accepted")
	}
}

// TestHostileThreads (item 9): absurd thread counts are refused by
// CheckThreads and clamped by SetThreads.
func TestHostileThreads(t *testing.T) {
	for _, n := range []int{-1, MaxThreads + 1, 100000} {
		if err := CheckThreads(n); err == nil {
			t.Errorf("CheckThreads(%d) accepted", n)
		}
	}
	if err := CheckThreads(4); err != nil {
		t.Error(err)
	}
	m, err := Load(writeSynth(t, synth{arch: "llama", dim: 32, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20}), Options{Threads: 100000})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	defer m.SetThreads(0) // kernel.SetThreads is process-wide: restore the default
	if m.Threads() != MaxThreads {
		t.Fatalf("Threads() = %d, want %d", m.Threads(), MaxThreads)
	}
}

// TestHostileNaNMatrix (item 15): a NaN inside a large weight matrix (not
// scanned at load) makes Forward fail with a message, not empty text.
func TestHostileNaNMatrix(t *testing.T) {
	m, err := Load(writeSynth(t, synth{arch: "llama", dim: 32, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20}), Options{KeepMapped: true, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := m.NewSession(8)
	if _, err := s.Forward([]int{1, 2}, 0); err != nil {
		t.Fatal(err)
	}
	down := m.Blocks[0].Down
	w := append([]float32(nil), down.F32...)
	w[5] = float32(math.NaN())
	m.Blocks[0].Down = NewF32(down.Name, down.Rows, down.Cols, w)
	_, err = m.NewSession(8).Forward([]int{1, 2}, 0)
	if err == nil || !strings.Contains(err.Error(), "of position 1 is NaN: a weight or activation is not finite") {
		t.Fatalf("NaN in ffn_down: %v", err)
	}
}
