package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/tokenizer"
)

func runTok(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var b bytes.Buffer
	old := tokenizeOut
	tokenizeOut = &b
	defer func() { tokenizeOut = old }()
	code := run(args)
	return strings.TrimSpace(b.String()), code
}

func TestTokenizeCommand(t *testing.T) {
	spm := testdata.Path(t, "vocab/ggml-vocab-llama-spm.gguf")
	gpt2 := testdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf")
	ckpt := testdata.Path(t, "llama2c/stories260K.bin")
	tok512 := testdata.Path(t, "llama2c/tok512.model")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tokenize", "-m", spm, "Hello world"}, "[1,15043,3186]"},
		{[]string{"tokenize", "-m", spm, "--no-bos", "Hello world"}, "[15043,3186]"},
		{[]string{"tokenize", "-m", spm, "<s>Hi", "--parse-special"}, "[1,1,6324]"},
		{[]string{"tokenize", "-m", gpt2, "Hello world"}, "[15496,995]"},
		{[]string{"tokenize", "-m", ckpt, "Once upon a time"}, "[1,403,407,261,378]"},
		{[]string{"tokenize", "-m", ckpt, "--tokenizer", tok512, "Once upon a time"}, "[1,403,407,261,378]"},
	} {
		got, code := runTok(t, c.args...)
		if code != 0 || got != c.want {
			t.Errorf("%v: got %q (exit %d), want %q", c.args[3:], got, code, c.want)
		}
	}
	if got, code := runTok(t, "tokenize", "-m", testdata.Path(t, "vocab/ggml-vocab-bert-bge.gguf"), "Hello, World!"); code != 0 || got != "[101,7592,1010,2088,999,102]" {
		t.Errorf("bert-bge (WordPiece): %q exit %d", got, code)
	}
	if _, code := runTok(t, "tokenize", "-m", filepath.Join(t.TempDir(), "missing.gguf"), "x"); code != 1 {
		t.Errorf("missing model: exit %d, want 1", code)
	}
	// Every vocabulary file of the shared folder tokenizes.
	vocabs, _ := filepath.Glob(filepath.Join(filepath.Dir(gpt2), "*.gguf"))
	for _, v := range vocabs {
		got, code := runTok(t, "tokenize", "-m", v, "--parse-special", "Hello <s> world 123!")
		if code != 0 || !strings.HasPrefix(got, "[") || len(got) < 10 {
			t.Errorf("%s: %q exit %d", filepath.Base(v), got, code)
		}
	}
	// --file bytes verbatim, and a checkpoint folder with a "current" pointer.
	dir := t.TempDir()
	f := filepath.Join(dir, "in.txt")
	os.WriteFile(f, []byte("Hello world\n"), 0o644)
	if got, _ := runTok(t, "tokenize", "-m", gpt2, "--file", f); got != "[15496,995,198]" {
		t.Errorf("--file: %q", got)
	}
	os.MkdirAll(filepath.Join(dir, "ck", "step-10"), 0o755)
	os.WriteFile(filepath.Join(dir, "ck", "current"), []byte("step-10\n"), 0o644)
	if err := tokenizer.NewChar("abc").Save(filepath.Join(dir, "ck", "step-10", "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	if got, _ := runTok(t, "tokenize", "-m", filepath.Join(dir, "ck"), "cab"); got != "[2,0,1]" {
		t.Errorf("checkpoint folder: %q", got)
	}
	out, code := runTok(t, "bench", "tokenize", "-m", gpt2, "--file", f, "--json")
	if code != 0 || !strings.Contains(out, `"tokens":3`) || !strings.Contains(out, `"round_trip":true`) {
		t.Errorf("bench: %q (exit %d)", out, code)
	}
}
