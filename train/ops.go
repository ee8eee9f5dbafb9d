package train

import (
	"runtime"
	"sync/atomic"

	"github.com/llmparts/llmparts/kernel"
)

// threads is the number of goroutines the trainer's parallel loops use.
// Results never depend on it: work is cut into pieces that depend only on
// the shapes, every output element is computed by exactly one piece in a
// fixed order, and pieces are combined in a fixed order.
var threads = runtime.NumCPU()

// SetThreads sets how many goroutines training uses (n < 1: all CPUs).
func SetThreads(n int) {
	if n < 1 {
		n = runtime.NumCPU()
	}
	threads = n
	setKernelThreads(n)
}

// runParallel calls f(i) for every i in [0, n) on up to threads goroutines
// (the caller and threads−1 helpers) that take indices in turn from a
// shared counter. It returns as soon as every f(i) has finished, without
// waiting for helpers that never got a core (on a busy machine a helper's
// thread may be scheduled milliseconds late; it then finds no work left).
//
// While it runs, the matrix kernels get threads/n goroutines each (at
// least 1), so the pieces do not oversubscribe the cores; the kernels'
// results do not depend on their thread count.
func runParallel(n int, f func(i int)) {
	t := min(threads, n)
	if t <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	kt := kernel.Threads()
	kernel.SetThreads(max(1, threads/n))
	defer kernel.SetThreads(kt)
	var next, done atomic.Int32
	finished := make(chan struct{})
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
			if int(done.Add(1)) == n {
				close(finished)
			}
		}
	}
	for g := 1; g < t; g++ {
		go work()
	}
	work()
	<-finished
}

// parallelFor runs f(lo, hi) over [0, n) split into at most threads
// chunks (used by the reference matrix product in tests).
func parallelFor(n int, f func(lo, hi int)) {
	t := max(1, min(threads, n))
	runParallel(t, func(i int) { f(i*n/t, (i+1)*n/t) })
}
