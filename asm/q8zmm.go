package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmQ8ZKernel emits gemmQ8Q8x16x8ZAsm (and, with q4,
// gemmQ4Q8x16x8ZAsm): Q8_0 (Q4_0) weights times eight tokens of Q8_0
// activations, sixteen rows at a time, with AVX-512 VNNI on ZMM.
//
// Each dword lane of a ZMM holds one of the sixteen rows: the kernel
// loads the rows' blocks and transposes them (zWeights), so that operand
// j holds bytes 4j..4j+3 of every row's block. VPDPBUSD with the token's
// four activation bytes broadcast from memory then adds Σ_{i<4}
// w[4j+i]·x[4j+i] to each row's lane, and after the eight operands every
// lane holds its row's whole block dot product — no horizontal sums.
// Weights are the unsigned operand (Q8_0 biased by +128, Q4_0 nibbles as
// stored), so the lane starts at the token's correction −off·Σx of the
// block. The block's integer sum (exact) is converted to float, times
// d_w·d_x (rounded to float32), and added by one FMA per (row, token) in
// block order: the arithmetic of zGemm.exact (kernel/q8zmm_amd64.go).
//
// Activations come packed for the kernel: per block 320 bytes, the eight
// tokens' 32 quant bytes (256), their int32 corrections (32) and their
// float32 scales (32). y[t·ldy + 16g + i] for row groups g < ng, tokens
// t < nt; w holds ng·16 rows of rb bytes.
func gemmQ8ZKernel(q4 bool) {
	name, bs := "gemmQ8Q8x16x8ZAsm", 34
	if q4 {
		name, bs = "gemmQ4Q8x16x8ZAsm", 18
	}
	TEXT(name, NOSPLIT, "func(y []float32, ldy int, w []byte, rb int, xp []byte, nt, ng, nb int)")
	Pragma("noescape")
	z := newZRows(q4)
	g := GP64()
	XORQ(g, g)
	Label(name + "_group")
	CMPQ(g, Load(Param("ng"), GP64()))
	JAE(LabelRef(name + "_end"))
	z.start(g)
	acc := make([]reg.VecVirtual, 8)
	for t := range acc {
		acc[t] = ZMM()
		VPXORD(acc[t], acc[t], acc[t])
	}
	xp := Load(Param("xp").Base(), GP64())
	nb := Load(Param("nb"), GP64())
	Label(name + "_blk")
	TESTQ(nb, nb)
	JZ(LabelRef(name + "_store"))
	dw := z.scales()
	op := z.weights()
	ia := make([]reg.VecVirtual, 8)
	for t := range ia {
		ia[t] = ZMM()
		VPBROADCASTD(Mem{Base: xp, Disp: 256 + 4*t}, ia[t])
	}
	for j := 0; j < 8; j++ {
		for t := 0; t < 8; t++ {
			VPDPBUSD_BCST(Mem{Base: xp, Disp: 32*t + 4*j}, op[j], ia[t])
		}
	}
	for t := 0; t < 8; t++ {
		s := ZMM()
		VMULPS_BCST(Mem{Base: xp, Disp: 288 + 4*t}, dw, s)
		VCVTDQ2PS(ia[t], ia[t])
		VFMADD231PS(s, ia[t], acc[t])
	}
	z.step(bs)
	ADDQ(U32(320), xp)
	DECQ(nb)
	JMP(LabelRef(name + "_blk"))

	Label(name + "_store")
	{
		y := groupOut(g, 16)
		ldy := Load(Param("ldy"), GP64())
		SHLQ(U8(2), ldy)
		nt := Load(Param("nt"), GP64())
		for t := 0; t < 8; t++ {
			CMPQ(nt, U8(t))
			JBE(LabelRef(name + "_next"))
			VMOVUPS(acc[t], Mem{Base: y})
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

// gemvQ8ZKernel emits gemvQ8Q8x16ZAsm (gemvQ4Q8x16ZAsm with q4): the
// one-token form of gemmQ8ZKernel, reading the token's Q8_0 blocks as
// they are. Its prologue fills aux (2·nb words) with each block's
// correction −off·Σx and float32 scale; then sixteen rows at a time, the
// arithmetic of the eight-token kernel. y[16g + i] for g < ng.
func gemvQ8ZKernel(q4 bool) {
	name, bs := "gemvQ8Q8x16ZAsm", 34
	if q4 {
		name, bs = "gemvQ4Q8x16ZAsm", 18
	}
	TEXT(name, NOSPLIT, "func(y []float32, w []byte, rb int, xq []byte, aux []uint32, ng, nb int)")
	Pragma("noescape")
	auxPrologue(name, map[bool]int{false: 7, true: 3}[q4]) // off = 128, 8
	z := newZRows(q4)
	g := GP64()
	XORQ(g, g)
	Label(name + "_group")
	CMPQ(g, Load(Param("ng"), GP64()))
	JAE(LabelRef(name + "_end"))
	z.start(g)
	acc := ZMM()
	VPXORD(acc, acc, acc)
	xp, ap := base("xq"), base("aux")
	nb := Load(Param("nb"), GP64())
	Label(name + "_blk")
	TESTQ(nb, nb)
	JZ(LabelRef(name + "_store"))
	dw := z.scales()
	op := z.weights()
	ia := ZMM()
	VPBROADCASTD(Mem{Base: ap}, ia)
	// Two chains of four, summed at the end, shorten the dependency.
	ib := ZMM()
	VPXORD(ib, ib, ib)
	for j := 0; j < 8; j++ {
		VPDPBUSD_BCST(Mem{Base: xp, Disp: 2 + 4*j}, op[j], []reg.VecVirtual{ia, ib}[j&1])
	}
	VPADDD(ib, ia, ia)
	s := ZMM()
	VMULPS_BCST(Mem{Base: ap, Disp: 4}, dw, s)
	VCVTDQ2PS(ia, ia)
	VFMADD231PS(s, ia, acc)
	z.step(bs)
	ADDQ(U32(34), xp)
	ADDQ(U32(8), ap)
	DECQ(nb)
	JMP(LabelRef(name + "_blk"))
	Label(name + "_store")
	{
		VMOVUPS(acc, Mem{Base: groupOut(g, 16)})
	}
	INCQ(g)
	JMP(LabelRef(name + "_group"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// groupOut returns a pointer to y[rows·g], the first output of row group
// g of rows (16 or 8) rows.
func groupOut(g reg.Register, rows int) reg.Register {
	y := Load(Param("y").Base(), GP64())
	off := GP64()
	MOVQ(g, off)
	SHLQ(U8(map[int]uint8{16: 6, 8: 5}[rows]), off)
	ADDQ(off, y)
	return y
}

// xSums holds the constants of sum.
type xSums struct{ bias, zero reg.VecVirtual }

func newXSums() xSums {
	c := xSums{bias: YMM(), zero: YMM()}
	VPBROADCASTD(cmemIdx("bias80x4", []uint32{0x80808080}), c.bias)
	VPXOR(c.zero, c.zero, c.zero)
	return c
}

// sum returns Σx of the 32 signed activation bytes in q (which it
// overwrites): VPSADBW of the bytes biased to unsigned gives four sums of
// eight, less 128·32.
func (c xSums) sum(q reg.VecVirtual) reg.GPVirtual {
	VPXOR(c.bias, q, q)
	VPSADBW(c.zero, q, q)
	h := XMM()
	VEXTRACTI128(U8(1), q, h)
	VPADDQ(h, q.AsX(), h)
	h2 := XMM()
	VPSHUFD(U8(0x4e), h, h2)
	VPADDQ(h2, h, h)
	sum := GP64()
	VMOVQ(h, sum)
	SUBQ(U32(128*32), sum)
	return sum
}

// storeScale stores the binary16 scale of the Q8_0 block at xq to dst as
// float32.
func storeScale(xq reg.Register, dst Mem) {
	r := GP32()
	MOVWLZX(Mem{Base: xq}, r)
	d := XMM()
	VMOVD(r, d)
	VCVTPH2PS(d, d)
	VMOVSS(d, dst)
}

// auxPrologue emits the one-token kernels' prologue: aux[2b] = −off·Σx
// and aux[2b+1] = d_x (float32) for each block b of the token's Q8_0
// activations xq, off = 2^shift (shift < 0: no correction, 0).
func auxPrologue(name string, shift int) {
	xq, ap := base("xq"), base("aux")
	nb := Load(Param("nb"), GP64())
	var xs xSums
	if shift >= 0 {
		xs = newXSums()
	}
	Label(name + "_prep")
	TESTQ(nb, nb)
	JZ(LabelRef(name + "_prepdone"))
	if shift >= 0 {
		q := YMM()
		VMOVDQU(Mem{Base: xq, Disp: 2}, q)
		sum := xs.sum(q)
		SHLQ(U8(shift), sum)
		NEGQ(sum)
		MOVL(sum.As32(), Mem{Base: ap})
	} else {
		MOVL(U32(0), Mem{Base: ap})
	}
	storeScale(xq, Mem{Base: ap, Disp: 4})
	ADDQ(U32(34), xq)
	ADDQ(U32(8), ap)
	DECQ(nb)
	JMP(LabelRef(name + "_prep"))
	Label(name + "_prepdone")
}

// zRows walks sixteen rows of Q8_0 or Q4_0 blocks for the ZMM kernels:
// b[j] points at row 4j of the group's current block, rows 4j+1..4j+3
// are rb, 2·rb and 3·rb after it.
// zPrefetch returns how many row groups ahead the ZMM kernels prefetch
// and the instruction. Measured on one core, 32000×768 from memory (quiet,
// BenchmarkGemvQ8Z): Q8_0's 34-byte blocks read 10–14 GB/s prefetching
// one group ahead into L1, 27 two groups ahead into L2 (PREFETCHT1);
// Q4_0 was even (19–23), and its decode and prompts measured no better
// end to end, so it keeps one group into L1.
func zPrefetch(q4 bool) (int, func(Op)) {
	if q4 {
		return 1, func(m Op) { PREFETCHT0(m) }
	}
	return 2, func(m Op) { PREFETCHT1(m) }
}

type zRows struct {
	q4       bool
	rb, rb3  reg.GPVirtual
	idx, cst reg.VecVirtual
	b        []reg.Register
	pf       reg.Register // the next group's bytes, prefetched as this one is read
}

// newZRows loads rb (the parameter) and the constants: the gather
// indices i·rb of the rows' scales, and the nibble mask (Q4_0) or the
// +128 bias (Q8_0).
func newZRows(q4 bool) *zRows {
	z := &zRows{q4: q4, rb: GP64(), rb3: GP64(), idx: ZMM(), cst: ZMM()}
	Load(Param("rb"), z.rb)
	LEAQ(Mem{Base: z.rb, Index: z.rb, Scale: 2}, z.rb3)
	VPBROADCASTD(z.rb.As32(), z.idx)
	VPMULLD(cmemIdx("iota16", []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}), z.idx, z.idx)
	if q4 {
		VPBROADCASTD(cmemIdx("nib15x4", []uint32{0x0f0f0f0f}), z.cst)
	} else {
		VPBROADCASTD(cmemIdx("bias80x4", []uint32{0x80808080}), z.cst)
	}
	return z
}

// start points b at block 0 of row group g (rows 16g..16g+15 of w).
func (z *zRows) start(g reg.Register) {
	z.b = make([]reg.Register, 4)
	z.b[0] = GP64()
	w := Load(Param("w").Base(), GP64())
	off := GP64()
	MOVQ(g, off)
	SHLQ(U8(4), off)
	IMULQ(z.rb, off)
	LEAQ(Mem{Base: w, Index: off, Scale: 1}, z.b[0])
	for j := 1; j < 4; j++ {
		z.b[j] = GP64()
		LEAQ(Mem{Base: z.b[j-1], Index: z.rb, Scale: 4}, z.b[j])
	}
	z.pf = GP64()
	LEAQ(Mem{Base: z.b[3], Index: z.rb, Scale: 4}, z.pf)
	groups, _ := zPrefetch(z.q4)
	for k := 1; k < groups; k++ {
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
		ADDQ(z.rb, z.pf)
	}
}

// step moves to the next block. The sixteen rows of a group are one
// contiguous run of 16·rb bytes read as sixteen streams, which the
// hardware prefetchers do not follow from memory (measured: 7 GB/s
// against 26 GB/s for one row at a time on a 26 MB matrix): each block
// step prefetches a later group's bytes in order (zPrefetch: the next
// one for Q4_0, the one after for Q8_0), 16·bs of them, so the whole
// group is in cache when it starts.
func (z *zRows) step(bs int) {
	_, prefetch := zPrefetch(z.q4)
	for off := 0; off < 16*bs; off += 64 {
		prefetch(Mem{Base: z.pf, Disp: off})
	}
	ADDQ(U32(16*bs), z.pf)
	for j := 0; j < 4; j++ {
		ADDQ(U32(bs), z.b[j])
	}
}

// scales gathers the sixteen rows' binary16 block scales as float32.
func (z *zRows) scales() reg.VecVirtual {
	dw := ZMM()
	k := K()
	KXNORW(k, k, k)
	raw := ZMM()
	VPXORD(raw, raw, raw)
	VPGATHERDD(Mem{Base: z.b[0], Index: z.idx, Scale: 1}, k, raw)
	h := YMM()
	VPMOVDW(raw, h)
	VCVTPH2PS(h, dw)
	return dw
}

// weights returns the eight unsigned operands: op[j] holds quant bytes
// 4j..4j+3 of every row's block, row i in dword i.
func (z *zRows) weights() []reg.VecVirtual {
	op := make([]reg.VecVirtual, 8)
	if z.q4 {
		v := z.load4(2)
		for j := 0; j < 4; j++ {
			op[j], op[4+j] = v[j], ZMM()
			VPSRLW(U8(4), v[j], op[4+j])
			VPANDD(z.cst, op[4+j], op[4+j])
			VPANDD(z.cst, v[j], op[j])
		}
		return op
	}
	for h := 0; h < 2; h++ {
		v := z.load4(2 + 16*h)
		for j := 0; j < 4; j++ {
			op[4*h+j] = v[j]
			VPXORD(z.cst, v[j], v[j])
		}
	}
	return op
}

// load4 loads 16 bytes at disp of each row's block and transposes them:
// dword j of row i lands in dword i of the j-th result. Row 4l+q goes to
// 128-bit lane l of register q, then a 4×4 dword transpose inside each
// lane (transposeLanes4) puts rows 4l..4l+3 in order.
func (z *zRows) load4(disp int) []reg.VecVirtual {
	v := make([]reg.VecVirtual, 4)
	for q := 0; q < 4; q++ {
		v[q] = ZMM()
		VMOVDQU32(rowMem(z.b[0], z.rb, z.rb3, q, disp), v[q].AsX())
		for l := 1; l < 4; l++ {
			VINSERTI32X4(U8(l), rowMem(z.b[l], z.rb, z.rb3, q, disp), v[q], v[q])
		}
	}
	transposeLanes4(v, ZMM)
	return v
}

// quantQ8ZKernel emits quantizeQ8_0ZAsm: nb blocks of 32 activations
// quantized to Q8_0 as llama.cpp does on x86 (kernel.quantizeQ8_0x86):
// d = f16(max|x|/127) (round to nearest even), q = round-half-even(x ·
// (127/max|x|)), with 127/max|x| taken as 0 for an all-zero block.
func quantQ8ZKernel() {
	TEXT("quantizeQ8_0ZAsm", NOSPLIT, "func(dst []byte, x []float32, nb int)")
	Pragma("noescape")
	d, x := base("dst"), base("x")
	nb := Load(Param("nb"), GP64())
	absm := ZMM()
	VPBROADCASTD(cmemIdx("absmask1", []uint32{0x7fffffff}), absm)
	c127 := XMM()
	VMOVSS(cmem("c127", 127), c127)
	Label("quantQ8Z_loop")
	TESTQ(nb, nb)
	JZ(LabelRef("quantQ8Z_done"))
	v0, v1 := ZMM(), ZMM()
	VMOVUPS(Mem{Base: x}, v0)
	VMOVUPS(Mem{Base: x, Disp: 64}, v1)
	a := ZMM()
	VPANDD(absm, v0, a)
	a1 := ZMM()
	VPANDD(absm, v1, a1)
	VMAXPS(a1, a, a)
	hx := foldZ(a, func(a, b, dst Op) { VMAXPS(a, b, dst) }) // max|x|
	id := XMM()
	VXORPS(id, id, id)
	VUCOMISS(id, hx)
	JE(LabelRef("quantQ8Z_zero"))
	VDIVSS(hx, c127, id) // 127/max
	Label("quantQ8Z_zero")
	dd := XMM()
	VDIVSS(c127, hx, dd) // max/127
	VCVTPS2PH(U8(0), dd, dd)
	r := GP32()
	VMOVD(dd, r)
	MOVW(r.As16(), Mem{Base: d})
	idb := ZMM()
	VBROADCASTSS(id, idb)
	for k, v := range []reg.VecVirtual{v0, v1} {
		VMULPS(idb, v, v)
		VCVTPS2DQ(v, v)
		VPMOVSDB(v, Mem{Base: d, Disp: 2 + 16*k})
	}
	ADDQ(U32(128), x)
	ADDQ(U32(34), d)
	DECQ(nb)
	JMP(LabelRef("quantQ8Z_loop"))
	Label("quantQ8Z_done")
	VZEROUPPER()
	RET()
}

// packZKernel emits packQ8ZAsm, zGemm.pack for one group of nt ≤ 8
// tokens: per block, each token's 32 quant bytes, its correction
// −off·Σx (xSums) and its float32 scale; the entries of tokens nt..7 are left as they
// are (the caller clears them).
func packZKernel() {
	TEXT("packQ8ZAsm", NOSPLIT, "func(dst, xq []byte, xr, nt, nb, off int)")
	Pragma("noescape")
	p, src := base("dst"), base("xq")
	xr := Load(Param("xr"), GP64())
	nb := Load(Param("nb"), GP64())
	xs := newXSums()
	Label("packQ8Z_blk")
	TESTQ(nb, nb)
	JZ(LabelRef("packQ8Z_done"))
	s := GP64()
	MOVQ(src, s)
	t := GP64()
	XORQ(t, t)
	Label("packQ8Z_tok")
	CMPQ(t, Load(Param("nt"), GP64()))
	JAE(LabelRef("packQ8Z_next"))
	q := YMM()
	VMOVDQU(Mem{Base: s, Disp: 2}, q)
	o := GP64()
	MOVQ(t, o)
	SHLQ(U8(5), o)
	VMOVDQU(q, Mem{Base: p, Index: o, Scale: 1})
	sum := xs.sum(q)
	IMULQ(Load(Param("off"), GP64()), sum)
	NEGQ(sum)
	MOVL(sum.As32(), Mem{Base: p, Index: t, Scale: 4, Disp: 256})
	storeScale(s, Mem{Base: p, Index: t, Scale: 4, Disp: 288})
	ADDQ(xr, s)
	INCQ(t)
	JMP(LabelRef("packQ8Z_tok"))
	Label("packQ8Z_next")
	ADDQ(U32(34), src)
	ADDQ(U32(320), p)
	DECQ(nb)
	JMP(LabelRef("packQ8Z_blk"))
	Label("packQ8Z_done")
	VZEROUPPER()
	RET()
}
