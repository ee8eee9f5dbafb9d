package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func TestGGUFDumpTiny(t *testing.T) {
	var buf bytes.Buffer
	if err := dumpGGUF(&buf, testdata.Path(t, "gguf/llama-2-tiny-random.gguf"), 3); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"version:    3, 1750560 bytes, alignment 32, data at offset 724416",
		`general.architecture                         string         "llama"`,
		`tokenizer.ggml.tokens                        string[32000]  ["<unk>", "<s>", "</s>", … 31997 more]`,
		"tensors:    12, 513048 elements",
		"token_embd.weight                            F16     [8, 32000] 512000 bytes at +0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if err := runGGUF(nil); err != exitCode(2) {
		t.Errorf("no arguments: %v", err)
	}
	if err := runGGUF([]string{"/nonexistent.gguf"}); err == nil {
		t.Error("missing file accepted")
	}
	// A negative -n printed every element, as -all does.
	if err := runGGUF([]string{"-n", "-1", "/nonexistent.gguf"}); err != exitCode(2) {
		t.Errorf("-n -1: %v", err)
	}
}
