package model

import (
	"sync/atomic"
	"testing"
)

// countJob counts how often each index is run.
type countJob struct{ hits []atomic.Int32 }

func (j *countJob) run(lo, hi, _ int) {
	for i := lo; i < hi; i++ {
		j.hits[i].Add(1)
	}
}

// TestPoolCoversOnce: every index of a dispatch runs exactly once,
// whatever the split (equal chunks, half-size tail chunks, groups of 8 or
// 16 rows, ranges that are not multiples of them).
func TestPoolCoversOnce(t *testing.T) {
	for _, threads := range []int{2, 3, 4} {
		p := newPool(threads)
		for _, n := range []int{1, 2, 7, 31, 64, 100, 768, 777, 2304, 4096, 32000} {
			for _, work := range []int{1, 768, 2048, 1 << 16} {
				j := &countJob{hits: make([]atomic.Int32, n)}
				p.parallel(j, n, work)
				for i := range j.hits {
					if h := j.hits[i].Load(); h != 1 {
						t.Fatalf("threads %d, n %d, work %d: index %d ran %d times", threads, n, work, i, h)
					}
				}
			}
		}
		p.close()
	}
}
