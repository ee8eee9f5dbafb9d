package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The integer path of the K-quants: rows of Q4_K, Q5_K or Q6_K weights
// against activations quantized to Q8_K (d float32, 256 int8, 16 int16
// block sums; 292 bytes a block). One row at a time; per super-block the
// sub-block products Σ q·qx come from VPMADDUBSW (unsigned 4-, 5- or 6-bit
// weights × signed activations, pairs added into int16 without overflow:
// 2·63·127 < 2¹⁵) and VPMADDWD with the sub-block scale broadcast to every
// word, so one instruction adds the pairs and applies the scale. The
// minimum terms (Q4_K, Q5_K: dmin·Σ m_j·Σqx) and Q6_K's offset of 32
// (Σ sc·(q−32)·qx = Σ sc·q·qx − 32·Σ sc·Σqx) come from the block sums:
// one VPMADDWD of the 16 sums with the 16 (duplicated) scales or mins.

const q8kBytes = 292

// cmemSeq defines a 32-byte constant from its bytes.
func cmemSeq(name string, v [32]byte) Mem { return cmemRaw(name, v[:]) }

// wordBcast is the VPSHUFB mask that copies word lo to every word of the
// low 128-bit lane and word hi to every word of the high lane.
func wordBcast(lo, hi int) Mem {
	var v [32]byte
	for k := 0; k < 16; k++ {
		w := lo
		if k >= 8 {
			w = hi
		}
		v[2*(k%8)+16*(k/8)] = byte(2 * w)
		v[2*(k%8)+16*(k/8)+1] = byte(2*w + 1)
	}
	return cmemSeq(fmt.Sprintf("wbcast%d%d", lo, hi), v)
}

// halfScale loads the binary16 at m, multiplies it by the float32 at dx
// and broadcasts the product.
func halfScale(m, dx Mem) reg.VecVirtual {
	h := GP32()
	MOVWLZX(m, h)
	t := XMM()
	VMOVD(h, t)
	VCVTPH2PS(t, t)
	VMULSS(dx, t, t)
	b := YMM()
	VBROADCASTSS(t, b)
	return b
}

func kquantKernels() {
	for _, typ := range []string{"Q4K", "Q5K", "Q6K"} {
		kquantKernel(typ, 1)
		kquantKernel(typ, 4)
	}
}

