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
	forGemmFamilies(t, testMatMulPacked)
}

// forGemmFamilies runs test once with each SGEMM kernel family the CPU
// has as gemmFam.
func forGemmFamilies(t *testing.T, test func(t *testing.T)) {
	saved := gemmFam
	defer func() { gemmFam = saved }()
	for _, f := range gemmTestFamilies() {
		t.Run(f.name, func(t *testing.T) {
			gemmFam = f
			test(t)
		})
	}
}

// TestGemmFamiliesAgree checks that the assembly families give the same
// bits as each other (one chain of fused multiply-adds per element and KC
// block in every kernel), and that the pure-Go kernel agrees within
// rounding, on products with edges in every direction.
func TestGemmFamiliesAgree(t *testing.T) {
	saved := gemmFam
	defer func() { gemmFam = saved }()
	rng := rand.New(rand.NewPCG(23, 24))
	for _, s := range [][3]int{{37, 70, 300}, {128, 96, 768}, {200, 150, 513}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randVec(rng, m*k), randVec(rng, n*k)
		var first []float32
		var firstName string
		for _, f := range gemmTestFamilies() {
			gemmFam = f
			c := make([]float32, m*n)
			Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
			p := make([]float32, m*n)
			MatMulPacked(p, a, PackB(b, n, k), m, false)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(p[i]) {
					t.Fatalf("%s %dx%dx%d: Sgemm and MatMulPacked differ at %d: %v, %v", f.name, m, n, k, i, c[i], p[i])
				}
			}
			if f == gemmGeneric {
				want, bound := refSgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
				checkMat64(t, "generic", c, n, n, want, bound, k)
				continue
			}
			if first == nil {
				first, firstName = c, f.name
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%dx%dx%d: %s and %s differ at %d: %v, %v", m, n, k, firstName, f.name, i, c[i], first[i])
				}
			}
		}
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

// TestInterleave8 checks the 8-row strip transposition of the packing
// (assembly blocks where present, Go for the rest) element by element.
func TestInterleave8(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, kc := range []int{1, 7, 8, 9, 16, 23, 256} {
		for _, stride := range []int{8, 16, 32} {
			for _, off := range []int{0, stride - 8} {
				ld := kc + 5
				src := randVec(rng, 3+8*ld)
				d := make([]float32, kc*stride+8)
				interleave8(d, stride, off, src, 3, ld, kc)
				for p := 0; p < kc; p++ {
					for i := 0; i < 8; i++ {
						if got, want := d[p*stride+off+i], src[3+i*ld+p]; got != want {
							t.Fatalf("kc=%d stride=%d off=%d: d[%d·%d+%d+%d] = %v, want row %d col %d = %v", kc, stride, off, p, stride, off, i, got, i, p, want)
						}
					}
				}
			}
		}
	}
}

// TestGemmSetMatchesCleared checks that a product with beta = 0, whose
// first KC block stores into C without reading it (gemmFamily.set), has
// the bits of the same product added to a C of zeros (beta = 1), for
// every family, at edges, with a negative alpha and a zero row of A
// (whose products are −0 before they meet C's +0).
func TestGemmSetMatchesCleared(t *testing.T) {
	saved := gemmFam
	defer func() { gemmFam = saved }()
	rng := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][3]int{{37, 70, 300}, {200, 150, 513}, {64, 64, 256}, {5, 3, 7}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randVec(rng, m*k), randVec(rng, n*k)
		clear(a[:k]) // row 0 of A is zero
		for _, f := range gemmTestFamilies() {
			gemmFam = f
			for _, alpha := range []float32{1, -1.5} {
				got := make([]float32, m*n)
				for i := range got {
					got[i] = float32(math.NaN()) // beta = 0: never read
				}
				Sgemm(false, true, m, n, k, alpha, a, k, b, k, 0, got, n)
				want := make([]float32, m*n)
				Sgemm(false, true, m, n, k, alpha, a, k, b, k, 1, want, n)
				p := make([]float32, m*n)
				MatMulPacked(p, a, PackB(b, n, k), m, false)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s %dx%dx%d alpha %v: beta 0 and beta 1 on zeros differ at %d: %v, %v", f.name, m, n, k, alpha, i, got[i], want[i])
					}
					if alpha == 1 && math.Float32bits(p[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s %dx%dx%d: MatMulPacked and Sgemm differ at %d: %v, %v", f.name, m, n, k, i, p[i], want[i])
					}
				}
			}
		}
	}
}
