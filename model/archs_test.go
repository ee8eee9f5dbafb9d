package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// archLogits is one <name>.logits.json of ../shared/testdata/archs:
// llama.cpp's logits (F32 K/V cache) at every position of tokens.
type archLogits struct {
	Tokens []int       `json:"tokens"`
	Logits [][]float64 `json:"logits"`
}

// TestArchsMatchLlamaCpp runs every family model of the archs test data
// (tiny random-weight GGUF files of every architecture, MANIFEST.json
// says what each exercises) and compares our logits at every position
// with llama.cpp's: within 1e-4, or 5e-3 for families with GELU (llama.cpp
// rounds GELU's input to float16 for a table, 1e-3 to 3e-3 off the tanh
// formula we compute), and the same argmax wherever llama.cpp's two best
// logits differ by more than 1e-2. It also checks token-by-token decoding
// through the KV cache against the batched pass and the float64
// reference.
func TestArchsMatchLlamaCpp(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "archs/MANIFEST.json"))
	var manifest struct {
		Dump struct {
			NCtx int `json:"n_ctx"`
		} `json:"dump_settings"`
		Files []struct {
			Kind, Name, Family, File, Logits string
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range manifest.Files {
		if f.Kind != "family" {
			continue
		}
		n++
		t.Run(f.Name, func(t *testing.T) {
			d, tol := checkArch(t, filepath.Join(dir, f.File), filepath.Join(dir, f.Logits), manifest.Dump.NCtx)
			t.Logf("%s (%s): max |Δlogit| = %.3g (tolerance %g)", f.Name, f.Family, d, tol)
		})
	}
	if n == 0 {
		t.Fatal("MANIFEST.json lists no family models")
	}
}

// checkArch compares one model with llama.cpp's logits; nCtx is the
// context llama.cpp ran with (it picks Phi-3's LongRoPE factors), 0 for the
// model's own.
func checkArch(t *testing.T, model, logits string, nCtx int) (float64, float64) {
	var want archLogits
	b, err := os.ReadFile(logits)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	m, err := Load(model, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tol := 1e-4
	if m.Config.MLP != SwiGLU {
		tol = 5e-3
	}
	V := m.Config.VocabSize
	s := m.NewSession(nCtx)
	all, err := s.ForwardAll(want.Tokens, 0)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i, row := range want.Logits {
		got := all[i*V : (i+1)*V]
		d := maxDiff(got, row)
		worst = max(worst, d)
		if d > tol {
			t.Errorf("position %d: max |Δlogit| = %g > %g", i, d, tol)
		}
		a, b := top2(row)
		if row[a]-row[b] > 1e-2 && argmax(got) != a {
			t.Errorf("position %d: argmax %d, llama.cpp %d (gap %g)", i, argmax(got), a, row[a]-row[b])
		}
	}
	// Decoding one token at a time through the cache gives the batched
	// logits, and both follow the float64 reference.
	ref := referenceForwardCtx(m, want.Tokens, s.Context())
	s.Reset()
	for i, tok := range want.Tokens {
		l, err := s.Forward([]int{tok}, i)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(l, ref[i]); d > 1e-4 {
			t.Errorf("cached position %d differs from the float64 reference by %g", i, d)
		}
		if d := maxDiff(all[i*V:(i+1)*V], ref[i]); d > 1e-4 {
			t.Errorf("batched position %d differs from the float64 reference by %g", i, d)
		}
	}
	return worst, tol
}

func top2(x []float64) (int, int) {
	a, b := 0, -1
	for i := 1; i < len(x); i++ {
		switch {
		case x[i] > x[a]:
			a, b = i, a
		case b < 0 || x[i] > x[b]:
			b = i
		}
	}
	return a, b
}

// TestArchsDescribe checks the architecture description `llmparts info`
// prints against what MANIFEST.json says the files exercise.
func TestArchsDescribe(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "archs/MANIFEST.json"))
	for name, want := range map[string][]string{
		"gemma2":   {"RMSNorm, before attention and MLP, after attention and MLP; eps 1e-06", "half-split", "GeGLU", "sliding window 16 on even layers", "attention soft-cap 4", "final logit soft-cap 5", "embeddings scaled by 6.928203"},
		"gptneox":  {"LayerNorm with bias", "RoPE, base 10000, 8 of 32 dims", "parallel residual"},
		"bloom":    {"on the embeddings", "ALiBi, max bias 8", "GELU down(gelu(up)), hidden 256, biases"},
		"phi3":     {"LongRoPE factors (long beyond 64 positions), attention factor 1.1547005", "sliding window 32 on all layers"},
		"olmo2":    {"RMSNorm, after attention and MLP", "q/k norm (whole vector)", "base 500000"},
		"gpt2":     {"learned absolute, 256 positions"},
		"phi2":     {"LM head bias", "6 of 16 dims"},
		"llama":    {"interleaved pairs (normal)", "SwiGLU", "4 query heads share 2"},
		"stablelm": {"attention biases: q, k, v", "4 of 16 dims"},
	} {
		m, err := Load(filepath.Join(dir, name+".gguf"), Options{Threads: 1, KeepMapped: true})
		if err != nil {
			t.Fatal(err)
		}
		d := m.Describe()
		all := strings.Join(append([]string{d.Family, d.Norm, d.Positions, d.MLP}, d.Extras...), "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: description lacks %q:\n%s", name, w, all)
			}
		}
		m.Close()
	}
}
