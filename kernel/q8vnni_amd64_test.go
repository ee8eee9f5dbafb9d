//go:build amd64 && !purego

package kernel

import (
	"math/rand/v2"
	"testing"
)

// TestGemmQ8VNNI: the four-token VNNI kernels (Q8_0, Q4_0) give, bit for
// bit, what the one-token integer kernels give for each token, for row
// counts and block counts that are not multiples of anything.
func TestGemmQ8VNNI(t *testing.T) {
	if !hasVNNI {
		t.Skip("this CPU has no AVX-512 VNNI with VL")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q4 := range []bool{false, true} {
		bs, quantize, gemm := q8BlockSize, QuantizeQ8_0, gemmQ8Q8x4VNNI
		if q4 {
			bs, quantize, gemm = q4BlockSize, randomQ4_0(rng), gemmQ4Q8x4VNNI
		}
		for _, nb := range []int{1, 2, 3, 7, 24} {
			n := nb * QK
			for _, m := range []int{1, 2, 5, 9, 33} {
				w := make([]byte, m*nb*bs)
				x := make([]float32, 4*n)
				wf := make([]float32, m*n)
				for i := range wf {
					wf[i] = float32(rng.NormFloat64())
				}
				for i := range x {
					x[i] = float32(rng.NormFloat64()) * 3
				}
				for r := 0; r < m; r++ {
					quantize(w[r*nb*bs:(r+1)*nb*bs], wf[r*n:(r+1)*n])
				}
				xq := make([]byte, 4*nb*q8BlockSize)
				for tk := 0; tk < 4; tk++ {
					QuantizeQ8_0(xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize], x[tk*n:(tk+1)*n])
				}
				ldy := m + 3
				got := make([]float32, 3*ldy+m)
				gemm(got, ldy, w, xq, m)
				for tk := 0; tk < 4; tk++ {
					want := make([]float32, m)
					if q4 {
						GemvQ4_0Q8(want, w, xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize], m, n)
					} else {
						gemvQ8x(want, w, xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize], m, n, q8BlockSize, gemvQ8Q8Asm)
					}
					for r := range want {
						if got[tk*ldy+r] != want[r] {
							t.Fatalf("q4 %v nb %d m %d token %d row %d: %v, one-token kernel %v", q4, nb, m, tk, r, got[tk*ldy+r], want[r])
						}
					}
				}
			}
		}
	}
}

// randomQ4_0 returns a Q4_0 "quantizer" for the test: each block's scale
// is the Q8_0 scale of its 32 values (a valid binary16), its nibbles
// random.
func randomQ4_0(rng *rand.Rand) func(dst []byte, x []float32) {
	return func(dst []byte, x []float32) {
		q8 := make([]byte, q8BlockSize)
		for b := 0; b < len(x)/QK; b++ {
			QuantizeQ8_0(q8, x[b*QK:(b+1)*QK])
			blk := dst[b*q4BlockSize : (b+1)*q4BlockSize]
			blk[0], blk[1] = q8[0], q8[1]
			for i := 2; i < q4BlockSize; i++ {
				blk[i] = byte(rng.Uint32())
			}
		}
	}
}
