package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatMulPacked checks MatMulPacked against a float64 reference and,
// bit for bit, against Sgemm on the unpacked weights: A·Wᵀ directly and
// (W·Aᵀ)ᵀ, the form the model multiplied prompts in before weights were
// packed. Every element is the same chain of fused multiply-adds over
// each KC block, whichever operand is packed and however the work is
// split, so the three agree exactly.
func TestMatMulPacked(t *testing.T) {
	saved := gemmKernelImpl
	defer func() { gemmKernelImpl = saved }()
	for _, v := range []struct {
		name string
		fn   func(kc int, a, b, c []float32, ldc int, alpha float32)
	}{{"generic", gemmKernelGeneric}, {Impl(), saved}} {
		t.Run(v.name, func(t *testing.T) {
			gemmKernelImpl = v.fn
			testMatMulPacked(t)
		})
	}
}

func testMatMulPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	shapes := [][3]int{{1, 1, 1}, {2, 16, 8}, {6, 16, 256}, {7, 17, 257}, {13, 33, 70}, {128, 96, 768}, {130, 40, 600}, {3, 200, 513}, {0, 5, 5}, {5, 0, 5}, {5, 5, 0}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a, w := offset(randVec(rng, m*k)), offset(randVec(rng, n*k))
		pw := PackB(w, n, k)
		if pw.Rows() != n || pw.Cols() != k || pw.Bytes() < 4*int64(n*k) {
			t.Fatalf("PackB %dx%d: Rows %d Cols %d Bytes %d", n, k, pw.Rows(), pw.Cols(), pw.Bytes())
		}
		for _, acc := range []bool{false, true} {
			c0 := offset(randVec(rng, m*n))
			beta := float32(0)
			if acc {
				beta = 1
			}
			want, bound := refSgemm(false, true, m, n, k, 1, a, k, w, k, beta, c0, n)
			got := append([]float32(nil), c0...)
			if !acc && len(got) > 0 {
				got[0] = float32(math.NaN()) // must not propagate
			}
			MatMulPacked(got, a, pw, m, acc)
			checkMat64(t, "MatMulPacked", got, n, n, want, bound, k)
			if m == 0 || n == 0 || k == 0 {
				continue // Sgemm wants strides ≥ 1
			}
			same := append([]float32(nil), c0...)
			Sgemm(false, true, m, n, k, 1, a, k, w, k, beta, same, n)
			for i := range same {
				if math.Float32bits(same[i]) != math.Float32bits(got[i]) {
					t.Fatalf("%dx%dx%d acc=%v: C[%d] packed %v, Sgemm %v: not bit-identical", m, n, k, acc, i, got[i], same[i])
				}
			}
			if acc {
				continue
			}
			// The model's former form: yᵀ = W·Aᵀ, then transposed.
			yt := make([]float32, n*m)
			Sgemm(false, true, n, m, k, 1, w, k, a, k, 0, yt, m)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					if math.Float32bits(yt[j*m+i]) != math.Float32bits(got[i*n+j]) {
						t.Fatalf("%dx%dx%d: C[%d][%d] packed %v, transposed Sgemm %v: not bit-identical", m, n, k, i, j, got[i*n+j], yt[j*m+i])
					}
				}
			}
		}
	}
}

func TestMatMulPackedPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"PackB short":    func() { PackB(make([]float32, 5), 2, 3) },
		"PackB negative": func() { PackB(nil, -1, 0) },
		"MatMulPacked a": func() {
			MatMulPacked(make([]float32, 6), make([]float32, 5), PackB(make([]float32, 6), 2, 3), 3, false)
		},
		"MatMulPacked c": func() {
			MatMulPacked(make([]float32, 5), make([]float32, 9), PackB(make([]float32, 6), 2, 3), 3, false)
		},
		"MatMulPacked m<0": func() { MatMulPacked(nil, nil, PackB(nil, 0, 0), -1, false) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
