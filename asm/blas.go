package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// blasKernels emits the SGEMM helpers of kernel/gemm.go that are not
// micro-kernels (the copies of B into NR-wide slivers of the AVX2 (16
// floats, YMM) and AVX-512 (32 floats, ZMM) families) and Sgemv's
// AVX-512 kernel.
func blasKernels() {
	packBRows("packB16Asm", 16, 8)
	packBRows("packB32Asm", 32, 16)
	sgemvRowsZ("sgemv8x32Asm", 8, 2, 2048)
}

// packBRows emits name(dst, src, ldb, kc, ns): ns ≥ 1 whole slivers of nr
// floats (a multiple of lanes, 8 or 16) of kc rows (row stride ldb
// elements) of src, sliver s (src columns s·nr … s·nr+nr−1) to
// dst[s·kc·nr:], row p of it at p·nr. It walks src row by row, ns·nr
// consecutive floats each: copying a 1024×1024 B with four slivers per
// pass ran 22 % faster than one sliver (kc rows 4 KiB apart) at a time,
// and software prefetching rows ahead made it slower.
func packBRows(name string, nr, lanes int) {
	TEXT(name, NOSPLIT, "func(dst, src []float32, ldb, kc, ns int)")
	Pragma("noescape")
	d, s := base("dst"), base("src")
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	kc := Load(Param("kc"), GP64())
	ns := Load(Param("ns"), GP64())
	dstride := GP64() // bytes between slivers: kc·nr·4
	MOVQ(kc, dstride)
	SHLQ(U8(bitsOf(4*nr)), dstride)
	sp, dp, j := GP64(), GP64(), GP64()
	Label(name + "_row")
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_done"))
	MOVQ(s, sp)
	MOVQ(d, dp)
	MOVQ(ns, j)
	Label(name + "_sliver")
	vb := 4 * lanes
	v := make([]reg.VecVirtual, nr/lanes)
	for k := range v {
		if lanes == 16 {
			v[k] = ZMM()
		} else {
			v[k] = YMM()
		}
		VMOVUPS(Mem{Base: sp, Disp: vb * k}, v[k])
	}
	for k := range v {
		VMOVUPS(v[k], Mem{Base: dp, Disp: vb * k})
	}
	ADDQ(U32(4*nr), sp)
	ADDQ(dstride, dp)
	DECQ(j)
	JNZ(LabelRef(name + "_sliver"))
	ADDQ(ldb, s)
	ADDQ(U32(4*nr), d)
	DECQ(kc)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// bitsOf returns log2(n) for a power of two n.
func bitsOf(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	if 1<<b != n {
		panic("bitsOf: not a power of two")
	}
	return b
}

// sgemvRowsZ emits name(y, a, x, lda): y[r] = Σ_i a[r·lda+i]·x[i] for R
// rows at a time (len(y) a multiple of R, R a multiple of 4), len(x) a
// multiple of 16·U: each 16-float vector of x is loaded once per pass and
// multiplied into R rows, U vectors per row per loop step, one 16-lane
// accumulator per (row, u) summed in order and added pairwise at the end
// of the row. pf > 0 prefetches every row pf bytes ahead into L2
// (PREFETCHT1), one cache line per prefetch.
//
// Sgemv 4096², 2 threads, 10-call samples taken in turn with OpenBLAS's
// on the shared machine (90th percentile GB/s, three runs): OpenBLAS
// 38.7, 25.3, 40.3; the AVX2 four-row kernel 35.5, 24.4, 32.8; 8 rows ×
// 2 vectors 43.0, 26.1, 40.3; 8 × 1 and 4 × 2 within a few per cent of
// it, 12 × 1 slower. Prefetching rows 1 or 2 KiB ahead into L1
// (PREFETCHT0) or non-temporally (PREFETCHNTA) was 5–10 % slower than
// none, but into L2 (PREFETCHT1) faster: at load 2–3, medians of the same
// samples 14.0–16.1 GFLOP/s without, 16.4–18.1 at 4 KiB, 16.6–17.3 at
// 8 KiB, 17.1–18.9 at 2 KiB (OpenBLAS 14.3–15.5).
func sgemvRowsZ(name string, R, U, pf int) {
	TEXT(name, NOSPLIT, "func(y, a, x []float32, lda int)")
	Pragma("noescape")
	y, a, x := base("y"), base("a"), base("x")
	ym, err := Param("y").Len().Resolve()
	if err != nil {
		panic(err)
	}
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda) // bytes per row
	lda3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	G := R / 4
	r := GP64()
	XORQ(r, r)
	Label(name + "_rows")
	CMPQ(r, ym.Addr)
	JAE(LabelRef(name + "_end"))
	ptr := make([]reg.GPVirtual, G)
	for g := range ptr {
		ptr[g] = GP64()
		if g == 0 {
			MOVQ(a, ptr[g])
		} else {
			LEAQ(Mem{Base: ptr[g-1], Index: lda, Scale: 4}, ptr[g])
		}
	}
	row := func(q, disp int) Mem {
		p := ptr[q/4]
		switch q % 4 {
		case 0:
			return Mem{Base: p, Disp: disp}
		case 1:
			return Mem{Base: p, Index: lda, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: p, Index: lda, Scale: 2, Disp: disp}
		}
		return Mem{Base: p, Index: lda3, Scale: 1, Disp: disp}
	}
	acc := make([][]reg.VecVirtual, R)
	for q := range acc {
		acc[q] = make([]reg.VecVirtual, U)
		for u := range acc[q] {
			acc[q][u] = ZMM()
			VXORPS(acc[q][u], acc[q][u], acc[q][u])
		}
	}
	xp := GP64()
	MOVQ(x, xp)
	cnt := length("x")
	Label(name + "_cols")
	for u := 0; u < U; u++ {
		xv := ZMM()
		VMOVUPS(Mem{Base: xp, Disp: 64 * u}, xv)
		for q := 0; q < R; q++ {
			if pf > 0 {
				PREFETCHT1(row(q, pf+64*u))
			}
			VFMADD231PS(row(q, 64*u), xv, acc[q][u])
		}
	}
	for g := range ptr {
		ADDQ(U32(64*U), ptr[g])
	}
	ADDQ(U32(64*U), xp)
	SUBQ(U32(16*U), cnt)
	JNZ(LabelRef(name + "_cols"))
	for q := 0; q < R; q++ {
		for w := U; w > 1; w /= 2 {
			for k := 0; k < w/2; k++ {
				VADDPS(acc[q][k+w/2], acc[q][k], acc[q][k])
			}
		}
		VMOVSS(hsumZ(acc[q][0]), Mem{Base: y, Index: r, Scale: 4, Disp: 4 * q})
	}
	for g := 0; g < G; g++ {
		LEAQ(Mem{Base: a, Index: lda, Scale: 4}, a)
	}
	ADDQ(U32(R), r)
	JMP(LabelRef(name + "_rows"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}
