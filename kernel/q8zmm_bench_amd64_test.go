//go:build amd64 && !purego

package kernel

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGemvQ8Z compares, on one thread, the one-token integer
// kernels for Q8_0 and Q4_0: the sixteen-row ZMM form, its eight-row
// AVX2 form and the AVX2 lane form (llama.cpp's order), on a 2048×768 matrix (1.6 MB of Q8_0, beyond
// L2: memory-bound like a decode step) and a 256×768 one (in L2).
func BenchmarkGemvQ8Z(b *testing.B) {
	if !hasQ8Y {
		b.Skip("no AVX2, FMA and F16C")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, m := range []int{32000, 2048, 256} {
		n := 768
		nb := n / QK
		for _, z := range []*zGemm{zGemmQ8_0, zGemmQ4_0} {
			w := make([]byte, m*nb*z.bs)
			for i := range w {
				w[i] = byte(rng.Uint32())
			}
			for r := 0; r < m*nb; r++ {
				w[r*z.bs+1] = 0x3c // scale 1.0-ish, finite
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			xq := make([]byte, nb*q8BlockSize)
			QuantizeQ8_0(xq, x)
			y := make([]float32, m)
			name := map[bool]string{false: "Q8_0", true: "Q4_0"}[z.q4]
			if hasVNNIZ {
				b.Run(name+"/zmm/"+itoa(m), func(b *testing.B) {
					for b.Loop() {
						z.gemv(y, w, xq)
					}
					b.SetBytes(int64(len(w)))
				})
			}
			yz := map[bool]*zGemm{false: yGemmQ8_0, true: yGemmQ4_0}[z.q4] // AVX2, eight rows to a YMM
			b.Run(name+"/ymm/"+itoa(m), func(b *testing.B) {
				for b.Loop() {
					yz.gemv(y, w, xq)
				}
				b.SetBytes(int64(len(w)))
			})
			b.Run(name+"/lanes/"+itoa(m), func(b *testing.B) {
				for b.Loop() {
					if z.q4 {
						GemvQ4_0Q8(y, w, xq, m, n)
					} else {
						gemvQ8x(y, w, xq, m, n, q8BlockSize, gemvQ8Q8Asm)
					}
				}
				b.SetBytes(int64(len(w)))
			})
		}
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
