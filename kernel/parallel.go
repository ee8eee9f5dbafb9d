package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var nThreads atomic.Int32

func init() { nThreads.Store(int32(runtime.NumCPU())) }

// SetThreads sets how many goroutines the multi-core kernels (Sgemv,
// MatMulT, Sgemm, GemvQ8_0, GemvQ4_0) may use. n < 1 restores the default,
// runtime.NumCPU().
func SetThreads(n int) {
	if n < 1 {
		n = runtime.NumCPU()
	}
	nThreads.Store(int32(n))
}

// Threads reports the number of goroutines the multi-core kernels may use.
func Threads() int { return int(nThreads.Load()) }

// parallelMinBytes is the amount of memory traffic per call below which a
// kernel stays on one goroutine: handing work to another core costs a few
// microseconds, which only pays off above about 1 MiB.
const parallelMinBytes = 1 << 20

// parallelFor splits [0, n) into at most Threads() contiguous chunks whose
// boundaries are multiples of align (except the last) and calls fn on each,
// concurrently. work is the number of bytes the whole call moves; below
// parallelMinBytes everything runs on the calling goroutine.
func parallelFor(n, align int, work int, fn func(lo, hi int)) {
	t := Threads()
	if work < parallelMinBytes {
		t = 1
	}
	parallelForT(t, n, align, fn)
}

// parallelForT is parallelFor with an explicit goroutine count t. The
// range is cut into about 4·t chunks (multiples of align) that t goroutines
// (the caller and t−1 others) take in turn from a shared counter, so a
// goroutine whose core is busy with something else takes fewer chunks
// instead of holding the others up.
func parallelForT(t, n, align int, fn func(lo, hi int)) {
	if align < 1 {
		align = 1
	}
	chunks := (n + align - 1) / align
	if t > chunks {
		t = chunks
	}
	if t <= 1 {
		fn(0, n)
		return
	}
	parallelChunks(t, n, align, 4*t, fn)
}

// parallelChunks runs fn on nChunks contiguous pieces of [0, n) of as
// equal a number of align-sized units as possible (boundaries are
// multiples of align, except the end), taken in turn by t goroutines (the
// caller and t−1 others) from a shared counter. With nChunks a multiple of
// t every goroutine gets the same amount of work when all cores are free.
func parallelChunks(t, n, align, nChunks int, fn func(lo, hi int)) {
	units := (n + align - 1) / align
	nChunks = min(nChunks, units)
	t = min(t, nChunks)
	if t <= 1 {
		fn(0, n)
		return
	}
	bound := func(c int) int { return min(c*units/nChunks*align, n) }
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= nChunks {
				return
			}
			fn(bound(c), bound(c+1))
		}
	}
	var wg sync.WaitGroup
	wg.Add(t - 1)
	for i := 1; i < t; i++ {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
