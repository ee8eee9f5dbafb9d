package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	stories, _ := os.ReadFile(testdata.Path(t, "llama2c/stories260K.bin"))
	tiny, _ := os.ReadFile(testdata.Path(t, "gguf/llama-2-tiny-random.gguf"))
	cases := map[string][]byte{
		"empty.bin":      {},
		"short.bin":      {1, 2},
		"truncated.bin":  stories[:len(stories)/2],
		"garbage.bin":    []byte(strings.Repeat("not a model at all ", 10)),
		"truncated.gguf": tiny[:len(tiny)/2],
		"header.gguf":    tiny[:30],
	}
	for name, data := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(p, Options{Threads: 1})
		if err == nil {
			m.Close()
			t.Errorf("%s: loaded without error", name)
			continue
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.bin"), Options{}); err == nil {
		t.Error("missing file loaded")
	}
	// A folder without config.json.
	if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty folder: %v", err)
	}
}
