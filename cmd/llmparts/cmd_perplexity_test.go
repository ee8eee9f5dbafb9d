package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// llamaPerplexity holds llama.cpp's llama-perplexity figures (commit
// c392e5094, Feb 2025, CPU, 1 thread) on the first 8192 bytes of
// tinyshakespeare.txt:
//
//	head -c 8192 tinyshakespeare.txt > shakes8k.txt
//	llama-perplexity -m MODEL -f shakes8k.txt -c CTX -b CTX -t 1
//
// ("Final estimate: PPL = P +/- E" and the number of chunks).
var llamaPerplexity = []struct {
	model       string
	ctx, chunks int
	ppl, stderr float64
}{
	{"archs/llama.gguf", 64, 96, 730.7085, 10.88705},
	{"archs/llama.gguf", 128, 48, 751.0362, 11.41117},
	{"archs/llama.gguf", 256, 24, 741.3861, 11.38042},
	{"archs/llama_q_Q8_0.gguf", 128, 48, 698.0108, 10.22062},
	{"archs/qwen2.gguf", 128, 39, 640.1515, 10.51377},
	{"gguf/llama-2-tiny-random.gguf", 128, 19, 32122.4055, 56.90575},
	// The embedded default model (trained on Go sources, byte-level BPE,
	// context 512), exported by llmparts export --to gguf [--type q8_0]
	// -o FILE.
	{"export:f32", 128, 30, 168.7380, 10.04837},
	{"export:f32", 512, 7, 166.0051, 10.21909},
	{"export:q8_0", 128, 30, 168.9297, 10.05874},
}

// TestPerplexityMatchesLlamaCpp runs `llmparts perplexity --json` on the
// same files and text and checks the figures within 0.5 % (measured
// differences are below 0.02 %; llama.cpp keeps its cache in F16).
func TestPerplexityMatchesLlamaCpp(t *testing.T) {
	text, err := os.ReadFile(testdata.Path(t, "corpus/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "shakes8k.txt")
	if err := os.WriteFile(f, text[:8192], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, g := range llamaPerplexity {
		model := ""
		if typ, ok := strings.CutPrefix(g.model, "export:"); ok {
			model = filepath.Join(t.TempDir(), "default-"+typ+".gguf")
			if r := runBin(t, "", "export", "--to", "gguf", "--type", typ, "-o", model); r.code != 0 {
				t.Fatalf("export: %s", r.stderr)
			}
		} else {
			model = testdata.Path(t, g.model)
		}
		r := runBin(t, "", "perplexity", "-m", model, "-f", f, "-c", strconv.Itoa(g.ctx), "--json", "-t", "2")
		if r.code != 0 {
			t.Fatalf("%s -c %d: exit %d: %s", g.model, g.ctx, r.code, r.stderr)
		}
		var got pplResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%s: %q: %v", g.model, r.stdout, err)
		}
		rel := math.Abs(got.PPL/g.ppl - 1)
		t.Logf("%-30s -c %3d: llmparts %.4f ± %.5f, llama.cpp %.4f ± %.5f (%.4f %%)", g.model, g.ctx, got.PPL, got.StdErr, g.ppl, g.stderr, 100*rel)
		if got.Chunks != g.chunks || got.Scored != g.chunks*(g.ctx-1-g.ctx/2) || rel > 0.005 || math.Abs(got.StdErr/g.stderr-1) > 0.01 {
			t.Errorf("%s -c %d: %+v; llama.cpp %d chunks, PPL %.4f ± %.5f", g.model, g.ctx, got, g.chunks, g.ppl, g.stderr)
		}
	}
	// The plain form and the usage errors.
	r := runBin(t, "", "perplexity", "-m", testdata.Path(t, "archs/llama.gguf"), "-f", f, "-c", "128", "--chunks", "2")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "PPL = ") || !strings.Contains(r.stdout, "2 windows of 128 tokens") {
		t.Errorf("plain: exit %d, %q", r.code, r.stdout)
	}
	for _, args := range [][]string{
		{"perplexity", "-m", testdata.Path(t, "archs/llama.gguf")},
		{"perplexity", "-m", testdata.Path(t, "archs/llama.gguf"), "-f", f, "-c", "4096"},
	} {
		if r := runBin(t, "", args...); r.code != 2 || strings.Count(r.stderr, "\n") > 4 {
			t.Errorf("%v: exit %d, %q", args[3:], r.code, r.stderr)
		}
	}
	if r := runBin(t, "short text", "perplexity", "-m", testdata.Path(t, "archs/llama.gguf"), "-f", "-", "-c", "128"); r.code != 1 || !strings.Contains(r.stderr, "needs at least 256") {
		t.Errorf("short text: exit %d, %q", r.code, r.stderr)
	}
}

// TestBinaryTokenizeStdin: tokenize reads standard input when no TEXT or
// -f is given.
func TestBinaryTokenizeStdin(t *testing.T) {
	gpt2 := testdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf")
	if r := runBin(t, "Hello world\n", "tokenize", "-m", gpt2); r.code != 0 || r.stdout != "[15496,995,198]\n" {
		t.Errorf("stdin: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	if r := runBin(t, "Hello world", "tokenize", "-f", "-", "--model", gpt2); r.code != 0 || r.stdout != "[15496,995]\n" {
		t.Errorf("-f -: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	// A llama2.c model finds its tokenizer beside it.
	if r := runBin(t, "", "tokenize", "Once upon a time", "-m", testdata.Path(t, "llama2c/stories260K.bin")); r.code != 0 || r.stdout != "[1,403,407,261,378]\n" {
		t.Errorf("llama2.c: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
}

// TestPerplexityBitsPerByte: with a vocabulary of byte tokens only (synth
// --vocab 259: <unk>, <s>, </s> and <0x00>…<0xFF>) and a text without
// spaces (SentencePiece turns a space into "▁", three bytes), every token
// is one byte of the text, so the scored bytes equal the scored tokens and
// bits per byte is the mean NLL over ln 2.
func TestPerplexityBitsPerByte(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "bytes.gguf")
	if r := runBin(t, "", "synth", "-o", model, "--dim", "32", "--hidden", "64", "--layers", "1", "--heads", "2", "--vocab", "259", "--ctx", "64"); r.code != 0 {
		t.Fatalf("synth: %s", r.stderr)
	}
	text := strings.Repeat("To-be,or-not-to-be:that-is-the-question.Ça-va?", 40) // 'Ç' is two bytes, two tokens
	r := runBin(t, text, "perplexity", "-m", model, "-f", "-", "-c", "64", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got pplResult
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%q: %v", r.stdout, err)
	}
	want := got.NLL / math.Ln2
	if got.Scored == 0 || got.Bytes != got.Scored || math.Abs(got.BPB-want) > 1e-12*want {
		t.Errorf("%d tokens, %d bytes scored, %.6f bits/byte; want bytes = tokens and %.6f bits/byte", got.Scored, got.Bytes, got.BPB, want)
	}
}
