package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The AVX2 forms of the ZMM integer kernels of q8zmm.go, for CPUs without
// AVX-512 VNNI: the same arithmetic, eight rows to a YMM instead of
// sixteen to a ZMM, so their results are bit for bit those of
// zGemm.exact (kernel/q8zmm_amd64.go).
//
// Each dword lane holds one of the eight rows (the rows' blocks loaded
// and transposed by yRows.load4 as zRows.load4 does), and VPDPBUSD is
// emulated:
//
//   - Q4_0: the nibbles (unsigned, 0..15) times the token's four
//     activation bytes broadcast (VPBROADCASTD) by VPMADDUBSW; eight such
//     words summed by VPADDW cannot overflow (8·2·15·128 < 2¹⁵), then
//     VPMADDWD with ones adds each row's two words, and the token's
//     correction −8·Σx makes the block's exact Σ (q−8)·x.
//   - Q8_0: VPMADDUBSW(|w|, x·sign(w)) — the sign of w moved onto x
//     (VPSIGNB) — cannot saturate (2·128·127 < 2¹⁵) and is exact for
//     every weight byte, −128 included, and activations in [−127, 127]
//     (all our Q8_0 quantizers write); then VPMADDWD with ones and VPADDD,
//     no bias and no correction.
//
// The block's integer sum is converted to float and added by
// fma(float32(Σ), d_w·d_x, acc), one per block in block order.

// yRows walks eight rows of Q8_0 or Q4_0 blocks: b[l] points at row 4l
// of the group's current block, rows 4l+1..4l+3 are rb, 2·rb and 3·rb
// after it.
type yRows struct {
	q4      bool
	bs      int
	rb, rb3 reg.GPVirtual
	b       [2]reg.GPVirtual
	pf      reg.GPVirtual // the next group's bytes, prefetched as this one is read
	idx     Mem           // the gather indices i·rb of the rows' scales
}

// newYRows loads rb and stores the gather indices i·rb in the frame.
func newYRows(q4 bool) *yRows {
	y := &yRows{q4: q4, bs: 34, rb: GP64(), rb3: GP64()}
	if q4 {
		y.bs = 18
	}
	Load(Param("rb"), y.rb)
	LEAQ(Mem{Base: y.rb, Index: y.rb, Scale: 2}, y.rb3)
	y.idx = AllocLocal(32)
	v := YMM()
	VPBROADCASTD(y.rb.As32(), v)
	VPMULLD(cmemIdx("iota8y", []uint32{0, 1, 2, 3, 4, 5, 6, 7}), v, v)
	VMOVDQU(v, y.idx)
	return y
}

// start points b at block 0 of row group g (rows 8g..8g+7 of w).
func (y *yRows) start(g reg.Register) {
	w := Load(Param("w").Base(), GP64())
	off := GP64()
	MOVQ(g, off)
	SHLQ(U8(3), off)
	IMULQ(y.rb, off)
	y.b[0], y.b[1], y.pf = GP64(), GP64(), GP64()
	LEAQ(Mem{Base: w, Index: off, Scale: 1}, y.b[0])
	LEAQ(Mem{Base: y.b[0], Index: y.rb, Scale: 4}, y.b[1])
	LEAQ(Mem{Base: y.b[1], Index: y.rb, Scale: 4}, y.pf)
	for k := 1; k < yPrefetchGroups; k++ {
		LEAQ(Mem{Base: y.pf, Index: y.rb, Scale: 8}, y.pf)
	}
}

// yPrefetchGroups is how many row groups ahead the AVX2 kernels prefetch.
var yPrefetchGroups = 1

// step moves to the next block and prefetches the next group's next
// 8·bs bytes (see zRows.step: the eight row streams are not followed by
// the hardware prefetchers).
func (y *yRows) step() {
	for off := 0; off < 8*y.bs; off += 64 {
		PREFETCHT0(Mem{Base: y.pf, Disp: off})
	}
	ADDQ(U32(8*y.bs), y.pf)
	ADDQ(U32(y.bs), y.b[0])
	ADDQ(U32(y.bs), y.b[1])
}

