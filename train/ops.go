package train

import (
	"runtime"
	"sync"
)

// threads is the number of goroutines the trainer's parallel loops use.
// Results never depend on it: every output element is computed by exactly
// one goroutine in a fixed order.
var threads = runtime.NumCPU()

// SetThreads sets how many goroutines training uses (n < 1: all CPUs).
func SetThreads(n int) {
	if n < 1 {
		n = runtime.NumCPU()
	}
	threads = n
	setKernelThreads(n)
}

// parallelFor runs f(lo, hi) over [0, n) split into at most threads chunks.
func parallelFor(n int, f func(lo, hi int)) {
	t := threads
	if t > n {
		t = n
	}
	if t <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < t; i++ {
		lo, hi := i*n/t, (i+1)*n/t
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
