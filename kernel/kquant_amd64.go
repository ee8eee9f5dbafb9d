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
	if hasQ4Z { // float32 activations: gemvQ4ZAsm (q4gemv512_amd64.go)
		variants[quant.Q4_0].name = map[bool]string{false: "avx512 (float), avx2 (int)", true: "avx512 (float)"}[hasVNNIZ]
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
	kquantZVariants() // one token on AVX-512 (kquant512_amd64.go)
	if hasVNNIZ {
		// Sixteen rows × eight tokens (one token) on ZMM with AVX-512 VNNI
		// (q8zmm_amd64.go). Measured (134M models, 2 threads, on a busy
		// machine): Q4_0 prompts 1,529 tok/s on the integer GEMM against
		// 481 dequantizing into the F32 GEMM, decode 199–270 against
		// 170–194 on the float path; Q8_0 prompts 1,288 against ~600, but
		// Q8_0 decode is faster on the float path (188 against 128), so
		// it keeps PreferInt false.
		for t, z := range map[quant.Type]*zGemm{quant.Q8_0: zGemmQ8_0, quant.Q4_0: zGemmQ4_0} {
			v := variants[t]
			v.gemvQ, v.gemmT, v.preferIntGemm = z.gemv, z.gemm, true
			v.name += ", avx512-vnni (int)"
		}
		variants[quant.Q4_0].preferInt = true
	} else if hasQ8Y {
		// Their AVX2 forms, eight rows to a YMM (q8ymm_amd64.go), in the
		// same arithmetic. Measured with GODEBUG=cpu.avx512f=off on the
		// AVX-512 machine (BenchmarkCPUGemmQ8Y, one thread, 128 tokens ×
		// 2048×768, per CPU-second): Q8_0 79, Q4_0 126 GFLOP/s against
		// 67 for the AVX2 SGEMM alone (the float path also dequantizes),
		// so prompts take the integer GEMM. Decoding the 134M Q4_0 file
		// (bench generate --prompt-tokens 8 --tokens 128 -t 2, three
		// rounds): 224–299 tok/s on the integer path against 186–214 on
		// the float path, so Q4_0 prefers it as with VNNI; Q8_0's two
		// paths were even (71–174 against 80–174), it keeps the float
		// path. With these GemvQ computes what the GEMM does.
		for t, z := range map[quant.Type]*zGemm{quant.Q8_0: yGemmQ8_0, quant.Q4_0: yGemmQ4_0} {
			v := variants[t]
			v.gemvQ, v.gemmT, v.preferIntGemm = z.gemv, z.gemm, true
			v.name += ", avx2 8-row (int)"
		}
		variants[quant.Q4_0].preferInt = true
	}
	v := variants[quant.IQ4_NL]
	v.gemvQ, v.name, v.preferInt = gemvIQ4NLQ8Asm, "avx2 (int), generic (float)", true
	if cpu.X86.HasBMI2 { // PDEP assembles IQ4_XS's scales
		v := variants[quant.IQ4_XS]
		v.gemvQ, v.name, v.preferInt = gemvIQ4XSQ8KAsm, "avx2 (int), generic (float)", true
	}
}
