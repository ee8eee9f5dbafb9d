//go:build unix

package testutil

import (
	"syscall"
	"testing"
)

// FIFO makes a named pipe at path, skipping the test where the system
// cannot make one.
func FIFO(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
}
