//go:build unix

package kernel

import "testing"

// BenchmarkCPUGemmFamilies times each SGEMM kernel family the CPU has,
// in CPU time (meaningful on a shared machine): the micro-kernel alone on
// cache-resident slivers, Sgemm 1024³, and a prompt-shaped product with
// packed weights (128 tokens × 768 inputs × 2048 outputs, the 134M
// model's gate projection).
func BenchmarkCPUGemmFamilies(b *testing.B) {
	saved := gemmFam
	defer func() { gemmFam = saved }()
	for _, f := range gemmTestFamilies() {
		gemmFam = f
		b.Run("kernel/"+f.name, func(b *testing.B) {
			const kc = gemmKC
			a, bb := benchVec(kc*f.mr), benchVec(kc*f.nr)
			c := make([]float32, f.mr*f.nr)
			cpuBench(b, float64(2*kc*f.mr*f.nr), 0, func() { f.kernel(kc, a, bb, c, f.nr, 1) })
		})
		b.Run("sgemm1024/"+f.name, func(b *testing.B) {
			const n = 1024
			x, y, c := benchVec(n*n), benchVec(n*n), make([]float32, n*n)
			cpuBench(b, 2*n*n*n, 0, func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n) })
		})
		b.Run("packed128x2048x768/"+f.name, func(b *testing.B) {
			const m, n, k = 128, 2048, 768
			x, w, c := benchVec(m*k), PackB(benchVec(n*k), n, k), make([]float32, m*n)
			cpuBench(b, 2*m*n*k, 0, func() { MatMulPacked(c, x, w, m, false) })
		})
	}
}
