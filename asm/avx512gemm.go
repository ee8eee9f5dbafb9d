package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// avx512GemmKernels emits the AVX-512 SGEMM micro-kernels (kernel/gemm.go's
// gemmAVX512 family; its B-panel copy is in blas.go).
func avx512GemmKernels() {
	// 8×32 measured best of 12×32, 8×48 and 8×32 (each with and without
	// prefetching B, 12×32 also with A broadcast inside the FMAs) on a
	// 128-token prompt-shaped product, CPU time on a shared 2-core Zen 4:
	// about 94–100 cpu-GFLOP/s against 80–94 for the others; 128 tokens
	// are whole 8-row slivers.
	gemmKernelVec("gemmKernel8x32Asm", 8, 32, 16, gemmZPrefetch)
	gemmKernelVecSet("gemmKernel8x32SetAsm", 8, 32, 16, gemmZPrefetch)
}

// gemmZPrefetch is how far ahead (bytes, 8 steps of a 32-wide sliver)
// the AVX-512 kernel prefetches B: the sliver (64 KiB at KC = 512) does
// not stay in L1 beside A and C, so it streams from L2.
const gemmZPrefetch = 1024

// gemmKernelVec emits an MR×NR micro-kernel on vectors of lanes floats
// (8: YMM, 16: ZMM), B prefetched pf bytes ahead when pf > 0:
// c[r·ldc + j] += alpha·Σ_p a[p·MR+r]·b[p·NR+j] for r < MR, j < NR.
// NR/lanes vectors of B are loaded per step and each of the MR values of
// A is broadcast against them, so MR·NR/lanes accumulators stay in
// registers. Every element of C is one chain of fused multiply-adds in p
// whatever the tile and the width, so all these kernels give the same
// bits.
func gemmKernelVec(name string, mr, nr, lanes, pf int) {
	gemmKernelEmit(name, mr, nr, lanes, pf, false)
}

// gemmKernelVecSet emits the same kernel storing c[r·ldc + j] =
// alpha·Σ_p a[p·MR+r]·b[p·NR+j] + 0 without reading C (the first KC block
// of a product with beta = 0): the last step is the fused multiply-add
// into a zeroed register that the accumulating kernel does into a C
// cleared beforehand, so both give the same bits.
func gemmKernelVecSet(name string, mr, nr, lanes, pf int) {
	gemmKernelEmit(name, mr, nr, lanes, pf, true)
}