// scales gathers the eight rows' binary16 block scales as float32.
func (y *yRows) scales() reg.VecVirtual {
	idx, mask, raw := YMM(), YMM(), YMM()
	VMOVDQU(y.idx, idx)
	VPCMPEQD(mask, mask, mask)
	VPXOR(raw, raw, raw)
	VPGATHERDD(mask, Mem{Base: y.b[0], Index: idx, Scale: 1}, raw)
	// the low word of each dword, lane by lane to the low eight bytes,
	// then both lanes' to the low 128 bits
	VPSHUFB(cmemSeq("lowords8y", [32]byte{0, 1, 4, 5, 8, 9, 12, 13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		0, 1, 4, 5, 8, 9, 12, 13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}), raw, raw)
	VPERMQ(U8(0x08), raw, raw)
	dw := YMM()
	VCVTPH2PS(raw.AsX(), dw)
	return dw
}

// load4 loads 16 bytes at disp of each row's block and transposes them:
// dword j of row i lands in dword i of the j-th result. Row 4l+q goes to
// 128-bit lane l of register q, then transposeLanes4 puts rows
// 4l..4l+3 in order.
func (y *yRows) load4(disp int) []reg.VecVirtual {
	v := make([]reg.VecVirtual, 4)
	for q := 0; q < 4; q++ {
		v[q] = YMM()
		VMOVDQU(rowMem(y.b[0], y.rb, y.rb3, q, disp), v[q].AsX())
		VINSERTI128(U8(1), rowMem(y.b[1], y.rb, y.rb3, q, disp), v[q], v[q])
	}
	transposeLanes4(v, YMM)
	return v
}

// rowMem addresses byte disp of row q < 4 counted from the row at b:
// b + q·rb + disp (rb3 = 3·rb).
func rowMem(b, rb, rb3 reg.Register, q, disp int) Mem {
	switch q {
	case 0:
		return Mem{Base: b, Disp: disp}
	case 1:
		return Mem{Base: b, Index: rb, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: b, Index: rb, Scale: 2, Disp: disp}
	}
	return Mem{Base: b, Index: rb3, Scale: 1, Disp: disp}
}

// transposeLanes4 transposes the 4×4 dwords of v[0..3] inside each
// 128-bit lane (YMM or ZMM; tmp makes a temporary of their size): dword
// j of lane l of v[q] goes to dword q of lane l of v[j].
func transposeLanes4(v []reg.VecVirtual, tmp func() reg.VecVirtual) {
	t0, t1, t2, t3 := tmp(), tmp(), tmp(), tmp()
	VPUNPCKLDQ(v[1], v[0], t0) // a0 b0 a1 b1
	VPUNPCKHDQ(v[1], v[0], t1) // a2 b2 a3 b3
	VPUNPCKLDQ(v[3], v[2], t2) // c0 d0 c1 d1
	VPUNPCKHDQ(v[3], v[2], t3) // c2 d2 c3 d3
	VPUNPCKLQDQ(t2, t0, v[0])  // a0 b0 c0 d0
	VPUNPCKHQDQ(t2, t0, v[1])
	VPUNPCKLQDQ(t3, t1, v[2])
	VPUNPCKHQDQ(t3, t1, v[3])
}

// nibbles returns the eight Q4_0 operands: op[j] holds the unsigned
// nibbles of elements 4j..4j+3 of every row's block, row i in dword i.
func (y *yRows) nibbles() []reg.VecVirtual {
	op := make([]reg.VecVirtual, 8)
	v := y.load4(2)
	mask := cmemBytes("nib15x32", 0x0f)
	for j := 0; j < 4; j++ {
		op[j], op[4+j] = v[j], YMM()
		VPSRLW(U8(4), v[j], op[4+j])
		VPAND(mask, op[4+j], op[4+j])
		VPAND(mask, v[j], op[j])
	}
	return op
}

