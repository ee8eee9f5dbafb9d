package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func checkMat64(t *testing.T, what string, got []float32, ld, n int, want, bound []float64, k int) {
	t.Helper()
	for i := range want {
		r, c := i/n, i%n
		g := got[r*ld+c]
		if !near(g, want[i], sumTol(k+2, bound[i])) {
			t.Fatalf("%s: C[%d][%d] = %v, want %v (bound %g)", what, r, c, g, want[i], bound[i])
		}
	}
}

// TestSgemv checks every Sgemv kernel the CPU has against a float64
// reference, on shapes around the kernels' row and vector widths.
func TestSgemv(t *testing.T) {
	saved := sgemvRowsImpl
	defer func() { sgemvRowsImpl = saved }()
	for name, fn := range sgemvTestVariants() {
		t.Run(name, func(t *testing.T) {
			sgemvRowsImpl = fn
			rng := rand.New(rand.NewPCG(9, 10))
			for _, m := range []int{0, 1, 3, 4, 5, 8, 9, 17, 33, 300} {
				for _, n := range []int{0, 1, 7, 16, 17, 31, 32, 33, 65, 96, 257} {
					a, x := offset(randVec(rng, m*n)), offset(randVec(rng, n))
					y := make([]float32, m)
					Sgemv(y, a, x, m, n)
					checkGemvRef(t, "Sgemv", y, a, x, m, n)
				}
			}
			// Large enough to be split over goroutines.
			m, n := 700, 513
			a, x := randVec(rng, m*n), randVec(rng, n)
			y := make([]float32, m)
			Sgemv(y, a, x, m, n)
			checkGemvRef(t, "Sgemv", y, a, x, m, n)
		})
	}
}

func TestSgemm(t *testing.T) { forGemmFamilies(t, testSgemm) }

func testSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][3]int{{1, 1, 1}, {6, 16, 1}, {7, 17, 5}, {5, 15, 3}, {13, 33, 70}, {64, 64, 64}, {1, 40, 300}, {50, 3, 260}, {150, 70, 513}, {0, 5, 5}, {5, 0, 5}, {5, 5, 0}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					alpha, beta := ab[0], ab[1]
					lda, ldb, ldc := k+3, n+1, n+2
					ar, br := m, k
					if ta {
						lda, ar = m+2, k
					}
					if tb {
						ldb, br = k+1, n
					}
					a := offset(randVec(rng, ar*lda))
					b := offset(randVec(rng, br*ldb))
					c := offset(randVec(rng, m*ldc))
					want, bound := refSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					if beta == 0 && m*ldc > 0 {
						c[0] = float32(math.NaN()) // must not propagate
					}
					Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					checkMat64(t, "Sgemm", c, ldc, n, want, bound, k)
				}
			}
		}
	}
	// A product large enough to use several goroutines, both split ways.
	// {30, 1600, 40} and {64, 1600, 70} cross NC (1536) on one goroutine
	// and on several.
	for _, s := range [][3]int{{300, 200, 300}, {100, 400, 300}, {20, 1400, 300}, {30, 1600, 40}, {64, 1600, 70}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randVec(rng, m*k), randVec(rng, n*k)
		c := make([]float32, m*n)
		MatMulT(c, a, b, m, n, k, false)
		want, bound := refSgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
		checkMat64(t, "MatMulT", c, n, n, want, bound, k)
	}
}

func TestMatMulT(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, s := range [][3]int{{1, 33, 17}, {1, 5, 64}, {3, 33, 17}, {9, 20, 40}} {
		m, n, k := s[0], s[1], s[2]
		a, b := offset(randVec(rng, m*k)), offset(randVec(rng, n*k))
		for _, acc := range []bool{false, true} {
			c := offset(randVec(rng, m*n))
			beta := float32(0)
			if acc {
				beta = 1
			}
			want, bound := refSgemm(false, true, m, n, k, 1, a, k, b, k, beta, c, n)
			MatMulT(c, a, b, m, n, k, acc)
			checkMat64(t, "MatMulT", c, n, n, want, bound, k)
		}
	}
}

// quantRows makes m×n random Q8_0 and Q4_0 matrices.
func quantRows(rng *rand.Rand, m, n int) (q8, q4 []byte) {
	nb := m * n / 32
	q8 = make([]byte, nb*34)
	q4 = make([]byte, nb*18)
	for b := 0; b < nb; b++ {
		d := f32ToF16(float32(rng.Float64()*0.02 + 0.001))
		q8[b*34], q8[b*34+1] = byte(d), byte(d>>8)
		q4[b*18], q4[b*18+1] = byte(d), byte(d>>8)
		for j := 0; j < 32; j++ {
			q8[b*34+2+j] = byte(rng.IntN(256))
		}
		for j := 0; j < 16; j++ {
			q4[b*18+2+j] = byte(rng.IntN(256))
		}
	}
	return
}

