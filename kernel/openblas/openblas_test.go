//go:build openblas && cgo

package openblas_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/kernel/openblas"
)

// Tolerance. Both implementations compute each element of C in float32 as
// a sum of k products (in different orders: blocked, vectorised, split
// over threads), so each is checked against a float64 reference with the
// classical bound for a float32 dot product,
//
//	|c - ref| ≤ (k+4)·u·S,  u = 2⁻²⁴,  S = |alpha|·Σ_l |op(A)_il·op(B)_lj| + |beta|·|C0_ij|
//
// (k roundings in the sum, a few more for alpha, beta and the final add),
// and against each other with twice that. In practice the errors are far
// below the bound; what the test catches is a wrong index, stride or
// transpose, which is off by O(S), not O(k·u·S).
const u = 1.0 / (1 << 24)

func randMat(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	pad            int // extra elements per row in every stride
	alpha, beta    float32
}

func (c gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s_%dx%dx%d_pad%d_a%g_b%g", t(c.transA), t(c.transB), c.m, c.n, c.k, c.pad, c.alpha, c.beta)
}

func gemmCases() []gemmCase {
	shapes := [][3]int{
		{1, 1, 1}, {17, 33, 65}, {65, 17, 33}, {33, 65, 17},
		{1, 300, 7}, {300, 1, 7}, {7, 5, 300}, // one row, one column, long k
		{145, 200, 600},                 // crosses our MC=144 and KC=512 blocks
		{7, 3100, 5},                    // crosses our NC=1536 twice
		{2, 3, 0}, {0, 5, 3}, {5, 0, 3}, // empty
	}
	var cs []gemmCase
	for _, s := range shapes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, p := range []struct {
					pad         int
					alpha, beta float32
				}{{0, 1, 0}, {3, -0.5, 1}, {1, 2, 0.25}} {
					cs = append(cs, gemmCase{ta, tb, s[0], s[1], s[2], p.pad, p.alpha, p.beta})
				}
			}
		}
	}
	return cs
}

// TestSgemmMatchesKernel runs both Sgemms on every case, with strides
// padded by tc.pad elements, and checks every element against the float64
// reference, and that the padding of C is left alone.
func TestSgemmMatchesKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range gemmCases() {
		t.Run(tc.String(), func(t *testing.T) {
			m, n, k := tc.m, tc.n, tc.k
			ar, ac := m, k
			if tc.transA {
				ar, ac = k, m
			}
			br, bc := k, n
			if tc.transB {
				br, bc = n, k
			}
			lda, ldb, ldc := max(ac, 1)+tc.pad, max(bc, 1)+tc.pad, max(n, 1)+tc.pad
			a := randMat(rng, max(ar*lda-tc.pad, 0))
			b := randMat(rng, max(br*ldb-tc.pad, 0))
			c0 := randMat(rng, max(m*ldc-tc.pad, 0))
			if tc.beta == 0 {
				// With beta = 0, C is not read: NaN must not propagate.
				for i := range c0 {
					c0[i] = float32(math.NaN())
				}
			}
			at := func(i, l int) float64 { // op(A)[i][l]
				if tc.transA {
					return float64(a[l*lda+i])
				}
				return float64(a[i*lda+l])
			}
			bt := func(l, j int) float64 { // op(B)[l][j]
				if tc.transB {
					return float64(b[j*ldb+l])
				}
				return float64(b[l*ldb+j])
			}
			ours := append([]float32(nil), c0...)
			theirs := append([]float32(nil), c0...)
			kernel.Sgemm(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, ours, ldc)
			openblas.Sgemm(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, theirs, ldc)
			bad := 0
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var ref, s float64
					for l := 0; l < k; l++ {
						p := at(i, l) * bt(l, j)
						ref += p
						s += math.Abs(p)
					}
					alpha := float64(tc.alpha)
					ref *= alpha
					s *= math.Abs(alpha)
					if tc.beta != 0 {
						ref += float64(tc.beta) * float64(c0[i*ldc+j])
						s += math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
					}
					tol := float64(k+4) * u * s
					o, th := float64(ours[i*ldc+j]), float64(theirs[i*ldc+j])
					if !(math.Abs(o-ref) <= tol) || !(math.Abs(th-ref) <= tol) || !(math.Abs(o-th) <= 2*tol) {
						if bad++; bad <= 5 {
							t.Errorf("C[%d][%d]: ours %g, OpenBLAS %g, float64 %g (tolerance %.3g)", i, j, o, th, ref, tol)
						}
					}
				}
				// The padding between rows of C must be left alone.
				for j := n; j < ldc && i*ldc+j < len(c0); j++ {
					o, th, want := ours[i*ldc+j], theirs[i*ldc+j], c0[i*ldc+j]
					if !same(o, want) || !same(th, want) {
						t.Errorf("C padding [%d][%d] changed: ours %g, OpenBLAS %g, was %g", i, j, o, th, want)
					}
				}
			}
		})
	}
}

func same(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }

func TestSgemvMatchesKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][2]int{{1, 1}, {17, 33}, {33, 17}, {1, 1000}, {1000, 1}, {0, 5}, {5, 0}, {4099, 515}} {
		m, n := s[0], s[1]
		t.Run(fmt.Sprintf("%dx%d", m, n), func(t *testing.T) {
			a, x := randMat(rng, m*n), randMat(rng, n)
			ours, theirs := make([]float32, m), make([]float32, m)
			for i := range ours {
				ours[i], theirs[i] = float32(math.NaN()), float32(math.NaN()) // y is output only
			}
			kernel.Sgemv(ours, a, x, m, n)
			openblas.Sgemv(theirs, a, x, m, n)
			bad := 0
			for i := 0; i < m; i++ {
				var ref, sum float64
				for j := 0; j < n; j++ {
					p := float64(a[i*n+j]) * float64(x[j])
					ref += p
					sum += math.Abs(p)
				}
				tol := float64(n+4) * u * sum
				o, th := float64(ours[i]), float64(theirs[i])
				if !(math.Abs(o-ref) <= tol) || !(math.Abs(th-ref) <= tol) || !(math.Abs(o-th) <= 2*tol) {
					if bad++; bad <= 5 {
						t.Errorf("y[%d]: ours %g, OpenBLAS %g, float64 %g (tolerance %.3g)", i, o, th, ref, tol)
					}
				}
			}
		})
	}
}

// TestShapePanics checks that the wrappers reject what kernel rejects, so a
// wrong shape never reaches OpenBLAS (which would read out of bounds).
func TestShapePanics(t *testing.T) {
	ok := make([]float32, 12)
	short := make([]float32, 11)
	cases := []struct {
		name string
		f    func()
	}{
		{"Sgemm short A", func() { openblas.Sgemm(false, false, 3, 4, 4, 1, short, 4, ok, 4, 0, ok, 4) }},
		{"Sgemm short B", func() { openblas.Sgemm(false, true, 3, 4, 3, 1, ok, 3, short, 3, 0, ok, 4) }},
		{"Sgemm short C", func() { openblas.Sgemm(true, false, 3, 4, 3, 1, ok, 3, ok, 4, 0, short, 4) }},
		{"Sgemm small stride", func() { openblas.Sgemm(false, false, 3, 4, 4, 1, ok, 3, ok, 4, 0, ok, 4) }},
		{"Sgemv short a", func() { openblas.Sgemv(make([]float32, 3), short, make([]float32, 4), 3, 4) }},
		{"Sgemv short y", func() { openblas.Sgemv(make([]float32, 2), ok, make([]float32, 4), 3, 4) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", c.name)
				} else if !strings.HasPrefix(fmt.Sprint(r), "kernel/openblas: ") {
					t.Errorf("%s: panic %q does not name the package", c.name, r)
				}
			}()
			c.f()
		}()
	}
}

func TestThreadsAndConfig(t *testing.T) {
	cfg := openblas.Config()
	if !strings.Contains(cfg, "OpenBLAS") {
		t.Errorf("Config() = %q, want it to name OpenBLAS", cfg)
	}
	t.Logf("config %q, core %q, %d threads", cfg, openblas.CoreName(), openblas.Threads())
	old := openblas.Threads()
	defer openblas.SetThreads(old)
	openblas.SetThreads(1)
	if got := openblas.Threads(); got != 1 {
		t.Errorf("after SetThreads(1), Threads() = %d", got)
	}
	openblas.SetThreads(0) // no-op
	if got := openblas.Threads(); got != 1 {
		t.Errorf("after SetThreads(0), Threads() = %d, want it unchanged (1)", got)
	}
}

// The benchmarks give both sides GOMAXPROCS threads, so
// `go test -tags openblas -run '^$' -bench . -cpu 1,2 ./kernel/openblas/`
// compares them single- and multi-threaded.

func setThreads(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	kernel.SetThreads(n)
	openblas.SetThreads(n)
	b.Cleanup(func() { kernel.SetThreads(0) })
}

// quiesce waits for idle OpenBLAS threads, which spin for a while after a
// call, to go to sleep before our kernel is timed.
func quiesce(b *testing.B) {
	b.StopTimer()
	time.Sleep(150 * time.Millisecond)
	b.StartTimer()
}

func benchGemm(b *testing.B, f func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int), ours bool) {
	const n = 1024
	setThreads(b)
	rng := rand.New(rand.NewPCG(5, 6))
	a, bb, c := randMat(rng, n*n), randMat(rng, n*n), make([]float32, n*n)
	f(false, false, n, n, n, 1, a, n, bb, n, 0, c, n) // warm up
	if ours {
		quiesce(b)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f(false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemm1024(b *testing.B) {
	b.Run("ours", func(b *testing.B) { benchGemm(b, kernel.Sgemm, true) })
	b.Run("openblas", func(b *testing.B) { benchGemm(b, openblas.Sgemm, false) })
}

func benchGemv(b *testing.B, f func(y, a, x []float32, m, n int), ours bool) {
	const n = 4096
	setThreads(b)
	rng := rand.New(rand.NewPCG(7, 8))
	a, x, y := randMat(rng, n*n), randMat(rng, n), make([]float32, n)
	f(y, a, x, n, n)
	if ours {
		quiesce(b)
	}
	b.SetBytes(4 * n * n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f(y, a, x, n, n)
	}
	b.ReportMetric(2*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemv4096(b *testing.B) {
	b.Run("ours", func(b *testing.B) { benchGemv(b, kernel.Sgemv, true) })
	b.Run("openblas", func(b *testing.B) { benchGemv(b, openblas.Sgemv, false) })
}