// gemmQ8YKernel emits gemmQ8Q8x8x8YAsm (gemmQ4Q8x8x8YAsm with q4): the
// AVX2 form of gemmQ8ZKernel, eight rows × eight tokens, reading the
// same packed activations (320 bytes per block: eight tokens' 32 quant
// bytes, their corrections −off·Σx (Q4_0 only), their float32 scales).
// y[t·ldy + 8g + i] for row groups g < ng (of eight rows), t < nt.
//
// Per block the rows' operands stay in registers (Q8_0: |w|, with w in
// the frame for VPSIGNB) and the eight tokens' float accumulators in the
// frame.
func gemmQ8YKernel(q4 bool) {
	name := "gemmQ8Q8x8x8YAsm"
	if q4 {
		name = "gemmQ4Q8x8x8YAsm"
	}
	TEXT(name, NOSPLIT, "func(y []float32, ldy int, w []byte, rb int, xp []byte, nt, ng, nb int)")
	Pragma("noescape")
	yr := newYRows(q4)
	accm := AllocLocal(8 * 32)
	var wm Mem
	if !q4 {
		wm = AllocLocal(8 * 32)
	}
	g := GP64()
	XORQ(g, g)
	Label(name + "_group")
	CMPQ(g, Load(Param("ng"), GP64()))
	JAE(LabelRef(name + "_end"))
	yr.start(g)
	{
		z := YMM()
		VPXOR(z, z, z)
		for t := 0; t < 8; t++ {
			VMOVDQU(z, accm.Offset(32*t))
		}
	}
	xp := Load(Param("xp").Base(), GP64())
	nb := Load(Param("nb"), GP64())
	Label(name + "_blk")
	TESTQ(nb, nb)
	JZ(LabelRef(name + "_store"))
	dw := yr.scales()
	var op []reg.VecVirtual
	if q4 {
		op = yr.nibbles()
	} else {
		op = make([]reg.VecVirtual, 8)
		for h := 0; h < 2; h++ {
			v := yr.load4(2 + 16*h)
			for j := 0; j < 4; j++ {
				op[4*h+j] = v[j]
				VMOVDQU(v[j], wm.Offset(32*(4*h+j)))
				VPABSB(v[j], v[j])
			}
		}
	}
	ones := YMM()
	VMOVDQU(cmemWords("ones16", 1), ones)
	for t := 0; t < 8; t++ {
		var s reg.VecVirtual
		for j := 0; j < 8; j++ {
			p := YMM()
			VPBROADCASTD(Mem{Base: xp, Disp: 32*t + 4*j}, p)
			if q4 {
				VPMADDUBSW(p, op[j], p)
				if j == 0 {
					s = p
				} else {
					VPADDW(p, s, s)
				}
				continue
			}
			VPSIGNB(wm.Offset(32*j), p, p)
			VPMADDUBSW(p, op[j], p)
			VPMADDWD(ones, p, p)
			if j == 0 {
				s = p
			} else {
				VPADDD(p, s, s)
			}
		}
		if q4 {
			VPMADDWD(ones, s, s)
			c := YMM()
			VPBROADCASTD(Mem{Base: xp, Disp: 256 + 4*t}, c)
			VPADDD(c, s, s)
		}
		d := YMM()
		VBROADCASTSS(Mem{Base: xp, Disp: 288 + 4*t}, d)
		VMULPS(dw, d, d)
		VCVTDQ2PS(s, s)
		acc := YMM()
		VMOVUPS(accm.Offset(32*t), acc)
		VFMADD231PS(d, s, acc)
		VMOVUPS(acc, accm.Offset(32*t))
	}
	yr.step()
	ADDQ(U32(320), xp)
	DECQ(nb)
	JMP(LabelRef(name + "_blk"))

	Label(name + "_store")
	{
		y := groupOut(g, 8)
		ldy := Load(Param("ldy"), GP64())
		SHLQ(U8(2), ldy)
		nt := Load(Param("nt"), GP64())
		for t := 0; t < 8; t++ {
			CMPQ(nt, U8(t))
			JBE(LabelRef(name + "_next"))
			a := YMM()
			VMOVUPS(accm.Offset(32*t), a)
			VMOVUPS(a, Mem{Base: y})
			if t < 7 {
				ADDQ(ldy, y)
			}
		}
	}
	Label(name + "_next")
	INCQ(g)
	JMP(LabelRef(name + "_group"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// gemvQ8YKernel emits gemvQ8Q8x8YAsm (gemvQ4Q8x8YAsm with q4): the
// one-token form, reading the token's Q8_0 blocks as they are. Its
// prologue fills aux (2·nb words) with each block's correction −8·Σx
// (Q4_0; 0 for Q8_0) and float32 scale; then eight rows at a time, the
// arithmetic of the eight-token kernel. y[8g + i] for g < ng.
func gemvQ8YKernel(q4 bool) {
	name := "gemvQ8Q8x8YAsm"
	if q4 {
		name = "gemvQ4Q8x8YAsm"
	}
	TEXT(name, NOSPLIT, "func(y []float32, w []byte, rb int, xq []byte, aux []uint32, ng, nb int)")
	Pragma("noescape")
	auxPrologue(name, map[bool]int{false: -1, true: 3}[q4]) // Q8_0: no correction; Q4_0: off = 8
	yr := newYRows(q4)
	g := GP64()
	XORQ(g, g)
	Label(name + "_group")
	CMPQ(g, Load(Param("ng"), GP64()))
	JAE(LabelRef(name + "_end"))
	yr.start(g)
	acc := YMM()
	VXORPS(acc, acc, acc)
	xp, ap := base("xq"), base("aux")
	nb := Load(Param("nb"), GP64())
	ones := YMM()
	VMOVDQU(cmemWords("ones16", 1), ones)
	Label(name + "_blk")
	TESTQ(nb, nb)
	JZ(LabelRef(name + "_store"))
	dw := yr.scales()
	var s reg.VecVirtual
	if q4 {
		op := yr.nibbles()
		for j := 0; j < 8; j++ {
			p := YMM()
			VPBROADCASTD(Mem{Base: xp, Disp: 2 + 4*j}, p)
			VPMADDUBSW(p, op[j], p)
			if j == 0 {
				s = p
			} else {
				VPADDW(p, s, s)
			}
		}
		VPMADDWD(ones, s, s)
		c := YMM()
		VPBROADCASTD(Mem{Base: ap}, c)
		VPADDD(c, s, s)
	} else {
		for h := 0; h < 2; h++ {
			v := yr.load4(2 + 16*h)
			for k := 0; k < 4; k++ {
				j := 4*h + k
				p := YMM()
				VPBROADCASTD(Mem{Base: xp, Disp: 2 + 4*j}, p)
				VPSIGNB(v[k], p, p)
				VPABSB(v[k], v[k])
				VPMADDUBSW(p, v[k], p)
				VPMADDWD(ones, p, p)
				if j == 0 {
					s = p
				} else {
					VPADDD(p, s, s)
				}
			}
		}
	}
	d := YMM()
	VBROADCASTSS(Mem{Base: ap, Disp: 4}, d)
	VMULPS(dw, d, d)
	VCVTDQ2PS(s, s)
	VFMADD231PS(d, s, acc)
	yr.step()
	ADDQ(U32(34), xp)
	ADDQ(U32(8), ap)
	DECQ(nb)
	JMP(LabelRef(name + "_blk"))
	Label(name + "_store")
	{
		y := groupOut(g, 8)
		VMOVUPS(acc, Mem{Base: y})
	}
	INCQ(g)
	JMP(LabelRef(name + "_group"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}
