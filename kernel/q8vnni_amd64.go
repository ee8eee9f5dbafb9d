//go:build amd64 && !purego

package kernel

import (
	"sync"

	"golang.org/x/sys/cpu"
)

// hasVNNI reports AVX-512 VNNI with 256-bit forms (AVX512VL), what
// gemmQ8Q8x4VNNIAsm needs.
var hasVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX2 && cpu.X86.HasF16C

// gemmQ8Q8x4VNNI and gemmQ4Q8x4VNNI are the Q8_0 and Q4_0 integer paths
// for four tokens at once (variant.gemm4): y[t·ldy+r] = Σ_b d_w·d_x·(w_b ·
// x_b) for rows r < m, bit-identical to four calls of the one-token
// kernel (gemvQ8Q8Asm, gemvQ4Q8Asm), each weight block loaded once for
// the four tokens.
func gemmQ8Q8x4VNNI(y []float32, ldy int, w, xq []byte, m int) {
	gemmVNNI(gemmQ8Q8x4VNNIAsm, q8BlockSize, y, ldy, w, xq, m)
}

func gemmQ4Q8x4VNNI(y []float32, ldy int, w, xq []byte, m int) {
	gemmVNNI(gemmQ4Q8x4VNNIAsm, q4BlockSize, y, ldy, w, xq, m)
}

func gemmVNNI(f func(y []float32, ldy int, w, xq []byte, xd []float32, nc []int32, m, nb int), bs int, y []float32, ldy int, w, xq []byte, m int) {
	nb := len(xq) / 4 / q8BlockSize
	if m == 0 || nb == 0 {
		return
	}
	if len(w) < m*nb*bs || len(y) < 3*ldy+m || ldy < m {
		panic("kernel: VNNI gemm: short w or y")
	}
	s := q8vnniPool.Get().(*q8vnniScratch)
	if cap(s.xd) < 4*nb {
		s.xd, s.nc = make([]float32, 4*nb), make([]int32, 32*nb)
	}
	f(y, ldy, w, xq, s.xd[:4*nb], s.nc[:32*nb], m, nb) // the kernel fills xd and nc first
	q8vnniPool.Put(s)
}

type q8vnniScratch struct {
	xd []float32
	nc []int32
}

var q8vnniPool = sync.Pool{New: func() any { return new(q8vnniScratch) }}
