package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// sgemvMulti8Kernels emits the AVX-512 SgemvMulti family for one to eight
// activation vectors (kernel/multi_amd64.go's multiAVX512):
// sgemvMulti{V}x16Asm multiplies multi8Rows(V) weight rows by V vectors per
// pass, so with eight sequences in a batch every weight vector loaded from
// memory serves all eight.
//
// Batch invariance: every (row, vector) pair has one 16-lane accumulator
// summed over the columns in order by fused multiply-adds, then folded by
// the same tree (pairwise adds of neighbouring lanes twice, then the upper
// 256 bits onto the lower, then the upper 128 onto the lower; each result
// lane depends only on its own accumulator), so a vector's result is the
// same bits whatever V, its position among the V vectors, and the rows
// computed with it. y gets row q of vector v at y[v·multiStride+q]; rows are
// lda floats apart (lda 0 repeats one row: its P results go to
// y[v·multiStride+q .. +P-1]); n is a positive multiple of 16. Its results
// differ from the 8-lane AVX2 kernels' in the last bits, so a machine uses
// one family or the other, never both.
//
// The weights are prefetched into the L2 cache (PREFETCHT1) two passes
// ahead: with eight vectors a pass is long enough (24 multiply-adds per
// 16 columns) that the hardware prefetchers alone leave the multiply-adds
// waiting on memory and memory idle during the multiply-adds; the
// prefetch overlaps them (the 134M F32 model decoding 8 sequences on a
// loaded 2-core Zen 4: 29–33 → 22–24 ms per step, one sequence 18–22 →
// 17 ms; T1 beat T0, T2 and NTA; 2 passes ahead beat 3 and 4, 1 was close).
//
// Eight activation pointers, P row pointers and the prefetch pointer leave
// few of the 14 general registers: the column index runs from -n up to 0
// over pointers advanced by n (no register for n), and y and passes stay in
// the argument frame.
func sgemvMulti8Kernels() {
	for V := 1; V <= 8; V++ {
		P := multi8Rows(V)
		name := fmt.Sprintf("sgemvMulti%dx16Asm", V)
		TEXT(name, NOSPLIT, "func(y *float32, a *float32, lda int, xs *[8]*float32, passes, n int)")
		Pragma("noescape")
		yp, passes := argAddr("y"), argAddr("passes")
		n := Load(Param("n"), GP64())
		SHLQ(U8(2), n)
		a := Load(Param("a"), GP64())
		ADDQ(n, a)
		lda := Load(Param("lda"), GP64())
		SHLQ(U8(2), lda)
		xsp := Load(Param("xs"), GP64())
		xs := make([]reg.Register, V)
		for v := range xs {
			xs[v] = GP64()
			MOVQ(Mem{Base: xsp, Disp: 8 * v}, xs[v])
			ADDQ(n, xs[v])
		}
		NEGQ(n)
		SARQ(U8(2), n) // -n, the first column index
		CMPQ(passes, U8(0))
		JE(LabelRef(name + "_end"))
		Label(name + "_rows")
		rows := rowPointers(a, lda, P)
		acc := zeroAccs(P, V, ZMM)
		i := GP64()
		MOVQ(n, i)
		// pf walks the rows of the pass after next, P cache lines per
		// step of 16 columns (rows lda = n apart are contiguous).
		pf := GP64()
		IMUL3Q(U32(multi8PrefetchPasses*P), lda, pf)
		ADDQ(a, pf)
		Label(name + "_cols")
		for q := 0; q < P; q++ {
			PREFETCHT1(Mem{Base: pf, Disp: 64 * q})
		}
		ADDQ(U32(64*P), pf)
		w := make([]reg.VecVirtual, P)
		for q := range w {
			w[q] = ZMM()
			VMOVUPS(Mem{Base: rows[q], Index: i, Scale: 4}, w[q])
		}
		for v := 0; v < V; v++ {
			xv := ZMM()
			VMOVUPS(Mem{Base: xs[v], Index: i, Scale: 4}, xv)
			for q := range w {
				VFMADD231PS(w[q], xv, acc[q][v])
			}
		}
		ADDQ(U8(16), i)
		JNZ(LabelRef(name + "_cols"))
		y := GP64()
		MOVQ(yp, y)
		storeSums(y, acc, func(src [4]reg.VecVirtual) reg.VecVirtual {
			// VHADDPS has no EVEX form (no Z16-Z31): shuffles and an add.
			hadd := func(a, b reg.VecVirtual) reg.VecVirtual {
				t1, t2 := ZMM(), ZMM()
				VSHUFPS(U8(0x88), b, a, t1)
				VSHUFPS(U8(0xDD), b, a, t2)
				VADDPS(t2, t1, t1)
				return t1
			}
			t := hadd(hadd(src[0], src[1]), hadd(src[2], src[3]))
			h := YMM()
			VEXTRACTF64X4(U8(1), t, h)
			VADDPS(h, t.AsY(), h)
			hi := XMM()
			VEXTRACTF32X4(U8(1), h, hi)
			VADDPS(hi, h.AsX(), hi)
			return hi
		})
		ADDQ(U8(4*P), yp)
		LEAQ(Mem{Base: rows[P-1], Index: lda, Scale: 1}, a)
		DECQ(passes)
		JNZ(LabelRef(name + "_rows"))
		Label(name + "_end")
		VZEROUPPER()
		RET()
	}
}

// storeSums folds the P×V accumulators acc[q][v] of an SgemvMulti kernel
// four at a time through fold (which returns an XMM whose lane k is the
// sum of src[k] alone; the last four are padded by repeating their last
// accumulator) and stores the sum of row q and vector v at
// y[v·multiStride+q].
func storeSums(y reg.Register, acc [][]reg.VecVirtual, fold func(src [4]reg.VecVirtual) reg.VecVirtual) {
	type slot struct{ q, v int }
	var all []slot
	for q := range acc {
		for v := range acc[q] {
			all = append(all, slot{q, v})
		}
	}
	for len(all) > 0 {
		g := all[:min(4, len(all))]
		all = all[len(g):]
		var src [4]reg.VecVirtual
		for k := range src {
			sl := g[min(k, len(g)-1)]
			src[k] = acc[sl.q][sl.v]
		}
		hi := fold(src)
		for k, sl := range g {
			dst := Mem{Base: y, Disp: 4 * (sl.v*multiStride + sl.q)}
			if k == 0 {
				VMOVSS(hi, dst)
			} else {
				VEXTRACTPS(U8(k), hi, dst)
			}
		}
	}
}

// argAddr is the address of an argument in the frame.
func argAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// multi8Rows is how many weight rows sgemvMulti{V}x16Asm takes per pass:
// P·V accumulators, P weight vectors and one activation vector within the
// 32 ZMM registers (kernel.multiAVX512's rows must be the same).
func multi8Rows(V int) int {
	if V <= 6 {
		return 4
	}
	return 3
}

// multi8PrefetchPasses is how many passes ahead sgemvMulti{V}x16Asm
// prefetches the weights.
const multi8PrefetchPasses = 2
