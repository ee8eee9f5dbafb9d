package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
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
			d, tol := checkArch(t, filepath.Join(dir, f.File), filepath.Join(dir, f.Logits))
			t.Logf("%s (%s): max |Δlogit| = %.3g (tolerance %g)", f.Name, f.Family, d, tol)
		})
	}
	if n == 0 {
		t.Fatal("MANIFEST.json lists no family models")
	}
}

func checkArch(t *testing.T, model, logits string) (float64, float64) {
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
	s := m.NewSession(0)
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
	ref := referenceForward(m, want.Tokens)
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

var _ = math.Abs
