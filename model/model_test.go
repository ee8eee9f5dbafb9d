package model

import (
	"math"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func loadStories(t *testing.T) *Model {
	t.Helper()
	p := testdata.Path(t, "llama2c/stories260K.bin")
	m, err := Load(p, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func argmax(x []float32) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

func maxDiff(a []float32, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-b[i]))
	}
	return d
}

// storyPrompt is BOS followed by arbitrary token ids of the 512 vocabulary.
var storyPrompt = []int{1, 403, 407, 261, 378, 270, 259, 78, 300, 290, 400}

func TestStoriesMatchesReference(t *testing.T) {
	m := loadStories(t)
	if m.Config.Dim != 64 || m.Config.NLayers != 5 || m.Config.NKVHeads != 4 || !m.Config.Tied {
		t.Fatalf("config %+v", m.Config)
	}
	ref := referenceForward(m, storyPrompt)

	// Batched prompt, all logits.
	s := m.NewSession(0)
	all, err := s.ForwardAll(storyPrompt, 0)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	for i := range storyPrompt {
		if d := maxDiff(all[i*V:(i+1)*V], ref[i]); d > 1e-3 {
			t.Fatalf("batched position %d differs from reference by %g", i, d)
		}
	}
	// One token at a time through the KV cache.
	s2 := m.NewSession(64)
	for i, tok := range storyPrompt {
		l, err := s2.Forward([]int{tok}, i)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(l, ref[i]); d > 1e-3 {
			t.Fatalf("cached position %d differs from reference by %g", i, d)
		}
	}
	// Prompt in two chunks: 3 tokens (per-row attention), then 8 tokens
	// after the cached ones (GEMM attention with a causal offset).
	s3 := m.NewSession(64)
	if _, err := s3.Forward(storyPrompt[:3], 0); err != nil {
		t.Fatal(err)
	}
	rest, err := s3.ForwardAll(storyPrompt[3:], 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := 3; i < len(storyPrompt); i++ {
		if d := maxDiff(rest[(i-3)*V:(i-2)*V], ref[i]); d > 1e-3 {
			t.Fatalf("chunked prompt position %d differs by %g", i, d)
		}
	}
}

func greedy(t *testing.T, m *Model, prompt []int, n int) []int {
	s := m.NewSession(0)
	l, err := s.Forward(prompt, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	pos := len(prompt)
	for i := 0; i < n; i++ {
		tok := argmax(l)
		out = append(out, tok)
		if l, err = s.Forward([]int{tok}, pos); err != nil {
			t.Fatal(err)
		}
		pos++
	}
	return out
}

func TestStoriesGreedyDeterministic(t *testing.T) {
	m := loadStories(t)
	a := greedy(t, m, []int{1}, 40)
	m.SetThreads(1)
	b := greedy(t, m, []int{1}, 40)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("runs differ at %d: %v vs %v", i, a, b)
		}
	}
	t.Logf("greedy from BOS: %v", a)
}

func TestForwardErrors(t *testing.T) {
	m := loadStories(t)
	s := m.NewSession(8)
	if _, err := s.Forward([]int{600}, 0); err == nil {
		t.Error("token out of range accepted")
	}
	if _, err := s.Forward(make([]int, 9), 0); err == nil {
		t.Error("context overflow accepted")
	}
	if _, err := s.Forward([]int{1}, 3); err == nil {
		t.Error("gap in positions accepted")
	}
	if _, err := s.Forward(nil, 0); err == nil {
		t.Error("empty input accepted")
	}
}

func BenchmarkStoriesDecode(b *testing.B) {
	p := testdata.Path(b, "llama2c/stories260K.bin")
	m, err := Load(p, Options{Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s := m.NewSession(0)
	b.ReportAllocs()
	// Like llama-bench tg128: positions 0..127 from an empty cache.
	pos := 0
	for i := 0; i < b.N; i++ {
		if pos == 128 {
			pos = 0
		}
		if _, err := s.Forward([]int{pos % 512}, pos); err != nil {
			b.Fatal(err)
		}
		pos++
	}
}

func BenchmarkStoriesPrompt128(b *testing.B) {
	p := testdata.Path(b, "llama2c/stories260K.bin")
	m, err := Load(p, Options{Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s := m.NewSession(128)
	toks := make([]int, 128)
	for i := range toks {
		toks[i] = (i * 7) % 512
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Forward(toks, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLongPromptChunks(t *testing.T) {
	m := loadStories(t)
	defer func(b int) { maxBatch = b }(maxBatch)
	maxBatch = 128
	toks := make([]int, 300)
	for i := range toks {
		toks[i] = (i*37 + 1) % 512
	}
	a, err := m.NewSession(0).ForwardAll(toks, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewSession(0)
	if _, err := s.Forward(toks[:128], 0); err != nil {
		t.Fatal(err)
	}
	b, err := s.ForwardAll(toks[128:], 128)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	if len(a) != len(toks)*V {
		t.Fatalf("%d logits", len(a))
	}
	for i, v := range b {
		if d := math.Abs(float64(v - a[128*V+i])); d > 1e-4 {
			t.Fatalf("logit %d differs by %g", i, d)
		}
	}
	last, _ := m.NewSession(0).Forward(toks, 0)
	for i, v := range last {
		if d := math.Abs(float64(v - a[(len(toks)-1)*V+i])); d > 1e-4 {
			t.Fatalf("last logit %d differs by %g", i, d)
		}
	}
}
