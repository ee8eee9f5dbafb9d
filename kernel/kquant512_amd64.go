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

// pairPool holds the activation pair sums of gemvQ6KZ.
var pairPool = sync.Pool{New: func() any { return new([]int16) }}

// gemvQ6KZ is gemvQ6KQ8KZAsm with its table of activation pair sums
// 32·(qx_2i + qx_2i+1), 128 per Q8_K block, which the kernel subtracts
// from Σ q·qx to apply Q6_K's offset of 32.
func gemvQ6KZ(y []float32, w, xq []byte) {
	nb := len(xq) / q8kBlockBytes
	p := pairPool.Get().(*[]int16)
	if cap(*p) < 128*nb {
		*p = make([]int16, 128*nb)
	}
	c := (*p)[:128*nb]
	q8kPairSums32(c, xq)
	gemvQ6KQ8KZAsm(y, w, xq, c)
	pairPool.Put(p)
}

// q8kBlockBytes is the size of a Q8_K block: float32 d, 256 int8 (from
// byte 4), 16 int16 block sums.
var q8kBlockBytes = quant.Q8_K.BlockBytes()

// q8kPairSums32 writes 32·(qx_2i + qx_2i+1) for each pair of quants of
// the Q8_K blocks xq into c (128 per block).
func q8kPairSums32(c []int16, xq []byte) {
	for b := 0; b < len(c)/128; b++ {
		qx := xq[b*q8kBlockBytes+4 : b*q8kBlockBytes+260]
		cb := c[128*b : 128*b+128]
		for i := range cb {
			cb[i] = 32 * (int16(int8(qx[2*i])) + int16(int8(qx[2*i+1])))
		}
	}
}
