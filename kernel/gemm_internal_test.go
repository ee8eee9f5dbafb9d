package kernel

import "testing"

// BenchmarkGemmKernel times the 6×16 micro-kernel alone on cache-resident
// panels (kc = 256): its GFLOP/s is the ceiling for Sgemm on one core.
func BenchmarkGemmKernel(b *testing.B) {
	const kc = gemmKC
	a, bb := benchVec(kc*gemmMR), benchVec(kc*gemmNR)
	c := make([]float32, gemmMR*gemmNR)
	for b.Loop() {
		gemmKernelImpl(kc, a, bb, c, gemmNR, 1)
	}
	reportFlops(b, 2*kc*gemmMR*gemmNR)
}
