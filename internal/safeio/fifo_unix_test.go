//go:build unix

package safeio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := Open(p)
		if err == nil {
			_, err = ReadFileFS(os.DirFS(dir), "model.safetensors", 10, "")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("Open(FIFO) = %v, want a not-a-regular-file error naming the FIFO", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open on a FIFO blocked")
	}
	_, err := ReadFileFS(os.DirFS(dir), "model.safetensors", 10, "")
	if !errors.Is(err, ErrNotRegular) {
		t.Fatalf("ReadFileFS(FIFO) = %v", err)
	}
}
