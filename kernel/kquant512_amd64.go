//go:build amd64 && !purego

package kernel

import (
	"sync"

	"golang.org/x/sys/cpu"

	"github.com/llmparts/llmparts/quant"
)

// hasKZ reports what the AVX-512 K-quant kernels (../asm/kquant512.go)
// need: AVX-512 F, BW, VL and VNNI (VPDPWSSD), with F16C and FMA for the
// block scales and the float accumulation they share with the AVX2
// kernels.
var hasKZ = hasVNNIZ && cpu.X86.HasFMA

// kquantZVariants replaces the one-token integer kernel of Q6_K by its
// AVX-512 version when the CPU has it; the results are bit for bit the
// AVX2 kernel's (and the generic Go kernel's).
func kquantZVariants() {
	if !hasKZ {
		return
	}
	v := variants[quant.Q6_K]
	v.gemvQ = gemvQ6KZ
	v.name = "avx512-vnni (int, 1 token), " + v.name
}

// pairPool holds the scratch of gemvQ6KZ.
var pairPool = sync.Pool{New: func() any { return new([]int16) }}

// gemvQ6KZ is gemvQ6KQ8KZAsm with its scratch: 128 int16 per Q8_K block
// for the activation pair sums 32·(qx_2i + qx_2i+1), which the kernel
// subtracts from Σ q·qx to apply Q6_K's offset of 32.
func gemvQ6KZ(y []float32, w, xq []byte) {
	nb := len(xq) / quant.Q8_K.BlockBytes()
	p := pairPool.Get().(*[]int16)
	if cap(*p) < 128*nb {
		*p = make([]int16, 128*nb)
	}
	gemvQ6KQ8KZAsm(y, w, xq, (*p)[:128*nb])
	pairPool.Put(p)
}
