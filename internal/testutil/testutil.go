// Package testutil holds test set-up that several packages' tests share,
// written once: a named pipe to feed a loader (FIFO) and a call that must
// come back within a deadline instead of blocking for ever (Returns).
package testutil

import (
	"testing"
	"time"
)

// Returns runs f in its own goroutine and returns its error; the test fails
// at once, naming what, if f has not returned within d (a read of a FIFO or
// a device that would never end).
func Returns(t testing.TB, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s hangs (no return within %v)", what, d)
		return nil
	}
}
