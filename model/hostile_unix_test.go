//go:build unix

package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/internal/testutil"
)

// TestHostileModelPaths (items 5, 6): devices, FIFOs and symbolic links to
// them are refused at once with the path in the message.
func TestHostileModelPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.gguf")
	testutil.FIFO(t, fifo)
	link := filepath.Join(dir, "zero.bin")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", fifo, link} {
		err := testutil.Returns(t, 5*time.Second, "Load("+p+")", func() error { _, err := Load(p, Options{}); return err })
		if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), p) {
			t.Errorf("Load(%s) = %v", p, err)
		}
	}
}

// TestHostileCheckpointFolder (items 5, 6): a checkpoint folder whose
// files are FIFOs, links to /dev/zero or oversized is refused quickly.
func TestHostileCheckpointFolder(t *testing.T) {
	src := "../defaultmodel/model"
	copyDir := func() string {
		dir := t.TempDir()
		for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Skipf("default model files not found: %v", err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	for _, tc := range []struct {
		name string
		make func(dir string) error
		want string
	}{
		{"model.safetensors FIFO", func(d string) error {
			os.Remove(filepath.Join(d, "model.safetensors"))
			testutil.FIFO(t, filepath.Join(d, "model.safetensors"))
			return nil
		}, "model.safetensors: not a regular file: it is a named pipe (FIFO)"},
		{"config.json → /dev/zero", func(d string) error {
			os.Remove(filepath.Join(d, "config.json"))
			return os.Symlink("/dev/zero", filepath.Join(d, "config.json"))
		}, "config.json: not a regular file: it is a character device"},
		{"current → /dev/zero", func(d string) error {
			// A training output folder (no config.json of its own).
			os.Remove(filepath.Join(d, "config.json"))
			return os.Symlink("/dev/zero", filepath.Join(d, "current"))
		}, "current: not a regular file: it is a character device"},
		{"config.json of 20 MB", func(d string) error {
			return os.WriteFile(filepath.Join(d, "config.json"), make([]byte, 20<<20), 0o644)
		}, "config.json: too large: 20971520 bytes is more than the 16 MiB limit for a JSON config file"},
	} {
		dir := copyDir()
		if err := tc.make(dir); err != nil {
			t.Skip(err)
		}
		err := testutil.Returns(t, 10*time.Second, tc.name+": Load", func() error { _, err := Load(dir, Options{Threads: 1}); return err })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
