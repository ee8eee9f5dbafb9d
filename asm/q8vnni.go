package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmQ8VNNIKernel emits gemmQ8Q8x4VNNIAsm: Q8_0 weights times four
// tokens of Q8_0 activations, each weight block loaded once for the four
// tokens, the integer dot products by AVX-512 VNNI (VPDPBUSD on YMM, so
// AVX512_VNNI + AVX512VL): |w| as the unsigned operand and x·sign(w) as
// the signed one, four products per lane, the same lane sums as
// VPMADDUBSW + VPMADDWD. Per (row, token) the float arithmetic is that of
// gemvQ8Q8Asm (lane sums to float, times d_w·d_x, one FMA chain over the
// blocks, the same horizontal sum), so the results are bit-identical.
//
// y[t·ldy + r] for rows r < m and tokens t < 4; xq holds the four tokens'
// rows of nb blocks of 34 bytes one after another; xd[4b+t] is token t's
// scale of block b as float32.
func gemmQ8VNNIKernel() {
	name := "gemmQ8Q8x4VNNIAsm"
	TEXT(name, NOSPLIT, "func(y []float32, ldy int, w, xq []byte, xd []float32, m, nb int)")
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
	r := GP64()
	XORQ(r, r)
	Label(name + "_row")
	CMPQ(r, m)
	JAE(LabelRef(name + "_end"))
	acc := zeros(4)
	xp, xp1, dp := base("xq"), GP64(), base("xd")
	LEAQ(Mem{Base: xp, Index: xr, Scale: 1}, xp1)
	xs := []Mem{{Base: xp, Disp: 2}, {Base: xp1, Disp: 2}, {Base: xp, Index: xr, Scale: 2, Disp: 2}, {Base: xp1, Index: xr, Scale: 2, Disp: 2}}
	xend := GP64() // the end of token 0's row
	LEAQ(Mem{Base: xp, Index: xr, Scale: 1}, xend)
	Label(name + "_blk")
	CMPQ(xp, xend)
	JAE(LabelRef(name + "_rowdone"))
	qw := YMM()
	VMOVDQU(Mem{Base: w, Disp: 2}, qw)
	ax := YMM()
	VPSIGNB(qw, qw, ax) // |w|, unsigned
	h := GP32()
	MOVWLZX(Mem{Base: w}, h)
	dw := XMM()
	VMOVD(h, dw)
	VCVTPH2PS(dw, dw)
	for t := 0; t < 4; t++ {
		sx := YMM()
		VMOVDQU(xs[t], sx)
		VPSIGNB(qw, sx, sx) // x·sign(w), signed
		z := YMM()
		VPXOR(z, z, z)
		VPDPBUSD(sx, ax, z)
		VCVTDQ2PS(z, z)
		dx := XMM()
		VMULSS(Mem{Base: dp, Disp: 4 * t}, dw, dx)
		d := YMM()
		VBROADCASTSS(dx, d)
		VFMADD231PS(z, d, acc[t])
	}
	ADDQ(U32(34), w)
	ADDQ(U32(34), xp)
	ADDQ(U32(34), xp1)
	ADDQ(U32(16), dp)
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
