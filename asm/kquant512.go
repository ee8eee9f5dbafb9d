package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The one-token integer path of Q6_K on AVX-512 (F, BW, VL, VNNI), with
// the integers and float32 arithmetic of the AVX2 kernel (kquant.go), so
// the results are bit for bit the same; only the instructions differ.
//
// A super-block's 256 six-bit quants q (0..63, weight sc·(q−32)) are
// taken 64 at a time, one ZMM per quarter pair: the low nibbles of the 64
// bytes ql[64n…] are elements 128n+0..63, their high nibbles elements
// 128n+64..127. The two high bits come from qh[32n…], broadcast to both
// 256-bit halves and masked once per n (0x33 in the low half, 0xcc in the
// high half); a per-qword rotate (VPROLVQ by 4|2 or 0|−2) then puts the
// pair each half needs at bits 4–5 with zeros at bits 6–7, and one
// VPTERNLOGD merges nibble and high bits (bits 0–3 from the nibble, the
// rest from the rotated bits).
//
// The offset of 32 costs no per-element work: VPMADDUBSW of the unsigned
// q with the signed activations gives the pair sums Σ q·qx, and the pair
// sums 32·(qx_2i + qx_2i+1) of the activations, computed once per call
// into c, are subtracted word by word, leaving Σ (q−32)·qx, the words the
// AVX2 kernel gets from its sign trick. VPDPWSSD then multiplies them by
// the sub-block scales (VPERMW spreads the 16 sign-extended scales, one
// per 128-bit lane) and adds them into 16 dwords; the two 256-bit halves
// of the super-block's sum are added at the end, giving exactly the eight
// integer lanes of the AVX2 kernel, which are converted and accumulated
// with the same FMA by d·d_x.

// cmemRaw defines a constant from its bytes (any length).
func cmemRaw(name string, v []byte) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k, b := range v {
		DATA(k, U8(b))
	}
	expConstMem[name] = m
	return m
}

// cmem64Halves is a 64-byte constant of byte lo in the low 32 bytes and
// byte hi in the high 32.
func cmem64Halves(name string, lo, hi byte) Mem {
	var v [64]byte
	for k := range v {
		v[k] = lo
		if k >= 32 {
			v[k] = hi
		}
	}
	return cmemRaw(name, v[:])
}

// cmemQwords64 is a 64-byte constant of qword lo in the low four qwords
// and hi in the high four.
func cmemQwords64(name string, lo, hi uint64) Mem {
	var v [64]byte
	for k := 0; k < 8; k++ {
		q := lo
		if k >= 4 {
			q = hi
		}
		for b := 0; b < 8; b++ {
			v[8*k+b] = byte(q >> (8 * b))
		}
	}
	return cmemRaw(name, v[:])
}

// ternImm returns VPTERNLOGD's immediate for f(dst, src2, src3), the
// Go-order operands VPTERNLOGD(imm, src3, src2, dst).
func ternImm(f func(a, b, c bool) bool) U8 {
	var imm uint8
	for i := 0; i < 8; i++ {
		if f(i&4 != 0, i&2 != 0, i&1 != 0) {
			imm |= 1 << i
		}
	}
	return U8(imm)
}

func kquant512Kernels() {
	q6KZKernel()
}

