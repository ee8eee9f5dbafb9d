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

// transpose writes the [n×m] transpose of the row-major [m×n] matrix a into dst.
func transpose(dst, a []float32, m, n int) {
	const bs = 32
	for i0 := 0; i0 < m; i0 += bs {
		i1 := min(i0+bs, m)
		for j0 := 0; j0 < n; j0 += bs {
			j1 := min(j0+bs, n)
			for i := i0; i < i1; i++ {
				row := a[i*n : i*n+n]
				for j := j0; j < j1; j++ {
					dst[j*m+i] = row[j]
				}
			}
		}
	}
}

// workspace holds reusable scratch buffers.
type workspace struct{ bufs [4][]float32 }

func (ws *workspace) get(i, n int) []float32 {
	if cap(ws.bufs[i]) < n {
		ws.bufs[i] = make([]float32, n)
	}
	return ws.bufs[i][:n]
}
