package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe")
	FIFO(t, p)
	st, err := os.Lstat(p)
	if err != nil || st.Mode().Type() != os.ModeNamedPipe {
		t.Fatalf("Lstat(%s) = %v, %v; want a named pipe", p, st, err)
	}
}

func TestReturns(t *testing.T) {
	want := errors.New("boom")
	if err := Returns(t, time.Minute, "f", func() error { return want }); err != want {
		t.Fatalf("Returns = %v, want f's error %v", err, want)
	}
}
