package model

import (
	"runtime"
	"sync"
)

// job is a unit of work split over index ranges [lo, hi); w < pool.n
// numbers the chunk so a job can use per-worker scratch space.
type job interface{ run(lo, hi, w int) }

type task struct {
	j         job
	lo, hi, w int
}

// pool is a fixed set of worker goroutines. parallel is serialised by mu so
// one pool serves one forward pass at a time; the jobs themselves are
// preallocated structs, so a call allocates nothing.
type pool struct {
	mu    sync.Mutex
	n     int
	tasks chan task
	wg    sync.WaitGroup
}

func newPool(n int) *pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	tasks := make(chan task, n)
	p := &pool{n: n, tasks: tasks}
	for i := 1; i < n; i++ {
		go func() {
			for t := range tasks {
				t.j.run(t.lo, t.hi, t.w)
				p.wg.Done()
			}
		}()
	}
	return p
}

func (p *pool) close() {
	if p.tasks != nil {
		close(p.tasks)
		p.tasks = nil
	}
}

// parallel runs j over [0, n) in up to p.n chunks; work is the cost of
// one index (in multiply-adds) so that small jobs stay on one goroutine.
func (p *pool) parallel(j job, n int, work int) {
	const minWork = 1 << 15
	chunks := p.n
	if total := n * work; total/minWork < chunks {
		chunks = max(1, total/minWork)
	}
	chunks = min(chunks, n)
	if chunks <= 1 {
		j.run(0, n, 0)
		return
	}
	p.mu.Lock()
	p.wg.Add(chunks - 1)
	step := (n + chunks - 1) / chunks
	for c := 1; c < chunks; c++ {
		lo := c * step
		hi := min(n, lo+step)
		if lo >= hi {
			p.wg.Done()
			continue
		}
		p.tasks <- task{j, lo, hi, c}
	}
	j.run(0, min(n, step), 0)
	p.wg.Wait()
	p.mu.Unlock()
}
