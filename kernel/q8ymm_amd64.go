//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// hasQ8Y reports what the AVX2 forms of the integer Q8_0/Q4_0 kernels
// need: AVX2, FMA and F16C.
var hasQ8Y = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// yGemmQ8_0 and yGemmQ4_0 are zGemmQ8_0 and zGemmQ4_0 for CPUs without
// AVX-512 VNNI: the same packing, row split and Go tail (zGemm), with the
// AVX2 kernels of ../asm/q8ymm.go — eight rows to a YMM, VPDPBUSD
// emulated by VPMADDUBSW and VPMADDWD — in the same arithmetic, so their
// results are bit for bit zGemm.exact's. Q8_0 moves the sign of w onto x
// (VPSIGNB) instead of biasing w, so it needs no correction (off 0).
var (
	yGemmQ8_0 = &zGemm{kernel: gemmQ8Q8x16x8Y, gemvK: gemvQ8Q8x16Y, bs: q8BlockSize}
	yGemmQ4_0 = &zGemm{kernel: gemmQ4Q8x16x8Y, gemvK: gemvQ4Q8x16Y, bs: q4BlockSize, off: 8, q4: true}
)

// The kernels take groups of eight rows; zGemm passes groups of sixteen.

func gemmQ8Q8x16x8Y(y []float32, ldy int, w []byte, rb int, xp []byte, nt, ng, nb int) {
	gemmQ8Q8x8x8YAsm(y, ldy, w, rb, xp, nt, 2*ng, nb)
}

func gemmQ4Q8x16x8Y(y []float32, ldy int, w []byte, rb int, xp []byte, nt, ng, nb int) {
	gemmQ4Q8x8x8YAsm(y, ldy, w, rb, xp, nt, 2*ng, nb)
}

func gemvQ8Q8x16Y(y []float32, w []byte, rb int, xq []byte, aux []uint32, ng, nb int) {
	gemvQ8Q8x8YAsm(y, w, rb, xq, aux, 2*ng, nb)
}

func gemvQ4Q8x16Y(y []float32, w []byte, rb int, xq []byte, aux []uint32, ng, nb int) {
	gemvQ4Q8x8YAsm(y, w, rb, xq, aux, 2*ng, nb)
}