// q6KZKernel emits gemvQ6KQ8KZAsm(y, w, xq, c): y[r] for every row r of
// the Q6_K rows w against one row xq of Q8_K activations; c (128 int16
// per block) is scratch, where the kernel first writes the activations'
// pair sums 32·(qx_2i + qx_2i+1).
func q6KZKernel() {
	const name = "gemvQ6KQ8KZAsm"
	TEXT(name, NOSPLIT, "func(y []float32, w, xq []byte, c []int16)")
	Pragma("noescape")
	y, w, xq0, c0 := base("y"), base("w"), base("xq"), base("c")
	m, xlen := length("y"), length("xq")
	xend, yend := GP64(), GP64()
	LEAQ(Mem{Base: xq0, Index: xlen, Scale: 1}, xend)
	LEAQ(Mem{Base: y, Index: m, Scale: 4}, yend)
	nib, hmask := ZMM(), ZMM()
	VMOVDQU64(cmem64Halves("nib15x64", 0x0f, 0x0f), nib)
	VMOVDQU64(cmem64Halves("q6hmask", 0x33, 0xcc), hmask)
	rot := []reg.VecVirtual{ZMM(), ZMM()}
	VMOVDQU64(cmemQwords64("q6rot01", 4, 2), rot[0])
	VMOVDQU64(cmemQwords64("q6rot23", 0, 62), rot[1])
	idx := make([]reg.VecVirtual, 4)
	for c := range idx {
		var v [64]byte
		for j := 0; j < 32; j++ {
			v[2*j] = byte(4*c + j/8)
		}
		idx[c] = ZMM()
		VMOVDQU64(cmemRaw(fmt.Sprintf("q6scidx%d", c), v[:]), idx[c])
	}
	// bits 0–3 (nib set) from the quants' nibbles, the others from the
	// rotated high bits.
	// c: the activations' pair sums 32·(qx_2i + qx_2i+1), once per call.
	{
		k32, t := ZMM(), ZMM()
		VMOVDQU64(cmem64Halves("b32x64", 32, 32), k32)
		xp, cp := GP64(), GP64()
		MOVQ(xq0, xp)
		MOVQ(c0, cp)
		Label(name + "_pairs")
		CMPQ(xp, xend)
		JAE(LabelRef(name + "_row"))
		for c := 0; c < 4; c++ {
			VPMADDUBSW(Mem{Base: xp, Disp: 4 + 64*c}, k32, t)
			VMOVDQU64(t, Mem{Base: cp, Disp: 64 * c})
		}
		ADDQ(U32(q8kBytes), xp)
		ADDQ(U32(256), cp)
		JMP(LabelRef(name + "_pairs"))
	}
	merge := ternImm(func(rot, q, nib bool) bool {
		if nib {
			return q
		}
		return rot
	})

	Label(name + "_row")
	CMPQ(y, yend)
	JAE(LabelRef(name + "_end"))
	acc := YMM()
	VXORPS(acc, acc, acc)
	xp, cp := GP64(), GP64()
	MOVQ(xq0, xp)
	MOVQ(c0, cp)
	Label(name + "_blk")
	CMPQ(xp, xend)
	JAE(LabelRef(name + "_rowdone"))
	sc := ZMM()
	VPMOVSXBW(Mem{Base: w, Disp: 192}, sc.AsY())
	isum := ZMM()
	VPXORD(isum, isum, isum)
	for n := 0; n < 2; n++ {
		hb := ZMM()
		VBROADCASTI64X4(Mem{Base: w, Disp: 128 + 32*n}, hb)
		VPANDD(hmask, hb, hb)
		ql := ZMM()
		VMOVDQU64(Mem{Base: w, Disp: 64 * n}, ql)
		for half := 0; half < 2; half++ {
			c := 2*n + half // elements 64c..64c+63
			a := ql
			if half == 1 {
				a = ZMM()
				VPSRLW(U8(4), ql, a)
			}
			q := ZMM()
			VPROLVQ(rot[half], hb, q)
			VPTERNLOGD(merge, nib, a, q)
			p := ZMM()
			VPMADDUBSW(Mem{Base: xp, Disp: 4 + 64*c}, q, p)
			VPSUBW(Mem{Base: cp, Disp: 64 * c}, p, p)
			s := ZMM()
			VPERMW(sc, idx[c], s)
			VPDPWSSD(s, p, isum)
		}
	}
	h := YMM()
	VEXTRACTI64X4(U8(1), isum, h)
	VPADDD(h, isum.AsY(), h)
	VCVTDQ2PS(h, h)
	VFMADD231PS(h, halfScale(Mem{Base: w, Disp: 208}, Mem{Base: xp}), acc) // d·d_x
	ADDQ(U32(210), w)
	ADDQ(U32(q8kBytes), xp)
	ADDQ(U32(256), cp)
	JMP(LabelRef(name + "_blk"))
	rowEnd(name, y, acc)
}
