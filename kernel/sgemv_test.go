package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSgemvStream checks SgemvStream (the kernel chosen at start-up and
// the pure-Go row dots) against a float64 reference, on shapes around the
// kernels' widths.
func TestSgemvStream(t *testing.T) {
	saved := sgemvStreamImpl
	defer func() { sgemvStreamImpl = saved }()
	for name, fn := range map[string]func(y, a, x []float32, n int){"generic": sgemvRowsGeneric, Impl(): saved} {
		t.Run(name, func(t *testing.T) {
			sgemvStreamImpl = fn
			rng := rand.New(rand.NewPCG(31, 32))
			for _, m := range []int{0, 1, 3, 4, 5, 17, 300} {
				for _, n := range []int{0, 1, 15, 16, 31, 32, 33, 64, 100, 768} {
					a, x := offset(randVec(rng, m*n)), offset(randVec(rng, n))
					y := make([]float32, m)
					SgemvStream(y, a, x, m, n)
					checkGemvRef(t, "SgemvStream", y, a, x, m, n)
				}
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("SgemvStream with len(a) != m·n: no panic")
		}
	}()
	SgemvStream(make([]float32, 2), make([]float32, 5), make([]float32, 3), 2, 3)
}

// checkGemvRef checks y = A·x (A m×n) against a float64 reference.
func checkGemvRef(t *testing.T, what string, y, a, x []float32, m, n int) {
	t.Helper()
	for i := 0; i < m; i++ {
		want, abs := refDot(a[i*n:i*n+n], x)
		if !near(y[i], want, sumTol(n, abs)) {
			t.Fatalf("%s %dx%d row %d: got %v want %v", what, m, n, i, y[i], want)
		}
	}
}

// BenchmarkSgemvStream compares, as a model's decode calls them (row
// blocks of up to 1 MiB on each of Threads() goroutines), Sgemv's
// several-row kernel and SgemvStream on rows of 768 to 4096 floats (the 134M
// model's are 768 and 2048), 12 copies of each so the weights stream from
// memory.
func BenchmarkSgemvStream(b *testing.B) {
	for _, shape := range [][2]int{{2048, 768}, {2048, 1024}, {2048, 1536}, {2048, 2048}, {2048, 4096}} {
		m, n := shape[0], shape[1]
		const copies = 12
		as := make([][]float32, copies)
		for i := range as {
			as[i] = benchVec(m * n)
		}
		x, y := benchVec(n), make([]float32, m)
		step := max(1, (1<<20-1)/(4*n))
		for _, v := range []struct {
			name string
			fn   func(y, a, x []float32, m, n int)
		}{{"rows", func(y, a, x []float32, m, n int) { sgemvRowsImpl(y, a, x, n) }}, {"stream", SgemvStream}} {
			b.Run(fmt.Sprintf("%s/%dx%d", v.name, m, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					a := as[i%copies]
					parallelForT(Threads(), m, step, func(lo, hi int) {
						for r0 := lo; r0 < hi; r0 += step {
							r1 := min(hi, r0+step)
							v.fn(y[r0:r1], a[r0*n:r1*n], x, r1-r0, n)
						}
					})
					i++
				}
				b.ReportMetric(4*float64(m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
