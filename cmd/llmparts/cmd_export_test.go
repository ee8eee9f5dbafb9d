package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/model"
)

// TestExportDefaultModel exports the embedded model to each format and
// loads every result back.
func TestExportDefaultModel(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ to, out, typ string }{
		{"gguf", "dm.gguf", "q8_0"}, {"hf", "dm-hf", "f16"}, {"llama2c", "dm.bin", "f32"},
	} {
		p := filepath.Join(dir, c.out)
		if err := runExport("", c.to, p, c.typ); err != nil {
			t.Fatalf("%s: %v", c.to, err)
		}
		m, err := model.Load(p, model.Options{KeepMapped: true})
		if err != nil {
			t.Fatalf("%s: %v", c.to, err)
		}
		if m.Config.VocabSize != 2048 || m.Config.NLayers != 4 {
			t.Errorf("%s: vocab %d, layers %d", c.to, m.Config.VocabSize, m.Config.NLayers)
		}
		m.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "dm-hf", "tokenizer.json")); err != nil {
		t.Error(err)
	}
}

func TestExportFlagErrors(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x")
	for _, c := range []struct {
		in, to, out, typ, want string
	}{
		{"", "onnx", x, "f32", "want gguf, hf or llama2c"},
		{"", "gguf", x, "q7_0", "--type"},
		{"", "hf", x, "q8_0", "f32, f16 or bf16"},
		{"", "llama2c", x, "f16", "float32"},
		{"", "gguf", dir, "f32", "is a folder"},
		{filepath.Join(dir, "missing"), "gguf", x, "f32", "missing"},
	} {
		err := runExport(c.in, c.to, c.out, c.typ)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error mentioning %q", c, err, c.want)
		}
	}
}
