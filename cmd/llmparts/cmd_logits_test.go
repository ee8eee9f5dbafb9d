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

// TestLogitsQuantizedActivations: with --quantize-activations a Q8_0 file
// runs llama.cpp's integer path (activations quantized to Q8_0), so its
// logits are llama.cpp's for that file; the float32 path's instead match
// llama.cpp on the dequantized twin (F32 weights).
func TestLogitsQuantizedActivations(t *testing.T) {
	p := testdata.Path(t, "archs/llama_q_Q8_0.gguf")
	load := func(name string) [][]float64 {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(p), name))
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			Logits [][]float64 `json:"logits"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		return w.Logits
	}
	var want struct {
		Tokens []int `json:"tokens"`
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(p), "llama_q_Q8_0.logits.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(want.Tokens))
	for i, v := range want.Tokens {
		ids[i] = strconv.Itoa(v)
	}
	diff := func(got []logitsLine, w [][]float64) float64 {
		var d float64
		for i, l := range got {
			for j, v := range l.Logits {
				d = math.Max(d, math.Abs(v-w[i][j]))
			}
		}
		return d
	}
	quant, deq := load("llama_q_Q8_0.logits.json"), load("llama_q_Q8_0_deq.logits.json")
	f, code := runLogits(t, "-m", p, "--ids", strings.Join(ids, ","), "--float-activations")
	if code != 0 {
		t.Fatalf("float: exit %d", code)
	}
	q, code := runLogits(t, "-m", p, "--ids", strings.Join(ids, ","), "--quantize-activations")
	if code != 0 {
		t.Fatalf("quantized: exit %d", code)
	}
	fd, fq, qq := diff(f, deq), diff(f, quant), diff(q, quant)
	// --match-llamacpp: attention, RoPE and SiLU as llama.cpp computes
	// them, so every activation quantizes alike: llama.cpp's logits to
	// float32 rounding at every position (Q6_K: 0.076 without it).
	q6 := filepath.Join(filepath.Dir(p), "llama_q_Q6_K.gguf")
	// logits --quantize-activations implies it.
	for _, extra := range [][]string{{"--match-llamacpp"}, nil} {
		m, code := runLogits(t, append([]string{"-m", q6, "--ids", strings.Join(ids, ","), "--quantize-activations"}, extra...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d", extra, code)
		}
		if d := diff(m, load("llama_q_Q6_K.logits.json")); d > 1e-4 {
			t.Errorf("Q6_K with --quantize-activations %v: %.3g from llama.cpp's logits, want ≤ 1e-4", extra, d)
		}
	}
	// Positions where the quantized path gives llama.cpp's logits to
	// rounding: all of them with -tags purego; a different float summation
	// order can flip a rounding tie of a later quantization and move a few
	// positions by ~0.03.
	exact := 0
	for i := range q {
		if diff(q[i:i+1], quant[i:i+1]) <= 1e-5 {
			exact++
		}
	}
	t.Logf("float vs llama.cpp on the dequantized twin %.3g; vs llama.cpp on Q8_0: float %.3g, quantized activations %.3g (%d of %d positions within 1e-5)", fd, fq, qq, exact, len(q))
	if fd > 1e-4 || qq >= fq || exact < len(q)*5/6 {
		t.Errorf("float vs twin %.3g (want ≤ 1e-4); quantized activations vs llama.cpp's Q8_0 logits %.3g (float %.3g), %d of %d positions within 1e-5", fd, qq, fq, exact, len(q))
	}
}