// kquantKernel emits the kernel of one K-quant for ntok tokens at a time.
// ntok == 1: gemvQxKQ8KAsm(y, w, xq), one activation row, y[r] for every
// row r of w. ntok > 1: gemmQxKQ8Kx4Asm(y, ldy, w, xq, m) with xq holding
// ntok activation rows one after another and y[t·ldy+r] for rows r < m:
// each weight block is unpacked once (scales, nibbles, high bits) and
// multiplied with every token's block, so the weight-side work is shared.
func kquantKernel(typ string, ntok int) {
	q5, q6 := typ == "Q5K", typ == "Q6K"
	bb := map[string]int{"Q4K": 144, "Q5K": 176, "Q6K": 210}[typ]
	name := "gemv" + typ + "Q8KAsm"
	sig := "func(y []float32, w, xq []byte)"
	if ntok > 1 {
		name = fmt.Sprintf("gemm%sQ8Kx%dAsm", typ, ntok)
		sig = "func(y []float32, ldy int, w, xq []byte, m int)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	y, w, xq0 := base("y"), base("w"), base("xq")
	xlen := length("xq")
	var m, ldy, xrow reg.Register
	if ntok == 1 {
		m = length("y")
	} else {
		m = Load(Param("m"), GP64())
		ldy = Load(Param("ldy"), GP64())
		SHLQ(U8(2), ldy) // bytes
		xrow = GP64()
		MOVQ(xlen, xrow)
		SHRQ(U8(2), xrow) // one token's bytes (ntok == 4)
		MOVQ(xrow, xlen)
	}
	xend, yend := GP64(), GP64()
	LEAQ(Mem{Base: xq0, Index: xlen, Scale: 1}, xend)
	LEAQ(Mem{Base: y, Index: m, Scale: 4}, yend)
	mask := YMM()
	VMOVDQU(cmemBytes("nib15x32", 0x0f), mask)
	var accmMem Mem
	if !q6 && ntok > 1 {
		accmMem = AllocLocal(16 * ntok)
	}
	Label(name + "_row")
	CMPQ(y, yend)
	JAE(LabelRef(name + "_end"))
	acc := zeros(ntok)
	var accm reg.VecVirtual // Q4_K/Q5_K minimum terms, one token
	if !q6 {
		if ntok == 1 {
			accm = XMM()
			VXORPS(accm, accm, accm)
		} else {
			z := XMM()
			VXORPS(z, z, z)
			for t := 0; t < ntok; t++ {
				VMOVUPS(z, accmMem.Offset(16*t))
			}
		}
	}
	xp := GP64()
	MOVQ(xq0, xp)
	var xp1 reg.Register
	if ntok > 1 {
		xp1 = GP64()
	}
	// tok addresses byte disp of token t's current activation block.
	tok := func(t, disp int) Mem {
		switch t {
		case 0:
			return Mem{Base: xp, Disp: disp}
		case 1:
			return Mem{Base: xp1, Disp: disp}
		case 2:
			return Mem{Base: xp, Index: xrow, Scale: 2, Disp: disp}
		}
		return Mem{Base: xp1, Index: xrow, Scale: 2, Disp: disp}
	}
	Label(name + "_blk")
	CMPQ(xp, xend)
	JAE(LabelRef(name + "_rowdone"))
	if ntok > 1 {
		LEAQ(Mem{Base: xp, Index: xrow, Scale: 1}, xp1)
	}
	isum := zeros(ntok)
	tmp := YMM()
	// addTok adds sc·(q·x_t) for every token: q unsigned bytes, s the
	// scale words, x at byte disp of each token's block.
	addTok := func(q, s reg.VecVirtual, disp int) {
		for t := 0; t < ntok; t++ {
			VPMADDUBSW(tok(t, disp), q, tmp)
			VPMADDWD(s, tmp, tmp)
			VPADDD(tmp, isum[t], isum[t])
		}
	}
	if !q6 {
		// 6-bit scales and mins from the 12 bytes at w+4.
		u0, u1, u2 := GP32(), GP32(), GP32()
		MOVL(Mem{Base: w, Disp: 4}, u0)
		MOVL(Mem{Base: w, Disp: 8}, u1)
		MOVL(Mem{Base: w, Disp: 12}, u2)
		sclo, mnlo, schi := GP32(), GP32(), GP32()
		MOVL(u0, sclo)
		ANDL(U32(0x3f3f3f3f), sclo)
		MOVL(u1, mnlo)
		ANDL(U32(0x3f3f3f3f), mnlo)
		MOVL(u2, schi)
		ANDL(U32(0x0f0f0f0f), schi)
		SHRL(U8(6), u0)
		ANDL(U32(0x03030303), u0)
		SHLL(U8(4), u0)
		ORL(u0, schi)
		SHRL(U8(4), u2)
		ANDL(U32(0x0f0f0f0f), u2)
		SHRL(U8(6), u1)
		ANDL(U32(0x03030303), u1)
		SHLL(U8(4), u1)
		ORL(u1, u2) // mins 4..7
		xs, xm := XMM(), XMM()
		VMOVD(sclo, xs)
		VPINSRD(U8(1), schi, xs, xs)
		VMOVD(mnlo, xm)
		VPINSRD(U8(1), u2, xm, xm)
		VPMOVZXBW(xs, xs)
		sc := YMM()
		VINSERTI128(U8(1), xs, xs.AsY(), sc)
		qsOff := 16
		if q5 {
			qsOff = 48
		}
		for c := 0; c < 4; c++ {
			for half := 0; half < 2; half++ {
				j := 2*c + half
				q := YMM()
				if half == 0 {
					VPAND(Mem{Base: w, Disp: qsOff + 32*c}, mask, q)
				} else {
					VPSRLW(U8(4), Mem{Base: w, Disp: qsOff + 32*c}, q)
					VPAND(mask, q, q)
				}
				if q5 { // bit j of qh[l] is the fifth bit: move it to bit 4
					h := YMM()
					qh := Mem{Base: w, Disp: 16}
					switch {
					case j < 4:
						VPSLLW(U8(4-j), qh, h)
					case j > 4:
						VPSRLW(U8(j-4), qh, h)
					default:
						VMOVDQU(qh, h)
					}
					VPAND(cmemBytes("bit4x32", 0x10), h, h)
					VPOR(h, q, q)
				}
				s := YMM()
				VPSHUFB(wordBcast(j, j), sc, s)
				addTok(q, s, 4+32*j)
			}
		}
		// The minimum terms go to a 4-lane accumulator per token (Q4_K)
		// or a scalar sum of their integer total (Q5_K), as in llama.cpp,
		// so that the float sums round alike: lane k gets
		// m_2k·S_2k + m_2k+1·S_2k+1 with S_j the sum of sub-block j's
		// activations (pairs of block sums, VPHADDW).
		VPMOVZXBW(xm, xm)
		dw, dmin := XMM(), XMM()
		h := GP32()
		MOVWLZX(Mem{Base: w}, h)
		VMOVD(h, dw)
		VCVTPH2PS(dw, dw)
		MOVWLZX(Mem{Base: w, Disp: 2}, h)
		VMOVD(h, dmin)
		VCVTPH2PS(dmin, dmin)
		for t := 0; t < ntok; t++ {
			VCVTDQ2PS(isum[t], isum[t])
			d := XMM()
			VMULSS(tok(t, 0), dw, d)
			db := YMM()
			VBROADCASTSS(d, db)
			VFMADD231PS(isum[t], db, acc[t])
			s := XMM()
			VMOVDQU(tok(t, 4+256), s)
			VPHADDW(tok(t, 4+256+16), s, s)
			VPMADDWD(xm, s, s)
			if q5 { // llama.cpp's Q5_K adds the four as integers first
				VPHADDD(s, s, s)
				VPHADDD(s, s, s)
			}
			VCVTDQ2PS(s, s)
			VMULSS(tok(t, 0), dmin, d)
			VBROADCASTSS(d, d)
			fnma := VFNMADD231PS
			if q5 {
				fnma = VFNMADD231SS // lane 0 only: a scalar sum
			}
			if ntok == 1 {
				fnma(s, d, accm)
			} else {
				a := XMM()
				VMOVUPS(accmMem.Offset(16*t), a)
				fnma(s, d, a)
				VMOVUPS(a, accmMem.Offset(16*t))
			}
		}
	} else {
		swLo, swHi := YMM(), YMM()
		VPMOVSXBW(Mem{Base: w, Disp: 192}, tmp)
		VPERMQ(U8(0x44), tmp, swLo) // words 0..7 in both lanes
		VPERMQ(U8(0xee), tmp, swHi) // words 8..15 in both lanes
		for n := 0; n < 2; n++ {
			for quarter := 0; quarter < 4; quarter++ {
				ql := Mem{Base: w, Disp: 64*n + 32*(quarter%2)}
				qh := Mem{Base: w, Disp: 128 + 32*n}
				q := YMM()
				if quarter < 2 {
					VPAND(ql, mask, q)
				} else {
					VPSRLW(U8(4), ql, q)
					VPAND(mask, q, q)
				}
				h := YMM()
				switch quarter { // bits 2q, 2q+1 of qh → bits 4, 5
				case 0:
					VPSLLW(U8(4), qh, h)
				case 1:
					VPSLLW(U8(2), qh, h)
				case 2:
					VMOVDQU(qh, h)
				case 3:
					VPSRLW(U8(2), qh, h)
				}
				VPAND(cmemBytes("bits45x32", 0x30), h, h)
				VPOR(h, q, q)
				// q−32 per element (llama.cpp subtracts 32·qx pair by
				// pair, which puts the same integers in the same lanes):
				// |q−32| times qx·sign(q−32).
				VPSUBB(cmemBytes("b32x32", 32), q, q)
				aq := YMM()
				VPABSB(q, aq)
				p := 4*n + quarter // sub-blocks 2p (low lane) and 2p+1 (high lane)
				src := swLo
				if p >= 4 {
					src = swHi
				}
				s := YMM()
				VPSHUFB(wordBcast(2*(p%4), 2*(p%4)+1), src, s)
				for t := 0; t < ntok; t++ {
					VMOVDQU(tok(t, 4+128*n+32*quarter), tmp)
					VPSIGNB(q, tmp, tmp)
					VPMADDUBSW(tmp, aq, tmp)
					VPMADDWD(s, tmp, tmp)
					VPADDD(tmp, isum[t], isum[t])
				}
			}
		}
		dw := XMM()
		h := GP32()
		MOVWLZX(Mem{Base: w, Disp: 208}, h)
		VMOVD(h, dw)
		VCVTPH2PS(dw, dw)
		for t := 0; t < ntok; t++ {
			VCVTDQ2PS(isum[t], isum[t])
			d := XMM()
			VMULSS(tok(t, 0), dw, d)
			db := YMM()
			VBROADCASTSS(d, db)
			VFMADD231PS(isum[t], db, acc[t])
		}
	}
	ADDQ(U32(bb), w)
	ADDQ(U32(q8kBytes), xp)
	JMP(LabelRef(name + "_blk"))
	Label(name + "_rowdone")
	out := []Mem{{Base: y}}
	if ntok > 1 {
		y1 := GP64()
		LEAQ(Mem{Base: y, Index: ldy, Scale: 1}, y1)
		out = []Mem{{Base: y}, {Base: y1}, {Base: y, Index: ldy, Scale: 2}, {Base: y1, Index: ldy, Scale: 2}}
	}
	for t := 0; t < ntok; t++ {
		r := hsum(acc[t])
		if !q6 { // + the 4-lane minimum terms, reduced as llama.cpp does
			a := accm
			if ntok > 1 {
				a = XMM()
				VMOVUPS(accmMem.Offset(16*t), a)
			}
			if !q5 {
				u := XMM()
				VMOVHLPS(a, a, u)
				VADDPS(u, a, a)
				VMOVSHDUP(a, u)
				VADDSS(u, a, a)
			}
			VADDSS(a, r, r)
		}
		VMOVSS(r, out[t])
	}
	ADDQ(U8(4), y)
	JMP(LabelRef(name + "_row"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// iq4Kernels: IQ4_XS rows against Q8_K activations and IQ4_NL rows against
// Q8_0 activations. The 4-bit indices pick int8 values from the 16-entry
// codebook with one VPSHUFB; the signed values then go through VPSIGNB
// (|w| unsigned, qx·sign(w) signed) into VPMADDUBSW (2·127·127 < 2¹⁵).
// IQ4_XS's eight 6-bit scales are assembled with PDEP (BMI2): the low
// nibbles of the four scales_l bytes and the 2-bit pairs of scales_h
// deposited into one byte per scale.
func iq4Kernels() {
	var book [32]byte
	for k, v := range []int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113} {
		book[k], book[k+16] = byte(v), byte(v)
	}
	for _, xs := range []bool{true, false} {
		name, bb, xb := "gemvIQ4XSQ8KAsm", 136, q8kBytes
		if !xs {
			name, bb, xb = "gemvIQ4NLQ8Asm", 18, 34
		}
		TEXT(name, NOSPLIT, "func(y []float32, w, xq []byte)")
		Pragma("noescape")
		y, w, xq0 := base("y"), base("w"), base("xq")
		m, xlen := length("y"), length("xq")
		xend, yend := GP64(), GP64()
		LEAQ(Mem{Base: xq0, Index: xlen, Scale: 1}, xend)
		LEAQ(Mem{Base: y, Index: m, Scale: 4}, yend)
		mask, cb, ones := YMM(), YMM(), YMM()
		VMOVDQU(cmemBytes("nib15x32", 0x0f), mask)
		VMOVDQU(cmemSeq("iq4book", book), cb)
		VMOVDQU(cmemWords("ones16", 1), ones)
		Label(name + "_row")
		CMPQ(y, yend)
		JAE(LabelRef(name + "_end"))
		acc := YMM()
		VXORPS(acc, acc, acc)
		xp := GP64()
		MOVQ(xq0, xp)
		Label(name + "_blk")
		CMPQ(xp, xend)
		JAE(LabelRef(name + "_rowdone"))
		// dot32 returns the 8 int32 partial sums of the 32 codebook
		// values of the 16 index bytes at qm against the 32 int8 at xm.
		dot32 := func(qm, xm Mem, scale reg.VecVirtual) reg.VecVirtual {
			raw, hi := XMM(), XMM()
			VMOVDQU(qm, raw)
			VPSRLW(U8(4), raw, hi)
			q := YMM()
			VINSERTI128(U8(1), hi, raw.AsY(), q)
			VPAND(mask, q, q)
			VPSHUFB(q, cb, q) // codebook values, signed
			x := YMM()
			VMOVDQU(xm, x)
			VPSIGNB(q, x, x)
			VPSIGNB(q, q, q)
			VPMADDUBSW(x, q, q)
			VPMADDWD(scale, q, q)
			return q
		}
		if !xs {
			p := dot32(Mem{Base: w, Disp: 2}, Mem{Base: xp, Disp: 2}, ones)
			VCVTDQ2PS(p, p)
			h := GP32()
			MOVWLZX(Mem{Base: xp}, h)
			dx := XMM()
			VMOVD(h, dx)
			VCVTPH2PS(dx, dx)
			MOVWLZX(Mem{Base: w}, h)
			dw := XMM()
			VMOVD(h, dw)
			VCVTPH2PS(dw, dw)
			VMULSS(dx, dw, dw)
			d := YMM()
			VBROADCASTSS(dw, d)
			VFMADD231PS(p, d, acc)
		} else {
			sl, sh, mk, ls := GP64(), GP64(), GP64(), GP64()
			MOVLQZX(Mem{Base: w, Disp: 4}, sl)
			MOVWQZX(Mem{Base: w, Disp: 2}, sh)
			MOVQ(U64(0x0f0f0f0f0f0f0f0f), mk)
			PDEPQ(mk, sl, ls)
			MOVQ(U64(0x3030303030303030), mk)
			PDEPQ(mk, sh, sh)
			ORQ(sh, ls)
			s8 := XMM()
			VMOVQ(ls, s8)
			VPMOVZXBW(s8, s8)
			VPSUBW(cmemWords("w32x16", 32), s8, s8)
			sc := YMM()
			VINSERTI128(U8(1), s8, s8.AsY(), sc)
			isum := YMM()
			VPXOR(isum, isum, isum)
			for ib := 0; ib < 8; ib++ {
				s := YMM()
				VPSHUFB(wordBcast(ib, ib), sc, s)
				p := dot32(Mem{Base: w, Disp: 8 + 16*ib}, Mem{Base: xp, Disp: 4 + 32*ib}, s)
				VPADDD(p, isum, isum)
			}
			VCVTDQ2PS(isum, isum)
			VFMADD231PS(isum, halfScale(Mem{Base: w}, Mem{Base: xp}), acc)
		}
		ADDQ(U32(bb), w)
		ADDQ(U32(xb), xp)
		JMP(LabelRef(name + "_blk"))
		rowEnd(name, y, acc)
	}
}

// rowEnd emits the end of a one-row kernel's loops: at name_rowdone the
// sum of acc's eight lanes (hsum) stored at y, y advanced, back to
// name_row; then name_end, where the kernel returns.
func rowEnd(name string, y reg.Register, acc reg.VecVirtual) {
	Label(name + "_rowdone")
	VMOVSS(hsum(acc), Mem{Base: y})
	ADDQ(U8(4), y)
	JMP(LabelRef(name + "_row"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}
