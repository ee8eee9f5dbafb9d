//go:build unix

package safeio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/internal/testutil"
)

func TestFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	testutil.FIFO(t, p)
	err := testutil.Returns(t, 5*time.Second, "Open(FIFO)", func() error {
		_, _, err := Open(p)
		if err == nil {
			_, err = ReadFileFS(os.DirFS(dir), "model.safetensors", 10, "")
		}
		return err
	})
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "FIFO") {
		t.Fatalf("Open(FIFO) = %v, want a not-a-regular-file error naming the FIFO", err)
	}
	_, err = ReadFileFS(os.DirFS(dir), "model.safetensors", 10, "")
	if !errors.Is(err, ErrNotRegular) {
		t.Fatalf("ReadFileFS(FIFO) = %v", err)
	}
}