func TestGemvQuant(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range [][2]int{{1, 32}, {3, 64}, {9, 96}, {17, 4096}, {300, 1024}, {1000, 2048}} {
		m, n := s[0], s[1]
		q8, q4 := quantRows(rng, m, n)
		x := offset(randVec(rng, n))
		y := make([]float32, m)
		for _, tc := range []struct {
			name string
			f    func(y []float32, w []byte, x []float32, m, n int)
			w    []byte
			ref  func(w []byte, x []float32, m, n int) []float64
			bs   int
		}{{"GemvQ8_0", GemvQ8_0, q8, refGemvQ8, 34}, {"GemvQ4_0", GemvQ4_0, q4, refGemvQ4, 18}} {
			want := tc.ref(tc.w, x, m, n)
			// An unaligned copy of the weights.
			wb := make([]byte, len(tc.w)+1)
			copy(wb[1:], tc.w)
			tc.f(y, wb[1:], x, m, n)
			for r := range y {
				var abs float64
				for j := 0; j < n; j++ {
					abs += 128 * 0.03 * math.Abs(float64(x[j]))
				}
				if !near(y[r], want[r], sumTol(n, abs)) {
					t.Fatalf("%s %dx%d row %d: got %v want %v", tc.name, m, n, r, y[r], want[r])
				}
			}
		}
	}
}

// TestSgemmSharedPerBlock exercises the multi-goroutine path that packs B
// one KC block at a time (taken when k·n is large) by lowering its limit.
func TestSgemmSharedPerBlock(t *testing.T) { forGemmFamilies(t, testSgemmSharedPerBlock) }

func testSgemmSharedPerBlock(t *testing.T) {
	old := sgemmSharedMax
	sgemmSharedMax = 1000
	defer func() { sgemmSharedMax = old }()
	rng := rand.New(rand.NewPCG(31, 32))
	m, n, k := 120, 70, 600
	for _, tb := range []bool{false, true} {
		a, b := randVec(rng, m*k), randVec(rng, n*k)
		c := randVec(rng, m*n)
		ldb := n
		if tb {
			ldb = k
		}
		want, bound := refSgemm(false, tb, m, n, k, 0.5, a, k, b, ldb, 2, c, n)
		Sgemm(false, tb, m, n, k, 0.5, a, k, b, ldb, 2, c, n)
		checkMat64(t, "Sgemm", c, n, n, want, bound, k)
	}
}

// TestMatrixNaNInf: a NaN or Inf in an operand reaches exactly the outputs
// that depend on it.
func TestMatrixNaNInf(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	const m, n, k = 13, 19, 37
	a, b := make([]float32, m*k), make([]float32, n*k)
	for i := range a {
		a[i] = 1
	}
	for i := range b {
		b[i] = 1
	}
	a[5*k+30] = nan // row 5 of A
	b[7*k+3] = inf  // row 7 of B (column 7 of C)
	c := make([]float32, m*n)
	MatMulT(c, a, b, m, n, k, false)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := c[i*n+j]
			switch {
			case i == 5:
				if !math.IsNaN(float64(v)) {
					t.Fatalf("C[%d][%d] = %v, want NaN", i, j, v)
				}
			case j == 7:
				if !math.IsInf(float64(v), 1) {
					t.Fatalf("C[%d][%d] = %v, want +Inf", i, j, v)
				}
			case v != k:
				t.Fatalf("C[%d][%d] = %v, want %d", i, j, v, k)
			}
		}
	}
	y := make([]float32, m)
	Sgemv(y, a, b[:k], m, k)
	for i, v := range y {
		if (i == 5) != math.IsNaN(float64(v)) {
			t.Fatalf("Sgemv y[%d] = %v", i, v)
		}
	}
	q8, _ := quantRows(rand.New(rand.NewPCG(1, 1)), 3, 64)
	x := make([]float32, 64)
	x[40] = nan
	yq := make([]float32, 3)
	GemvQ8_0(yq, q8, x, 3, 64)
	for i, v := range yq {
		if !math.IsNaN(float64(v)) {
			t.Fatalf("GemvQ8_0 y[%d] = %v, want NaN", i, v)
		}
	}
}
