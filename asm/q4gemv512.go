package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// q4GemvZKernel emits gemvQ4ZAsm(y, w, x): Q4_0 rows (blocks of 18
// bytes: binary16 scale d, 16 bytes of nibbles, low nibbles elements
// 0–15, high ones 16–31) times float32 x, one row at a time, with
// AVX-512F (16 lanes). Each block's 32 weights are dequantized exactly as
// quant's dequantizer does, w = d·(q−8) rounded to float32, and then
// multiplied into the accumulators: the result is the F32 dot product of
// the dequantized row up to summation order.
//
// The nibbles become floats by table lookup instead of integer
// conversion: per block the 16-entry table {d·(q−8) : q = 0..15} is one
// multiply of the constant table {q−8} by d, and VPERMPS, which on 16
// lanes indexes with the low 4 bits of each dword and ignores the rest,
// looks up the low nibbles straight from the zero-extended bytes and the
// high nibbles after one shift. Per block that is 1 widening load, 1
// shift, 1 multiply, 2 permutes and 2 FMAs (plus the scale's conversion
// and broadcast), against 2 widening loads, 2 shifts, 2 ANDs, 4
// conversions, 4 FMAs and the block-sum correction of gemvQ4SumAsm.
func q4GemvZKernel() {
	name := "gemvQ4ZAsm"
	TEXT(name, NOSPLIT, "func(y []float32, w []byte, x []float32)")
	Pragma("noescape")
	y, w, x := base("y"), base("w"), base("x")
	m := length("y")
	nb := length("x")
	SHRQ(U8(5), nb) // blocks per row
	tbl := ZMM()
	VMOVUPS(q4Table(), tbl)
	r := GP64()
	XORQ(r, r)
	Label(name + "_row")
	CMPQ(r, m)
	JAE(LabelRef(name + "_end"))
	acc := make([]reg.VecVirtual, 4)
	for k := range acc {
		acc[k] = ZMM()
		VXORPS(acc[k], acc[k], acc[k])
	}
	xp := GP64()
	MOVQ(x, xp)
	blk := GP64()
	XORQ(blk, blk)
	one := func(k int) {
		PREFETCHT0(Mem{Base: w, Disp: gemvQ8Prefetch})
		dx := XMM()
		VCVTPH2PS(Mem{Base: w}, dx) // lane 0: d (the other lanes unused)
		d := ZMM()
		VBROADCASTSS(dx, d)
		t := ZMM()
		VMULPS(tbl, d, t) // d·(q−8) for q = 0..15
		z := ZMM()
		VPMOVZXBD(Mem{Base: w, Disp: 2}, z)
		h := ZMM()
		VPSRLD(U8(4), z, h)
		lo, hi := ZMM(), ZMM()
		VPERMPS(t, z, lo) // elements 0..15: low nibbles
		VPERMPS(t, h, hi) // elements 16..31: high nibbles
		VFMADD231PS(Mem{Base: xp}, lo, acc[2*k])
		VFMADD231PS(Mem{Base: xp, Disp: 64}, hi, acc[2*k+1])
		ADDQ(U32(18), w)
		ADDQ(U32(128), xp)
	}
	blockPairs(name, blk, nb, one)
	VADDPS(acc[2], acc[0], acc[0])
	VADDPS(acc[3], acc[1], acc[1])
	VADDPS(acc[1], acc[0], acc[0])
	s := hsumZ(acc[0])
	VMOVSS(s, Mem{Base: y, Index: r, Scale: 4})
	INCQ(r)
	JMP(LabelRef(name + "_row"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// blockPairs emits the block loop of a one-row kernel: one(0) and one(1)
// for blocks blk and blk+1 while two remain, then one(0) for each
// remaining block (blk counts blocks up to nb), ending at the label
// name_rowdone.
func blockPairs(name string, blk, nb reg.Register, one func(k int)) {
	Label(name + "_blk2")
	t := GP64()
	MOVQ(blk, t)
	ADDQ(U8(2), t)
	CMPQ(t, nb)
	JA(LabelRef(name + "_blk1"))
	one(0)
	one(1)
	MOVQ(t, blk)
	JMP(LabelRef(name + "_blk2"))
	Label(name + "_blk1")
	CMPQ(blk, nb)
	JAE(LabelRef(name + "_rowdone"))
	one(0)
	INCQ(blk)
	JMP(LabelRef(name + "_blk1"))
	Label(name + "_rowdone")
}

// q4Table returns the 64-byte constant {q−8 : q = 0..15} as float32.
func q4Table() Mem {
	const name = "q4m8x16"
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for q := 0; q < 16; q++ {
		DATA(4*q, F32(float32(q-8)))
	}
	expConstMem[name] = m
	return m
}

// hsumZ returns an XMM register whose lane 0 holds the sum of the 16
// lanes of z, halving 16 → 8 → 4 → 2 → 1 (EVEX forms, any register).
func hsumZ(z reg.VecVirtual) reg.VecVirtual {
	return foldZ(z, func(a, b, dst Op) { VADDPS(a, b, dst) })
}

// foldZ is hsumZ with another lane-wise operation (op(a, b, dst), e.g.
// VMAXPS) in place of the addition.
func foldZ(z reg.VecVirtual, op func(a, b, dst Op)) reg.VecVirtual {
	h := YMM()
	VEXTRACTF64X4(U8(1), z, h)
	op(h, z.AsY(), h)
	l := XMM()
	VEXTRACTF32X4(U8(1), h, l)
	op(l, h.AsX(), l)
	t := XMM()
	VSHUFPS(U8(0x4E), l, l, t) // swap 64-bit halves
	op(t, l, l)
	VSHUFPS(U8(0xB1), l, l, t) // swap neighbours
	op(t, l, l)
	return l
}
