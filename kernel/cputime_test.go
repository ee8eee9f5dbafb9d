package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func cpuBench(b *testing.B, flopsPerOp, bytesPerOp float64, op func()) {
	op()
	t0 := cpuTime()
	for b.Loop() {
		op()
	}
	sec := (cpuTime() - t0).Seconds()
	if sec > 0 && flopsPerOp > 0 {
		b.ReportMetric(flopsPerOp*float64(b.N)/sec/1e9, "cpu-GFLOP/s")
	}
	if sec > 0 && bytesPerOp > 0 {
		b.ReportMetric(bytesPerOp*float64(b.N)/sec/1e9, "cpu-GB/s")
	}
}

func BenchmarkCPUGemmKernel(b *testing.B) {
	const kc = gemmKC
	f := gemmFam
	a, bb := benchVec(kc*f.mr), benchVec(kc*f.nr)
	c := make([]float32, f.mr*f.nr)
	cpuBench(b, float64(2*kc*f.mr*f.nr), 0, func() { f.kernel(kc, a, bb, c, f.nr, 1) })
}

func BenchmarkCPUSgemm1024(b *testing.B) {
	const n = 1024
	x, y, c := benchVec(n*n), benchVec(n*n), make([]float32, n*n)
	cpuBench(b, 2*n*n*n, 0, func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n) })
}

func BenchmarkCPUSgemv4096(b *testing.B) {
	const m, n = 4096, 4096
	a, x, y := benchVec(m*n), benchVec(n), make([]float32, m)
	cpuBench(b, 2*m*n, 4*m*n, func() { Sgemv(y, a, x, m, n) })
}

func BenchmarkCPUQ8(b *testing.B) {
	const m, n = 4096, 4096
	q8, _ := quantRows(rand.New(rand.NewPCG(1, 2)), m, n)
	x, y := benchVec(n), make([]float32, m)
	cpuBench(b, 2*m*n, float64(len(q8)), func() { GemvQ8_0(y, q8, x, m, n) })
}

func BenchmarkCPUQ4(b *testing.B) {
	const m, n = 4096, 4096
	_, q4 := quantRows(rand.New(rand.NewPCG(1, 2)), m, n)
	x, y := benchVec(n), make([]float32, m)
	cpuBench(b, 2*m*n, float64(len(q4)), func() { GemvQ4_0(y, q4, x, m, n) })
}

func BenchmarkCPUSgemmShapes(b *testing.B) {
	for _, n := range []int{1000, 1024, 1040} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x, y, c := benchVec(n*n), benchVec(n*n), make([]float32, n*n)
			cpuBench(b, 2*float64(n*n*n), 0, func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n) })
		})
	}
}

func BenchmarkCPUMatMulT(b *testing.B) {
	const m, n, k = 512, 1024, 4096
	x, w, c := benchVec(m*k), benchVec(n*k), make([]float32, m*n)
	cpuBench(b, 2*m*n*k, 0, func() { MatMulT(c, x, w, m, n, k, false) })
}

func BenchmarkCPUSgemmTransA(b *testing.B) {
	const m, n, k = 768, 768, 512 // dW = dYᵀ·X in a backward pass
	x, y, c := benchVec(k*m), benchVec(k*n), make([]float32, m*n)
	cpuBench(b, 2*m*n*k, 0, func() { Sgemm(true, false, m, n, k, 1, x, m, y, n, 0, c, n) })
}

// BenchmarkCPUGemmKernelL2 runs the micro-kernel over a whole packed MC×KC
// block of A (L2-resident) with one B sliver, as the macro-kernel does.
func BenchmarkCPUGemmKernelL2(b *testing.B) {
	const kc = gemmKC
	f := gemmFam
	jn := 1024 / f.nr
	a, bb := benchVec(kc*gemmMC), benchVec(kc*1024)
	c := make([]float32, gemmMC*1024)
	cpuBench(b, 2*kc*gemmMC*1024, 0, func() {
		for jr := 0; jr < jn; jr++ {
			for ir := 0; ir < gemmMC; ir += f.mr {
				f.kernel(kc, a[ir*kc:], bb[jr*kc*f.nr:], c[ir*1024+jr*f.nr:], 1024, 1)
			}
		}
	})
}
