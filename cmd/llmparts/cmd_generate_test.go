package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// capture runs the command line with stdout and stderr redirected to
// files and returns what was written and the exit status.
func capture(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	dir := t.TempDir()
	of, _ := os.Create(filepath.Join(dir, "out"))
	ef, _ := os.Create(filepath.Join(dir, "err"))
	so, se := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = of, ef
	code = run(args)
	os.Stdout, os.Stderr = so, se
	of.Close()
	ef.Close()
	o, _ := os.ReadFile(filepath.Join(dir, "out"))
	e, _ := os.ReadFile(filepath.Join(dir, "err"))
	return string(o), string(e), code
}

const lilyStory = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."

func TestGenerateStories(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	out, errs, code := capture(t, "generate", "-m", p, "-p", "Once upon a time", "-n", "40", "--temp", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, lilyStory) {
		t.Fatalf("stdout = %q, want it to start with %q", out, lilyStory)
	}
	if !strings.Contains(errs, "tok/s") || !strings.Contains(errs, "tok512.bin") {
		t.Errorf("stderr lacks statistics or tokenizer note: %s", errs)
	}
	// Same again with an explicit tokenizer and a seed: sampling with a
	// fixed seed is reproducible.
	tk := testdata.Path(t, "llama2c/tok512.bin")
	a, _, _ := capture(t, "generate", "-m", p, "--tokenizer", tk, "-p", "Tim had a", "-n", "30", "--seed", "7")
	b, _, _ := capture(t, "generate", "-m", p, "--tokenizer", tk, "-p", "Tim had a", "-n", "30", "--seed", "7")
	if a != b || !strings.HasPrefix(a, "Tim had a") || len(a) <= len("Tim had a") {
		t.Fatalf("seeded runs differ or lack the prompt: %q vs %q", a, b)
	}
}

func TestGenerateNoPrompt(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	out, errs, code := capture(t, "generate", "-m", p, "-n", "20", "--temp", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out == "" || out[0] == ' ' {
		t.Fatalf("stdout = %q: want text without a leading space", out)
	}
}

func TestGenerateContextLimit(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	out, errs, code := capture(t, "generate", "-m", p, "-p", "Once upon a time", "-n", "2000", "--temp", "1", "--seed", "1", "--min-p", "0", "--top-k", "0", "--top-p", "1", "--no-context-shift")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "Once upon a time") {
		t.Fatalf("stdout = %q", out)
	}
	if !strings.Contains(errs, "stopped:") {
		t.Errorf("stderr does not say why it stopped: %s", errs)
	}
}

func TestGenerateErrors(t *testing.T) {
	if _, _, code := capture(t, "generate", "-m", filepath.Join(t.TempDir(), "none.bin")); code != 1 {
		t.Errorf("missing model: exit %d, want 1", code)
	}
	if _, _, code := capture(t, "generate", "--bogus"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
}

func TestInfoStories(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	out, errs, code := capture(t, "info", "-m", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"layers:         5", "dim:            64", "8 query, 4 key/value, head dim 8", "vocab:          512", "parameters:     260032", "F32 ×36"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchGenerateJSON(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	out, errs, code := capture(t, "bench", "generate", "-m", p, "--prompt-tokens", "16", "--tokens", "16", "-r", "1", "--threads", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if r["prompt_tokens_per_sec"] <= 0 || r["decode_tokens_per_sec"] <= 0 || r["threads"] != 1 {
		t.Fatalf("json %v", r)
	}
}

func TestGenerateDefaultModel(t *testing.T) {
	out, errs, code := capture(t, "generate", "-n", "20", "--seed", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, defaultPrompt) || len(out) <= len(defaultPrompt) || !strings.Contains(errs, "generated: 20 tokens") {
		t.Fatalf("stdout = %q: want the default prompt and 20 tokens; stderr %s", out, errs)
	}
	if !strings.Contains(errs, "embedded default model") {
		t.Errorf("stderr = %s", errs)
	}
}

func TestGeneratePromptFileAndSpecial(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	f := filepath.Join(t.TempDir(), "prompt.txt")
	os.WriteFile(f, []byte("Once upon a time"), 0o644)
	out, errs, code := capture(t, "generate", "-m", p, "-f", f, "-n", "40", "--temp", "0")
	if code != 0 || !strings.HasPrefix(out, lilyStory) {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errs)
	}
	// With --parse-special a written "<s>" is the BOS token, so the
	// continuation is the same as for the prompt without it.
	out2, errs, code := capture(t, "generate", "-m", p, "-p", "<s>Once upon a time", "--parse-special", "-n", "10", "--temp", "0")
	if code != 0 || !strings.HasPrefix(out2, "<s>Once upon a time, there was") {
		t.Fatalf("exit %d, stdout %q: %s", code, out2, errs)
	}
}

func TestGenerateGGUF(t *testing.T) {
	p := testdata.Path(t, "gguf/llama-2-tiny-random.gguf")
	out, errs, code := capture(t, "generate", "-m", p, "-p", "Hello world", "-n", "8", "--temp", "0")
	if code != 0 || !strings.HasPrefix(out, "Hello world") || len(out) <= len("Hello world") {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errs)
	}
	again, _, _ := capture(t, "generate", "-m", p, "-p", "Hello world", "-n", "8", "--temp", "0")
	if again != out {
		t.Fatalf("greedy runs differ: %q vs %q", out, again)
	}
	info, _, code := capture(t, "info", "-m", p)
	if code != 0 || !strings.Contains(info, "F16 ×9") || !strings.Contains(info, "llama, 32000 tokens") {
		t.Fatalf("info:\n%s", info)
	}
}

// TestGenerateContextShift: the embedded model (context 512) writes 2000
// tokens by shifting its context.
func TestGenerateContextShift(t *testing.T) {
	out, errs, code := capture(t, "generate", "-n", "2000", "--seed", "2")
	if code != 0 || !strings.Contains(errs, "context shifts: ") || !strings.Contains(errs, "generated: 2000 tokens") {
		t.Fatalf("exit %d, %d bytes, stderr %s", code, len(out), errs)
	}
	if n := len([]rune(out)); n < 2000 {
		t.Errorf("%d characters written, want prompt + 2000", n)
	}
}
