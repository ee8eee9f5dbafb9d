package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// blasKernels emits the SGEMM helpers of kernel/gemm.go that are not
// micro-kernels: the copies of B into NR-wide slivers of the AVX2 (16
// floats, YMM) and AVX-512 (32 floats, ZMM) families.
func blasKernels() {
	packBRows("packB16Asm", 16, 8)
	packBRows("packB32Asm", 32, 16)
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
