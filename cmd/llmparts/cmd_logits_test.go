package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

type logitsLine struct {
	Pos    int       `json:"pos"`
	Token  int       `json:"token"`
	Logits []float64 `json:"logits"`
}

func runLogits(t *testing.T, args ...string) ([]logitsLine, int) {
	t.Helper()
	var b bytes.Buffer
	old := logitsOut
	logitsOut = &b
	defer func() { logitsOut = old }()
	code := run(append([]string{"logits"}, args...))
	var out []logitsLine
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var x logitsLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, x)
	}
	return out, code
}

// TestLogitsCommand compares `llmparts logits` on family models of the
// archs test data with llama.cpp's logits for the same ids (phi3 with
// llama.cpp's context of 256, which selects the long LongRoPE factors).
func TestLogitsCommand(t *testing.T) {
	for _, tc := range []struct {
		file  string
		extra []string
	}{{"qwen2", nil}, {"phi3", []string{"-c", "256"}}} {
		p := testdata.Path(t, "archs/"+tc.file+".gguf")
		b, err := os.ReadFile(strings.TrimSuffix(p, ".gguf") + ".logits.json")
		if err != nil {
			t.Fatal(err)
		}
		var want struct {
			Tokens []int       `json:"tokens"`
			Logits [][]float64 `json:"logits"`
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(want.Tokens))
		for i, v := range want.Tokens {
			ids[i] = strconv.Itoa(v)
		}
		got, code := runLogits(t, append([]string{"-m", p, "--ids", strings.Join(ids, ","), "-t", "1"}, tc.extra...)...)
		if code != 0 || len(got) != len(want.Tokens) {
			t.Fatalf("%s: exit %d, %d lines, want %d", tc.file, code, len(got), len(want.Tokens))
		}
		for i, l := range got {
			if l.Pos != i || l.Token != want.Tokens[i] || len(l.Logits) != len(want.Logits[i]) {
				t.Fatalf("%s line %d: pos %d token %d, %d logits", tc.file, i, l.Pos, l.Token, len(l.Logits))
			}
			for j, v := range l.Logits {
				if d := math.Abs(v - want.Logits[i][j]); d > 1e-4 {
					t.Fatalf("%s pos %d logit %d: %g, llama.cpp %g", tc.file, i, j, v, want.Logits[i][j])
				}
			}
		}
	}
}

func TestLogitsCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--ids", "1,x"},
		{"--ids", "1,-2"},
		{"--ids", "1", "--float-activations", "--quantize-activations"},
		{"--ids", "1", "-c", "-5"},
	} {
		if _, code := runLogits(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	// The embedded model: one line per id, ids out of the vocabulary refused.
	got, code := runLogits(t, "--ids", "1,2,3")
	if code != 0 || len(got) != 3 || got[2].Pos != 2 || got[2].Token != 3 {
		t.Fatalf("embedded model: exit %d, %+v", code, got)
	}
	if _, code := runLogits(t, "--ids", "1,99999"); code != 1 {
		t.Errorf("id outside the vocabulary: exit %d, want 1", code)
	}
}

// TestEveryFamilyGeneratesAndDescribes runs generate and info on the
// family model of every architecture in the archs test data.
func TestEveryFamilyGeneratesAndDescribes(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "archs/MANIFEST.json"))
	for _, fam := range []string{"llama", "qwen2", "gemma", "gemma2", "phi3", "olmo2", "gpt2", "gptneox", "phi2", "stablelm", "starcoder2", "bloom"} {
		p := filepath.Join(dir, fam+".gguf")
		out, errs, code := capture(t, "generate", "-m", p, "-p", "Hello", "-n", "6", "--temp", "0", "-t", "1")
		if code != 0 || !strings.HasPrefix(out, "Hello") || !strings.Contains(errs, "generated: 6 tokens") {
			t.Errorf("%s: generate exit %d, stdout %q, stderr %s", fam, code, out, errs)
		}
		out, errs, code = capture(t, "info", "-m", p)
		if code != 0 || !strings.Contains(out, "architecture:   "+fam+": ") || !strings.Contains(out, "MLP:            ") {
			t.Errorf("%s: info exit %d: %s %s", fam, code, out, errs)
		}
	}
}
