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

// BenchmarkCPUGemmKernelL2 runs the micro-kernel over a whole packed MC×KC
// block of A (L2-resident) with one B sliver, as the macro-kernel does.
func BenchmarkCPUGemmKernelL2(b *testing.B) {
	const kc = gemmKC
	a, bb := benchVec(kc*gemmMC), benchVec(kc*gemmNR*64)
	c := make([]float32, gemmMC*1024)
	cpuBench(b, 2*kc*gemmMC*gemmNR*64, 0, func() {
		for jr := 0; jr < 64; jr++ {
			for ir := 0; ir < gemmMC; ir += gemmMR {
				gemmKernelImpl(kc, a[ir*kc:], bb[jr*kc*gemmNR:], c[ir*1024+jr*16:], 1024, 1)
			}
		}
	})
}
