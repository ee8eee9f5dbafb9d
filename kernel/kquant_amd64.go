//go:build amd64 && !purego

package kernel

import (
	"golang.org/x/sys/cpu"

	"github.com/llmparts/llmparts/quant"
)

// archVariants replaces the generic integer-path kernels of the hot
// K-quants by AVX2 assembly (../asm/kquant.go) when the CPU has it.
func archVariants() {
	if !(cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C) {
		return
	}
	for t, f := range map[quant.Type]struct {
		gemv  func(y []float32, w, xq []byte)
		gemm4 func(y []float32, ldy int, w, xq []byte, m int)
	}{
		quant.Q4_K: {gemvQ4KQ8KAsm, gemmQ4KQ8Kx4Asm},
		quant.Q5_K: {gemvQ5KQ8KAsm, gemmQ5KQ8Kx4Asm},
		quant.Q6_K: {gemvQ6KQ8KAsm, gemmQ6KQ8Kx4Asm},
	} {
		v := variants[t]
		v.gemvQ, v.gemm4, v.name, v.preferInt = f.gemv, f.gemm4, "avx2 (int), generic (float)", true
	}
	if hasVNNI {
		v := variants[quant.Q8_0]
		// Measured (134M Q8_0 model, 128-token prompt, 2 threads): 685–769
		// tok/s on the integer GEMM against 564–594 dequantizing into the
		// F32 GEMM; one token stays on the float path (PreferInt false).
		v.gemm4, v.preferIntGemm, v.name = gemmQ8Q8x4VNNI, true, v.name+", avx512-vnni (int gemm)"
		// Q4_0: integer prompts 253 -> 582–635 tok/s, about even with the
		// float path (559–629), so prompts keep the float path by default.
		v = variants[quant.Q4_0]
		v.gemm4, v.name = gemmQ4Q8x4VNNI, v.name+", avx512-vnni (int gemm)"
	}
	v := variants[quant.IQ4_NL]
	v.gemvQ, v.name, v.preferInt = gemvIQ4NLQ8Asm, "avx2 (int), generic (float)", true
	if cpu.X86.HasBMI2 { // PDEP assembles IQ4_XS's scales
		v := variants[quant.IQ4_XS]
		v.gemvQ, v.name, v.preferInt = gemvIQ4XSQ8KAsm, "avx2 (int), generic (float)", true
	}
}
