package main

import (
	"bytes"
	"errors"
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
	if err := execute([]string{"gguf"}); !isUsage(err) {
		t.Errorf("no arguments: %v", err)
	}
	if err := execute([]string{"gguf", "/nonexistent.gguf"}); err == nil {
		t.Error("missing file accepted")
	}
	// A negative -n printed every element, as -all does.
	if err := execute([]string{"gguf", "-n", "-1", "/nonexistent.gguf"}); !isUsage(err) {
		t.Errorf("-n -1: %v", err)
	}
}

// isUsage reports whether err is a command-line usage error (exit status 2).
func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}
