//go:build !unix

package kernel

import "time"

var start = time.Now()

// cpuTime is wall time since the test binary started where the process's
// CPU time is not read (the cpu- figures are then wall-clock ones).
func cpuTime() time.Duration { return time.Since(start) }
