//go:build amd64 && !purego

package kernel

import (
	"math/rand/v2"
	"testing"
)

// TestGemmQ8VNNI: the four-token VNNI kernel gives, bit for bit, what the
// one-token integer kernel gives for each token, for row counts and block
// counts that are not multiples of anything.
func TestGemmQ8VNNI(t *testing.T) {
	if !hasVNNI {
		t.Skip("this CPU has no AVX-512 VNNI with VL")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, nb := range []int{1, 2, 3, 7, 24} {
		n := nb * QK
		for _, m := range []int{1, 2, 5, 9, 33} {
			w := make([]byte, m*nb*q8BlockSize)
			x := make([]float32, 4*n)
			wf := make([]float32, m*n)
			for i := range wf {
				wf[i] = float32(rng.NormFloat64())
			}
			for i := range x {
				x[i] = float32(rng.NormFloat64()) * 3
			}
			for r := 0; r < m; r++ {
				QuantizeQ8_0(w[r*nb*q8BlockSize:(r+1)*nb*q8BlockSize], wf[r*n:(r+1)*n])
			}
			xq := make([]byte, 4*nb*q8BlockSize)
			for tk := 0; tk < 4; tk++ {
				QuantizeQ8_0(xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize], x[tk*n:(tk+1)*n])
			}
			ldy := m + 3
			got := make([]float32, 3*ldy+m)
			gemmQ8Q8x4VNNI(got, ldy, w, xq, m)
			for tk := 0; tk < 4; tk++ {
				want := make([]float32, m)
				gemvQ8x(want, w, xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize], m, n, q8BlockSize, gemvQ8Q8Asm)
				for r := range want {
					if got[tk*ldy+r] != want[r] {
						t.Fatalf("nb %d m %d token %d row %d: %v, one-token kernel %v", nb, m, tk, r, got[tk*ldy+r], want[r])
					}
				}
			}
		}
	}
}
