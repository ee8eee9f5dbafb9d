//go:build amd64 && !purego

package kernel

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"golang.org/x/sys/cpu"
)

// zGemm holds the sixteen-row integer kernels for Q8_0 or Q4_0 weights
// on ZMM with AVX-512 VNNI (../asm/q8zmm.go): eight tokens at a time for
// prompts (gemmQ8Q8x16x8ZAsm, gemmQ4Q8x16x8ZAsm) and one token for
// decoding (gemvQ8Q8x16ZAsm, gemvQ4Q8x16ZAsm).
//
// Their arithmetic per (row, token) is that of llama.cpp's repacked
// kernels rather than of its one-token dot product: each block's integer
// dot product is summed exactly, then
//
//	acc ← fma(float32(Σ_i w_i·x_i), d_w·d_x, acc)
//
// one FMA per block in block order (exact spells it out). A token's
// result does not depend on which tokens it is batched with, nor on
// whether it goes through the GEMM or the GEMV.
type zGemm struct {
	kernel func(y []float32, ldy int, w []byte, rb int, xp []byte, nt, ng, nb int)
	gemvK  func(y []float32, w []byte, rb int, xq []byte, aux []uint32, ng, nb int)
	bs     int   // weight block bytes
	off    int32 // the unsigned weights' bias: 128 (Q8_0), 8 (Q4_0); 0 for yGemmQ8_0, which needs no correction
	q4     bool
}

// hasVNNIZ reports what the ZMM kernels need: AVX-512 F, BW (VPMOVDW,
// VPSRLW on ZMM), VNNI, and F16C.
var hasVNNIZ = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX2 && cpu.X86.HasF16C

func init() {
	if cpu.X86.HasAVX512F && cpu.X86.HasF16C {
		quantizeQ8_0Impl = quantizeQ8_0Z
	}
}

// quantizeQ8_0Z is quantizeQ8_0x86 in AVX-512 assembly.
func quantizeQ8_0Z(dst []byte, x []float32) {
	nb := len(x) / QK
	if len(dst) < nb*q8BlockSize {
		panic("kernel: quantizeQ8_0Z: short dst")
	}
	quantizeQ8_0ZAsm(dst, x, nb)
}

var (
	zGemmQ8_0 = &zGemm{kernel: gemmQ8Q8x16x8ZAsm, gemvK: gemvQ8Q8x16ZAsm, bs: q8BlockSize, off: 128}
	zGemmQ4_0 = &zGemm{kernel: gemmQ4Q8x16x8ZAsm, gemvK: gemvQ4Q8x16ZAsm, bs: q4BlockSize, off: 8, q4: true}
)

// zPacked is the bytes per block of eight packed tokens: their 32 quant
// bytes each, int32 corrections −off·Σx, float32 scales d_x.
const zPacked = 8*QK + 8*4 + 8*4

// pack lays T tokens of Q8_0 activations (rows of nb blocks) out for the
// kernel in groups of eight (missing tokens of the last group are zero),
// by packQ8ZAsm.
func (z *zGemm) pack(dst, xq []byte, T, nb int) {
	xr := nb * q8BlockSize
	if len(dst) < (T+7)/8*nb*zPacked || len(xq) < T*xr {
		panic("kernel: VNNI gemm: pack: short buffers")
	}
	for g := 0; g < (T+7)/8; g++ {
		p := dst[g*nb*zPacked : (g+1)*nb*zPacked]
		nt := min(8, T-8*g)
		if nt < 8 {
			clear(p)
		}
		packQ8ZAsm(p, xq[8*g*xr:], xr, nt, nb, int(z.off))
	}
}

// packGo is pack in Go (the test's reference).
func (z *zGemm) packGo(dst, xq []byte, T, nb int) {
	xr := nb * q8BlockSize
	for g := 0; g < (T+7)/8; g++ {
		for b := 0; b < nb; b++ {
			p := dst[(g*nb+b)*zPacked : (g*nb+b+1)*zPacked]
			clear(p)
			for t := 0; t < 8 && g*8+t < T; t++ {
				blk := xq[(g*8+t)*xr+b*q8BlockSize:][:q8BlockSize]
				copy(p[QK*t:QK*t+QK], blk[2:])
				var s int32
				for _, v := range blk[2:] {
					s += int32(int8(v))
				}
				binary.LittleEndian.PutUint32(p[8*QK+4*t:], uint32(-z.off*s))
				binary.LittleEndian.PutUint32(p[8*QK+32+4*t:], math.Float32bits(f16le(blk)))
			}
		}
	}
}

