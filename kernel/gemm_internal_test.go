package kernel

import "testing"

// BenchmarkGemmKernel times the micro-kernel (gemmFam) alone on cache-resident
// panels (kc = 256): its GFLOP/s is the ceiling for Sgemm on one core.
func BenchmarkGemmKernel(b *testing.B) {
	const kc = gemmKC
	f := gemmFam
	a, bb := benchVec(kc*f.mr), benchVec(kc*f.nr)
	c := make([]float32, f.mr*f.nr)
	for b.Loop() {
		f.kernel(kc, a, bb, c, f.nr, 1)
	}
	reportFlops(b, float64(2*kc*f.mr*f.nr))
}
