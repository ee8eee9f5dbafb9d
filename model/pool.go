package model

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// job is a unit of work split over index ranges [lo, hi); w < pool.n
// numbers the goroutine running it (0 is the caller) so a job can use
// per-worker scratch space.
type job interface{ run(lo, hi, w int) }

// pool is a fixed set of worker goroutines. A call to parallel cuts its
// range into chunks that the caller and the workers claim in turn from a
// shared counter: a goroutine whose core is busy with another process
// takes fewer chunks instead of holding the others up (on a loaded
// machine an even split waits for the slowest core), and the caller never
// waits for a worker that has not started yet. parallel is serialised by
// mu so one pool serves one forward pass at a time; the jobs themselves
// are preallocated structs, so a call allocates nothing.
type pool struct {
	mu   sync.Mutex
	n    int
	wake chan struct{}

	// state packs the dispatch generation (high 32 bits), its number of
	// chunks (16 bits) and the next unclaimed chunk (low 16 bits). A
	// worker claims a chunk with a compare-and-swap, so a worker that
	// wakes late, after its dispatch has finished, cannot claim a chunk of
	// the next one by mistake: it sees another generation, or claims a
	// chunk of the current one, whose fields below are then stable (the
	// caller waits for every claimed chunk).
	state atomic.Uint64
	done  atomic.Int64 // chunks of the current dispatch finished
	// sleeping counts workers parked on wake. A worker spins for spinWait
	// after its last chunk (the next dispatch of a token follows within
	// microseconds) and parks only then, so most dispatches start without
	// waking a thread.
	sleeping atomic.Int32
	j        job
	n0       int // range length
	per      int // indices per chunk
}

const maxChunks = 1 << 12

func newPool(n int) *pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &pool{n: n, wake: make(chan struct{}, 4*n)}
	for i := 1; i < n; i++ {
		go p.worker(i, p.wake)
	}
	return p
}

func (p *pool) close() {
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
}

const spinWait = 50 * time.Microsecond

func (p *pool) worker(w int, wake chan struct{}) {
	for {
		p.work(w)
		// Spin until a dispatch has an unclaimed chunk or spinWait passes.
		start := time.Now()
		for i := 0; ; i++ {
			if p.pending() {
				break
			}
			if i&63 == 63 && time.Since(start) > spinWait {
				p.sleeping.Add(1)
				if p.pending() { // published before we said we sleep
					p.sleeping.Add(-1)
					break
				}
				_, ok := <-wake
				p.sleeping.Add(-1)
				if !ok {
					return
				}
				break
			}
		}
	}
}

// pending reports whether the current dispatch has an unclaimed chunk.
func (p *pool) pending() bool {
	v := p.state.Load()
	return int(v&0xffff) < int(v>>16&0xffff)
}

// work claims and runs chunks of the current dispatch until none is left.
func (p *pool) work(w int) {
	for {
		v := p.state.Load()
		total, next := int(v>>16&0xffff), int(v&0xffff)
		if next >= total {
			return
		}
		if !p.state.CompareAndSwap(v, v+1) {
			continue
		}
		lo := next * p.per
		p.j.run(lo, min(p.n0, lo+p.per), w)
		p.done.Add(1)
	}
}

// parallel runs j over [0, n); work is the cost of one index (in
// multiply-adds) so that small jobs stay on one goroutine and large ones
// get chunks of about chunkWork.
func (p *pool) parallel(j job, n int, work int) {
	const (
		minWork   = 1 << 15 // below 2·minWork: one goroutine
		chunkWork = 1 << 17
	)
	total := n * work
	if p.n <= 1 || n <= 1 || total < 2*minWork {
		j.run(0, n, 0)
		return
	}
	chunks := max(total/chunkWork, 4*p.n)
	chunks = min(chunks, n, maxChunks)
	per := (n + chunks - 1) / chunks
	switch {
	case per >= 64:
		per = (per + 15) &^ 15 // whole groups of rows for the GEMV kernels (16 for the AVX-512 VNNI ones)
	case per >= 32:
		per = (per + 7) &^ 7
	}
	chunks = (n + per - 1) / per
	p.mu.Lock()
	p.j, p.n0, p.per = j, n, per
	p.done.Store(0)
	gen := p.state.Load()>>32 + 1
	p.state.Store(gen<<32 | uint64(chunks)<<16)
	for i := p.sleeping.Load(); i > 0; i-- {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	p.work(0)
	for spins := 0; p.done.Load() < int64(chunks); spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
	p.j = nil
	p.mu.Unlock()
}
