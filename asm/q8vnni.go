package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmQ8VNNIKernel emits gemmQ8Q8x4VNNIAsm: Q8_0 weights times four
// tokens of Q8_0 activations, each weight block loaded once for the four
// tokens, the integer dot products by AVX-512 VNNI (VPDPBUSD on YMM, so
// AVX512_VNNI + AVX512VL). VPDPBUSD multiplies unsigned by signed bytes:
// the weights are biased to w+128 (unsigned) and the caller passes, per
// token and block, nc = −128·Σx over each lane's four bytes, so a lane
// starts at nc and ends at Σ(w+128)·x − 128·Σx = Σw·x, the same lane
// sums as VPMADDUBSW + VPMADDWD. The float arithmetic per (row, token) is
// that of gemvQ8Q8Asm (lane sums to float, times d_w·d_x rounded to
// float32, one FMA chain over the blocks, the same horizontal sum), so
// the results are bit-identical.
//
// y[t·ldy + r] for rows r < m and tokens t < 4; xq holds the four tokens'
// rows of nb blocks of 34 bytes one after another. xd (4·nb floats) and
// nc (32·nb int32) are scratch the kernel fills first: xd[4b+t] is token
// t's scale of block b as float32, nc[32b+8t+i] its lane correction.
//
// With q4 it emits gemmQ4Q8x4VNNIAsm for Q4_0 weights (blocks of 18
// bytes: the 16 low nibbles are elements 0–15, the high ones 16–31): the
// nibbles q are unsigned already, and a lane starts at −8·Σx, so it ends
// at Σ(q−8)·x, the lane sums of gemvQ4Q8Asm.
func gemmQ8VNNIKernel(q4 bool) {
	name, bs, off := "gemmQ8Q8x4VNNIAsm", 34, uint8(0x80)
	if q4 {
		name, bs, off = "gemmQ4Q8x4VNNIAsm", 18, 8
	}
	TEXT(name, NOSPLIT, "func(y []float32, ldy int, w, xq []byte, xd []float32, nc []int32, m, nb int)")
	Pragma("noescape")
	y, w := base("y"), base("w")
	ldy := Load(Param("ldy"), GP64())
	SHLQ(U8(2), ldy) // bytes between tokens' outputs
	m := Load(Param("m"), GP64())
	nb := Load(Param("nb"), GP64())
	xr := GP64()
	IMUL3Q(U32(34), nb, xr) // bytes per token's activation row
	y1 := GP64()
	LEAQ(Mem{Base: y, Index: ldy, Scale: 1}, y1)
	bias := YMM() // the offset of the unsigned operand, in every byte
	VMOVDQU(cmemBytes(map[bool]string{false: "bias80x32", true: "bias08x32"}[q4], off), bias)
	var mask reg.VecVirtual
	if q4 {
		mask = YMM()
		VMOVDQU(cmemBytes("nib15x32", 0x0f), mask)
	}
	idx := make([]reg.VecVirtual, 4)
	for t := range idx {
		idx[t] = YMM()
		VMOVDQU(cmemIdx([]string{"perm0x8", "perm1x8", "perm2x8", "perm3x8"}[t], []uint32{uint32(t), uint32(t), uint32(t), uint32(t), uint32(t), uint32(t), uint32(t), uint32(t)}), idx[t])
	}
	// Prologue: the activations' float scales and lane corrections, once
	// for all rows.
	{
		aw := newActWalk(xr)
		xs := aw.xs
		Label(name + "_prep")
		CMPQ(aw.xp, aw.xend)
		JAE(LabelRef(name + "_prepdone"))
		for t := 0; t < 4; t++ {
			z := YMM()
			VPXOR(z, z, z)
			VPDPBUSD(xs[t].Offset(2), bias, z) // off·Σx per lane
			zero := YMM()
			VPXOR(zero, zero, zero)
			VPSUBD(z, zero, z)
			VMOVDQU(z, Mem{Base: aw.cp, Disp: 32 * t})
			h := GP32()
			MOVWLZX(xs[t], h)
			dx := XMM()
			VMOVD(h, dx)
			VCVTPH2PS(dx, dx)
			VMOVSS(dx, Mem{Base: aw.dp, Disp: 4 * t})
		}
		aw.step()
		JMP(LabelRef(name + "_prep"))
		Label(name + "_prepdone")
	}
	r := GP64()
	XORQ(r, r)
	Label(name + "_row")
	CMPQ(r, m)
	JAE(LabelRef(name + "_end"))
	acc := zeros(4)
	aw := newActWalk(xr)
	Label(name + "_blk")
	CMPQ(aw.xp, aw.xend)
	JAE(LabelRef(name + "_rowdone"))
	qw := YMM()
	if q4 {
		unpackQ4_0(Mem{Base: w, Disp: 2}, mask, qw)
	} else {
		VPXOR(Mem{Base: w, Disp: 2}, bias, qw) // w+128 as unsigned bytes
	}
	h := GP32()
	MOVWLZX(Mem{Base: w}, h)
	dw := XMM()
	VMOVD(h, dw)
	VCVTPH2PS(dw, dw)
	VBROADCASTSS(dw, dw)
	ds := XMM()
	VMULPS(Mem{Base: aw.dp}, dw, ds) // d_w·d_x of the four tokens
	for t := 0; t < 4; t++ {
		z := YMM()
		VMOVDQU(Mem{Base: aw.cp, Disp: 32 * t}, z)
		VPDPBUSD(aw.xs[t].Offset(2), qw, z)
		VCVTDQ2PS(z, z)
		d := YMM()
		VPERMPS(ds.AsY(), idx[t], d)
		VFMADD231PS(z, d, acc[t])
	}
	ADDQ(U32(bs), w)
	aw.step()
	JMP(LabelRef(name + "_blk"))
	Label(name + "_rowdone")
	for t, yt := range []reg.Register{y, y1, y, y1} {
		s := hsum(acc[t])
		if t < 2 {
			VMOVSS(s, Mem{Base: yt, Index: r, Scale: 4})
			continue
		}
		p := GP64()
		LEAQ(Mem{Base: yt, Index: r, Scale: 4}, p)
		VMOVSS(s, Mem{Base: p, Index: ldy, Scale: 2})
	}
	INCQ(r)
	JMP(LabelRef(name + "_row"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// actWalk walks the four tokens' Q8_0 activation blocks (rows xr bytes
// apart: xs[t] is token t's block) with the matching entries of the
// kernel's xd and nc scratch; xend is the end of token 0's row.
type actWalk struct {
	xp, xp1, dp, cp, xend reg.Register
	xs                    []Mem
}

// newActWalk loads the parameters xq, xd and nc and points at block 0.
func newActWalk(xr reg.Register) actWalk {
	a := actWalk{xp: base("xq"), xp1: GP64(), dp: base("xd"), cp: base("nc")}
	LEAQ(Mem{Base: a.xp, Index: xr, Scale: 1}, a.xp1)
	a.xend = GP64()
	LEAQ(Mem{Base: a.xp, Index: xr, Scale: 1}, a.xend)
	a.xs = []Mem{{Base: a.xp}, {Base: a.xp1}, {Base: a.xp, Index: xr, Scale: 2}, {Base: a.xp1, Index: xr, Scale: 2}}
	return a
}

// step moves to the next block.
func (a actWalk) step() {
	ADDQ(U32(34), a.xp)
	ADDQ(U32(34), a.xp1)
	ADDQ(U32(16), a.dp)
	ADDQ(U32(128), a.cp)
}
