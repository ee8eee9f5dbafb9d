//go:build amd64 && !purego && unix

package kernel

import "testing"

func BenchmarkCPUGemmKernel4x24(b *testing.B) {
	const kc = gemmKC
	a, bb := benchVec(kc*4), benchVec(kc*24)
	c := make([]float32, 4*24)
	cpuBench(b, 2*kc*4*24, 0, func() { gemmKernel4x24Asm(kc, a, bb, c, 24, 1) })
}