func gemmKernelEmit(name string, mr, nr, lanes, pf int, set bool) {
	nv := nr / lanes
	vec := YMM
	if lanes == 16 {
		vec = ZMM
	}
	vb := 4 * lanes // bytes per vector
	TEXT(name, NOSPLIT, "func(kc int, a, b, c []float32, ldc int, alpha float32)")
	Pragma("noescape")
	kc := Load(Param("kc"), GP64())
	a, b, c := base("a"), base("b"), base("c")
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	// Prefetch the C tile (every cache line of each row): it is read
	// only at the end, and usually comes from L3 or memory.
	{
		p := GP64()
		MOVQ(c, p)
		for r := 0; r < mr; r++ {
			for d := 0; d < 4*nr; d += 64 {
				PREFETCHT0(Mem{Base: p, Disp: d})
			}
			PREFETCHT0(Mem{Base: p, Disp: 4*nr - 4})
			if r < mr-1 {
				ADDQ(ldc, p)
			}
		}
	}
	acc := make([][]reg.VecVirtual, mr)
	for r := range acc {
		acc[r] = make([]reg.VecVirtual, nv)
		for j := range acc[r] {
			acc[r][j] = vec()
			VXORPS(acc[r][j], acc[r][j], acc[r][j])
		}
	}
	step := func(p int) {
		bv := make([]reg.VecVirtual, nv)
		for j := range bv {
			bv[j] = vec()
			VMOVUPS(Mem{Base: b, Disp: 4*nr*p + vb*j}, bv[j])
			if pf > 0 && (vb*j)%64 == 0 {
				PREFETCHT0(Mem{Base: b, Disp: pf + 4*nr*p + vb*j})
			}
		}
		for r := 0; r < mr; r++ {
			t := vec()
			VBROADCASTSS(Mem{Base: a, Disp: 4*mr*p + 4*r}, t)
			for j := range bv {
				VFMADD231PS(bv[j], t, acc[r][j])
			}
		}
	}
	const unroll = 4
	Label(name + "_k4")
	CMPQ(kc, U8(unroll))
	JL(LabelRef(name + "_k1"))
	for p := 0; p < unroll; p++ {
		step(p)
	}
	ADDQ(U32(4*unroll*mr), a)
	ADDQ(U32(4*unroll*nr), b)
	SUBQ(U8(unroll), kc)
	JMP(LabelRef(name + "_k4"))
	Label(name + "_k1")
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_store"))
	step(0)
	ADDQ(U32(4*mr), a)
	ADDQ(U32(4*nr), b)
	DECQ(kc)
	JMP(LabelRef(name + "_k1"))
	Label(name + "_store")
	// Broadcast alpha straight from its stack slot (see bcast).
	bp, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	al := vec()
	VBROADCASTSS(bp.Addr, al)
	for r := 0; r < mr; r++ {
		for j := 0; j < nv; j++ {
			cv := vec()
			if set {
				VXORPS(cv, cv, cv)
			} else {
				VMOVUPS(Mem{Base: c, Disp: vb * j}, cv)
			}
			VFMADD231PS(acc[r][j], al, cv)
			VMOVUPS(cv, Mem{Base: c, Disp: vb * j})
		}
		if r < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// sgemvZKernels emits the AVX-512 streaming SGEMV (kernel.SgemvStream):
// one row at a time, two 16-lane accumulators. Measured on the 134M F32
// model's decode with other work sharing the machine (interleaved,
// tok/s): one row at a time (AVX2 dot 41–48, this kernel 44–48; four
// 16-lane accumulators 36–50, eight 31–37, prefetching 2 KiB ahead 35–37)
// against 28–30 for the four-row kernels (AVX2 sgemv4, and 8 rows × 32
// lanes 30–32).
func sgemvZKernels() {
	sgemvRowZ("sgemv1x32Asm", 2)
}

// sgemvRowZ emits y[r] = Σ_i a[r·lda+i]·x[i] one row at a time (len(x) a
// multiple of 16·K): K 16-lane accumulators (vector i/16 mod K), added
// pairwise at the end of the row and reduced 16 → 8 → 4 → 2 → 1 by
// halving (EVEX forms, any register).
func sgemvRowZ(name string, K int) {
	TEXT(name, NOSPLIT, "func(y, a, x []float32, lda int)")
	Pragma("noescape")
	y, a, x := base("y"), base("a"), base("x")
	m := length("y")
	n := length("x")
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda) // bytes per row
	r := GP64()
	XORQ(r, r)
	Label(name + "_rows")
	CMPQ(r, m)
	JAE(LabelRef(name + "_end"))
	acc := make([]reg.VecVirtual, K)
	for k := range acc {
		acc[k] = ZMM()
		VXORPS(acc[k], acc[k], acc[k])
	}
	i := GP64()
	XORQ(i, i)
	Label(name + "_cols")
	CMPQ(i, n)
	JAE(LabelRef(name + "_sum"))
	for k := range acc {
		xv := ZMM()
		VMOVUPS(Mem{Base: x, Index: i, Scale: 4, Disp: 64 * k}, xv)
		VFMADD231PS(Mem{Base: a, Index: i, Scale: 4, Disp: 64 * k}, xv, acc[k])
	}
	ADDQ(U8(16*K), i)
	JMP(LabelRef(name + "_cols"))
	Label(name + "_sum")
	for w := K; w > 1; w /= 2 {
		for k := 0; k < w/2; k++ {
			VADDPS(acc[k+w/2], acc[k], acc[k])
		}
	}
	VMOVSS(hsumZ(acc[0]), Mem{Base: y, Index: r, Scale: 4})
	ADDQ(lda, a)
	INCQ(r)
	JMP(LabelRef(name + "_rows"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// transpose8Kernel emits transpose8Asm(dst, stride, src, ld, kc): for
// eight rows of src (row i at src + i·ld floats) and p < kc (a multiple
// of 8), dst[p·stride + i] = src[i·ld + p]. It loads an 8×8 block (eight
// YMM rows), transposes it with unpack, shuffle and lane permutes, and
// stores eight columns: the packing of eight rows of A, or of B read
// transposed, into the micro-kernels' slivers.
func transpose8Kernel() {
	TEXT("transpose8Asm", NOSPLIT, "func(dst []float32, stride int, src []float32, ld, kc int)")
	Pragma("noescape")
	d, s := base("dst"), base("src")
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	kc := Load(Param("kc"), GP64())
	ld3, ld5, ld7 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	LEAQ(Mem{Base: ld, Index: ld, Scale: 4}, ld5)
	LEAQ(Mem{Base: ld3, Index: ld, Scale: 4}, ld7)
	st3, st5, st7 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, st3)
	LEAQ(Mem{Base: stride, Index: stride, Scale: 4}, st5)
	LEAQ(Mem{Base: st3, Index: stride, Scale: 4}, st7)
	s4 := GP64()
	Label("transpose8_loop")
	CMPQ(kc, U8(8))
	JL(LabelRef("transpose8_done"))
	LEAQ(Mem{Base: s, Index: ld, Scale: 4}, s4)
	r := make([]reg.VecVirtual, 8)
	for i := range r {
		r[i] = YMM()
	}
	VMOVUPS(Mem{Base: s}, r[0])
	VMOVUPS(Mem{Base: s, Index: ld, Scale: 1}, r[1])
	VMOVUPS(Mem{Base: s, Index: ld, Scale: 2}, r[2])
	VMOVUPS(Mem{Base: s, Index: ld3, Scale: 1}, r[3])
	VMOVUPS(Mem{Base: s4}, r[4])
	VMOVUPS(Mem{Base: s, Index: ld5, Scale: 1}, r[5])
	VMOVUPS(Mem{Base: s4, Index: ld, Scale: 2}, r[6])
	VMOVUPS(Mem{Base: s, Index: ld7, Scale: 1}, r[7])
	t := make([]reg.VecVirtual, 8)
	for i := 0; i < 4; i++ {
		t[2*i], t[2*i+1] = YMM(), YMM()
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])   // a0 b0 a1 b1 | a4 b4 a5 b5
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1]) // a2 b2 a3 b3 | a6 b6 a7 b7
	}
	u := make([]reg.VecVirtual, 8)
	for h := 0; h < 2; h++ { // rows 0–3, rows 4–7
		for q := 0; q < 2; q++ {
			lo, hi := t[4*h+q], t[4*h+2+q]
			u[4*h+2*q], u[4*h+2*q+1] = YMM(), YMM()
			VSHUFPS(U8(0x44), hi, lo, u[4*h+2*q])   // column 2q (and 2q+4)
			VSHUFPS(U8(0xEE), hi, lo, u[4*h+2*q+1]) // column 2q+1 (and 2q+5)
		}
	}
	dst := []Mem{
		{Base: d}, {Base: d, Index: stride, Scale: 1}, {Base: d, Index: stride, Scale: 2}, {Base: d, Index: st3, Scale: 1},
		{Base: d, Index: stride, Scale: 4}, {Base: d, Index: st5, Scale: 1}, {Base: d, Index: st3, Scale: 2}, {Base: d, Index: st7, Scale: 1},
	}
	for c := 0; c < 4; c++ {
		lo, hi := YMM(), YMM()
		VPERM2F128(U8(0x20), u[4+c], u[c], lo)
		VPERM2F128(U8(0x31), u[4+c], u[c], hi)
		VMOVUPS(lo, dst[c])
		VMOVUPS(hi, dst[c+4])
	}
	ADDQ(U8(32), s)
	LEAQ(Mem{Base: d, Index: stride, Scale: 8}, d)
	SUBQ(U8(8), kc)
	JMP(LabelRef("transpose8_loop"))
	Label("transpose8_done")
	VZEROUPPER()
	RET()
}