var zPool = sync.Pool{New: func() any { return new([]byte) }}

// gemm is y[t·ldy + r] = Σ_b d_w·d_x·(w_b·x_b) for r < m, t < T: rows in
// groups of sixteen by the kernel (rows of about 16 KiB at a time, every
// token group passing over them while they are in cache, split over
// Threads() goroutines), the last m mod 16 rows by gemmBlockExact.
func (z *zGemm) gemm(y []float32, ldy int, w, xq []byte, m, n, T int) {
	nb := n / QK
	rb := nb * z.bs
	if nb == 0 || m == 0 || T == 0 {
		return
	}
	if n%QK != 0 || len(w) != m*rb || len(xq) != T*nb*q8BlockSize || ldy < m || len(y) < (T-1)*ldy+m {
		panic(fmt.Sprintf("kernel: VNNI gemm: m=%d n=%d T=%d ldy=%d: len(w)=%d len(xq)=%d len(y)=%d", m, n, T, ldy, len(w), len(xq), len(y)))
	}
	groups := (T + 7) / 8
	bp := zPool.Get().(*[]byte)
	if cap(*bp) < groups*nb*zPacked {
		*bp = make([]byte, groups*nb*zPacked)
	}
	xp := (*bp)[:groups*nb*zPacked]
	z.pack(xp, xq, T, nb)
	m16 := m / 16 * 16
	rows := max(16, (16<<10)/rb/16*16)
	run := func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += rows {
			r1 := min(hi, r0+rows)
			for g := 0; g < groups; g++ {
				nt := min(8, T-8*g)
				z.kernel(y[8*g*ldy+r0:], ldy, w[r0*rb:r1*rb], rb, xp[g*nb*zPacked:(g+1)*nb*zPacked], nt, (r1-r0)/16, nb)
			}
		}
	}
	if m16 > 0 {
		if Threads() <= 1 || m16*rb*T < parallelMinBytes {
			run(0, m16)
		} else {
			parallelForT(Threads(), m16, rows, run)
		}
	}
	if m16 < m {
		z.exact(y, ldy, w, xq, m16, m, nb, T)
	}
	zPool.Put(bp)
}

// gemv is the one-token form (variant.gemvQ): y[r] for r < len(y), the
// arithmetic of gemm, serial (its callers split rows).
func (z *zGemm) gemv(y []float32, w, xq []byte) {
	m, nb := len(y), len(xq)/q8BlockSize
	rb := nb * z.bs
	if m == 0 || nb == 0 {
		return
	}
	if len(w) != m*rb || len(xq) != nb*q8BlockSize {
		panic(fmt.Sprintf("kernel: VNNI gemv: m=%d nb=%d: len(w)=%d len(xq)=%d", m, nb, len(w), len(xq)))
	}
	if m16 := m / 16 * 16; m16 > 0 {
		ap := zAuxPool.Get().(*[]uint32)
		if cap(*ap) < 2*nb {
			*ap = make([]uint32, 2*nb)
		}
		z.gemvK(y, w, rb, xq, (*ap)[:2*nb], m16/16, nb)
		zAuxPool.Put(ap)
		if m16 == m {
			return
		}
	}
	m16 := m / 16 * 16
	z.exact(y, m, w, xq, m16, m, nb, 1)
}

var zAuxPool = sync.Pool{New: func() any { return new([]uint32) }}

// exact is the kernel's arithmetic in Go (gemmBlockExact) for rows
// r0..r1.
func (z *zGemm) exact(y []float32, ldy int, w, xq []byte, r0, r1, nb, T int) {
	rb, xr := nb*z.bs, nb*q8BlockSize
	for t := 0; t < T; t++ {
		for r := r0; r < r1; r++ {
			var acc float32
			for b := 0; b < nb; b++ {
				wb := w[r*rb+b*z.bs:][:z.bs]
				xb := xq[t*xr+b*q8BlockSize:][:q8BlockSize]
				var s int32
				for i := 0; i < QK; i++ {
					var q int32
					switch {
					case !z.q4:
						q = int32(int8(wb[2+i]))
					case i < 16:
						q = int32(wb[2+i]&15) - 8
					default:
						q = int32(wb[2+i-16]>>4) - 8
					}
					s += q * int32(int8(xb[2+i]))
				}
				d := float32(f16le(wb) * f16le(xb))
				acc = FMA32(float32(s), d, acc)
			}
			y[t*ldy+r] = acc
		}
	}
}
