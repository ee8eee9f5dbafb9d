package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemvMulti checks SgemvMulti against a float64 reference and that
// each vector's result is bit-identical whatever the number of vectors
// computed with it and its position among them (batch invariance): 17
// vectors cover every kernel width of each family (1..4 with AVX2, 1..8
// with AVX-512) and groups of them (8+8+1).
func TestSgemvMulti(t *testing.T) {
	saved := sgemvMultiImpl
	defer func() { sgemvMultiImpl = saved }()
	for _, impl := range multiTestImpls() {
		t.Run(impl.name, func(t *testing.T) {
			sgemvMultiImpl = impl.fn
			testSgemvMulti(t)
		})
	}
}

type multiImpl struct {
	name string
	fn   func(y []float32, ldy int, a []float32, x []float32, ldx int, T, m, n int, accumulate bool)
}

func testSgemvMulti(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []int{1, 2, 3, 7, 64, 65, 130} {
		for _, n := range []int{3, 8, 16, 37, 64, 200} {
			const T = 17
			a := make([]float32, m*n)
			x := make([]float32, T*n)
			y0 := make([]float32, T*m)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range x {
				x[i] = rng.Float32()*2 - 1
			}
			for i := range y0 {
				y0[i] = rng.Float32()
			}
			for _, acc := range []bool{false, true} {
				all := append([]float32(nil), y0...)
				SgemvMulti(all, m, a, x, n, T, m, n, acc)
				for v := 0; v < T; v++ {
					for r := 0; r < m; r++ {
						want := 0.0
						if acc {
							want = float64(y0[v*m+r])
						}
						for k := 0; k < n; k++ {
							want += float64(a[r*n+k]) * float64(x[v*n+k])
						}
						if got := float64(all[v*m+r]); math.Abs(got-want) > 1e-5*float64(n) {
							t.Fatalf("m=%d n=%d acc=%v: y[%d][%d] = %v, want %v", m, n, acc, v, r, got, want)
						}
					}
				}
				// Every vector again within sub-batches of every size
				// and offset: the same bits.
				for lo := 0; lo < T; lo++ {
					for cnt := 1; lo+cnt <= T; cnt++ {
						sub := append([]float32(nil), y0[lo*m:(lo+cnt)*m]...)
						SgemvMulti(sub, m, a, x[lo*n:], n, cnt, m, n, acc)
						for i := range sub {
							if math.Float32bits(sub[i]) != math.Float32bits(all[lo*m+i]) {
								t.Fatalf("m=%d n=%d acc=%v: vector %d row %d alone in %d from %d: %v, with all %d: %v",
									m, n, acc, lo+i/m, i%m, cnt, lo, sub[i], T, all[lo*m+i])
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemvMultiBadShape(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short x")
		}
	}()
	SgemvMulti(make([]float32, 4), 2, make([]float32, 6), make([]float32, 5), 3, 2, 2, 3, false)
}

// Two sequences decoded at once through a 2×3 weight matrix.
func ExampleSgemvMulti() {
	a := []float32{1, 2, 3, 4, 5, 6}
	x := []float32{1, 0, 1, 0, 1, 0} // two vectors of 3
	y := make([]float32, 4)          // two results of 2
	SgemvMulti(y, 2, a, x, 3, 2, 2, 3, false)
	fmt.Println(y)
	// Output: [4 10 2 5]
}

// BenchmarkSgemvMulti: weights of 64 MiB that stream from memory as a
// whole model does, with the column counts of the 134M model (768: the
// attention and FFN up projections; 2048: the FFN down projection), times
// T activation vectors, and a 128×768 block that stays in the L2 cache
// (the arithmetic alone); ns/op per step of T sequences.
func BenchmarkSgemvMulti(b *testing.B) {
	for _, sh := range [][2]int{{16 << 20 / 768, 768}, {16 << 20 / 2048, 2048}, {128, 768}} {
		m, n := sh[0], sh[1]
		a := make([]float32, m*n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for _, T := range []int{1, 4, 8} {
			b.Run(fmt.Sprintf("%dx%d/T=%d", m, n, T), func(b *testing.B) {
				x := make([]float32, T*n)
				y := make([]float32, T*m)
				b.SetBytes(int64(4 * m * n))
				for b.Loop() {
					SgemvMulti(y, m, a, x, n, T, m, n, false)
				}
			})
		}
	}
}
