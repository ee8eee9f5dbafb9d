//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU returns the user + system CPU time of this process so far
// (ok false where it is not known).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
