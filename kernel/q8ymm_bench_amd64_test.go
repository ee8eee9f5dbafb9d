//go:build amd64 && !purego

package kernel

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkCPUGemmQ8Y runs a 128-token prompt through a 2048×768 matrix
// on one thread, reported per CPU-second (cpu-GFLOP/s, meaningful on a
// shared machine): the integer GEMM of Q8_0 and Q4_0 in its AVX2 form
// ("ymm") and, where the CPU has AVX-512 VNNI, its ZMM form, against the
// F32 SGEMM alone that the float path runs after dequantizing. Run it
// with GODEBUG=cpu.avx512f=off to get the SGEMM of a CPU with AVX2 only.
func BenchmarkCPUGemmQ8Y(b *testing.B) {
	if !hasQ8Y {
		b.Skip("no AVX2, FMA and F16C")
	}
	SetThreads(1)
	defer SetThreads(0)
	const m, n, T = 2048, 768, 128
	const flops = 2 * m * n * T
	nb := n / QK
	rng := rand.New(rand.NewPCG(7, 8))
	wf, x := make([]float32, m*n), make([]float32, T*n)
	for i := range wf {
		wf[i] = float32(rng.NormFloat64())
	}
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, m*T)
	b.Run("sgemm/"+impl, func(b *testing.B) {
		cpuBench(b, flops, 0, func() { Sgemm(false, true, m, T, n, 1, wf, n, x, n, 0, y, T) })
	})
	xq := make([]byte, T*nb*q8BlockSize)
	QuantizeQ8_0(xq, x)
	for _, zs := range [][2]*zGemm{{yGemmQ8_0, zGemmQ8_0}, {yGemmQ4_0, zGemmQ4_0}} {
		w := make([]byte, m*nb*zs[0].bs)
		quantize := QuantizeQ8_0
		if zs[0].q4 {
			quantize = randomQ4_0(rng)
		}
		for r := 0; r < m; r++ {
			quantize(w[r*nb*zs[0].bs:(r+1)*nb*zs[0].bs], wf[r*n:(r+1)*n])
		}
		name := map[bool]string{false: "Q8_0", true: "Q4_0"}[zs[0].q4]
		for k, z := range zs {
			if k == 1 && !hasVNNIZ {
				continue
			}
			b.Run(name+"/"+[]string{"ymm", "zmm"}[k], func(b *testing.B) {
				cpuBench(b, flops, 0, func() { z.gemm(y, m, w, xq, m, n, T) })
			})
		}
	}
}
