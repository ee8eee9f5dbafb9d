package kernel

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/internal/le"
	"github.com/llmparts/llmparts/quant"
)

// The kernels of every weight type, registered in quant's table of types
// (quant.RegisterKernels) so that a caller holding a quant.Type finds them
// there. Three paths per type:
//
//   - Gemv, float activations: each block is decoded by the type's own
//     reference dequantizer into a 256-float buffer and dotted with x, so
//     the result equals the float32 product of the dequantized matrix up
//     to the order of the additions.
//   - GemvQ, the integer path: x is first quantized per block to the
//     type's VecDot format (QuantizeActivations: Q8_0, Q8_1 or Q8_K, as
//     llama.cpp does), then each block is an exact integer dot product
//     Σ q_w·q_x per sub-block, scaled by the block's float scales:
//
//     K-quants: d_x·(d·Σ_g sc_g·Σ_{i∈g} q_i·qx_i − dmin·Σ_g m_g·Σ_{i∈g} qx_i)
//     32-blocks: d_w·d_x·Σ q_i·qx_i (+ m_w·s_x for Q4_1/Q5_1, s_x = d_x·Σqx)
//
//   - GemmQ, the same for T activation rows at once: rows of W are taken
//     a few at a time (a few KiB, so they stay in L1/L2) and each is
//     multiplied with every token before the next are loaded.
//
// The generic Go versions below unpack a block to signed 8-bit quants
// (with per-16 scales and mins) and take one integer dot product; the
// AVX2 versions (dispatch_amd64.go) replace the hot types.

// unpackK decodes one 256-element block to signed quants q (the weight
// is d·sc[i/16]·q[i] − dmin·mn[i/16]) and returns d and dmin.
type unpackK func(b []byte, q *[256]int8, sc, mn *[16]int32) (d, dmin float32)

// unpack32 decodes one 32-element block to signed quants q (weight
// d·q[i] + m) and returns d and m.
type unpack32 func(b []byte, q *[32]int8) (d, m float32)

func f16le(b []byte) float32 { return f16Table[uint16(b[0])|uint16(b[1])<<8] }

// iq4nl is the non-linear codebook of IQ4_NL and IQ4_XS.
var iq4nl = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

func kScaleMin(j int, p []byte) (sc, m int32) {
	if j < 4 {
		return int32(p[j] & 63), int32(p[j+4] & 63)
	}
	return int32(p[j+4]&0xf | (p[j-4]>>6)<<4), int32(p[j+4]>>4 | (p[j]>>6)<<4)
}

var unpackers = map[quant.Type]unpackK{
	quant.Q2_K: func(b []byte, q *[256]int8, sc, mn *[16]int32) (float32, float32) {
		for g := 0; g < 16; g++ {
			sc[g], mn[g] = int32(b[g]&15), int32(b[g]>>4)
		}
		qs := b[16:80]
		for e := 0; e < 256; e++ {
			q[e] = int8(qs[32*(e/128)+e%32] >> (2 * uint((e%128)/32)) & 3)
		}
		return f16le(b[80:]), f16le(b[82:])
	},
	quant.Q3_K: func(b []byte, q *[256]int8, sc, mn *[16]int32) (float32, float32) {
		hm, qs, p := b[0:32], b[32:96], b[96:108]
		for g := 0; g < 16; g++ {
			var lo byte
			if g < 8 {
				lo = p[g] & 0xf
			} else {
				lo = p[g-8] >> 4
			}
			sc[g] = int32(lo|(p[8+g%4]>>(2*uint(g/4))&3)<<4) - 32
			mn[g] = 0
		}
		for e := 0; e < 256; e++ {
			v := int8(qs[32*(e/128)+e%32] >> (2 * uint((e%128)/32)) & 3)
			if hm[e%32]>>uint(e/32)&1 == 0 {
				v -= 4
			}
			q[e] = v
		}
		return f16le(b[108:]), 0
	},
	quant.Q4_K: func(b []byte, q *[256]int8, sc, mn *[16]int32) (float32, float32) {
		for j := 0; j < 8; j++ {
			s, m := kScaleMin(j, b[4:16])
			sc[2*j], sc[2*j+1], mn[2*j], mn[2*j+1] = s, s, m, m
		}
		qs := b[16:144]
		for e := 0; e < 256; e++ {
			q[e] = int8(qs[32*(e/64)+e%32] >> (4 * uint((e/32)%2)) & 15)
		}
		return f16le(b), f16le(b[2:])
	},
	quant.Q5_K: func(b []byte, q *[256]int8, sc, mn *[16]int32) (float32, float32) {
		for j := 0; j < 8; j++ {
			s, m := kScaleMin(j, b[4:16])
			sc[2*j], sc[2*j+1], mn[2*j], mn[2*j+1] = s, s, m, m
		}
		qh, qs := b[16:48], b[48:176]
		for e := 0; e < 256; e++ {
			q[e] = int8(qs[32*(e/64)+e%32]>>(4*uint((e/32)%2))&15 | (qh[e%32]>>uint(e/32)&1)<<4)
		}
		return f16le(b), f16le(b[2:])
	},
	quant.Q6_K: func(b []byte, q *[256]int8, sc, mn *[16]int32) (float32, float32) {
		ql, qh, s := b[0:128], b[128:192], b[192:208]
		for g := 0; g < 16; g++ {
			sc[g], mn[g] = int32(int8(s[g])), 0
		}
		for e := 0; e < 256; e++ {
			n, l, quarter := e/128, e%32, (e%128)/32
			lo := ql[64*n+l+32*(quarter%2)] >> (4 * uint(quarter/2)) & 15
			hi := qh[32*n+l] >> (2 * uint(quarter)) & 3
			q[e] = int8(lo|hi<<4) - 32
		}
		return f16le(b[208:]), 0
	},
	quant.IQ4_XS: func(b []byte, q *[256]int8, sc, mn *[16]int32) (float32, float32) {
		sh := uint16(b[2]) | uint16(b[3])<<8
		sl, qs := b[4:8], b[8:136]
		for ib := 0; ib < 8; ib++ {
			ls := int32(sl[ib/2]>>(4*uint(ib%2))&0xf) | int32(sh>>(2*uint(ib))&3)<<4
			sc[2*ib], sc[2*ib+1], mn[2*ib], mn[2*ib+1] = ls-32, ls-32, 0, 0
			for j := 0; j < 16; j++ {
				v := qs[16*ib+j]
				q[32*ib+j] = iq4nl[v&15]
				q[32*ib+16+j] = iq4nl[v>>4]
			}
		}
		return f16le(b), 0
	},
}

var unpackers32 = map[quant.Type]unpack32{
	quant.Q4_0: func(b []byte, q *[32]int8) (float32, float32) {
		for j, v := range b[2:18] {
			q[j], q[j+16] = int8(v&15)-8, int8(v>>4)-8
		}
		return f16le(b), 0
	},
	quant.Q4_1: func(b []byte, q *[32]int8) (float32, float32) {
		for j, v := range b[4:20] {
			q[j], q[j+16] = int8(v&15), int8(v>>4)
		}
		return f16le(b), f16le(b[2:])
	},
	quant.Q5_0: func(b []byte, q *[32]int8) (float32, float32) {
		qh := uint32(b[2]) | uint32(b[3])<<8 | uint32(b[4])<<16 | uint32(b[5])<<24
		for j, v := range b[6:22] {
			q[j] = int8(v&15|byte(qh>>uint(j)&1)<<4) - 16
			q[j+16] = int8(v>>4|byte(qh>>uint(j+16)&1)<<4) - 16
		}
		return f16le(b), 0
	},
	quant.Q5_1: func(b []byte, q *[32]int8) (float32, float32) {
		qh := uint32(b[4]) | uint32(b[5])<<8 | uint32(b[6])<<16 | uint32(b[7])<<24
		for j, v := range b[8:24] {
			q[j] = int8(v&15 | byte(qh>>uint(j)&1)<<4)
			q[j+16] = int8(v>>4 | byte(qh>>uint(j+16)&1)<<4)
		}
		return f16le(b), f16le(b[2:])
	},
	quant.Q8_0: func(b []byte, q *[32]int8) (float32, float32) {
		for j, v := range b[2:34] {
			q[j] = int8(v)
		}
		return f16le(b), 0
	},
	quant.IQ4_NL: func(b []byte, q *[32]int8) (float32, float32) {
		for j, v := range b[2:18] {
			q[j], q[j+16] = iq4nl[v&15], iq4nl[v>>4]
		}
		return f16le(b), 0
	},
}

// minsMode says how a K-quant's minimum terms dmin·Σ m_j·S_j enter the
// float sums in llama.cpp's AVX2 code (S_j: sum of sub-block j's quantized
// activations), which the generic kernels follow so as to round alike.
type minsMode int

const (
	noMins     minsMode = iota // Q3_K, Q6_K, IQ4_XS
	minsLanes8                 // Q2_K: lane k += dmin·(m_2k·S_2k + m_2k+1·S_2k+1), per 16 elements, before the scales
	minsLanes4                 // Q4_K: a separate 4-lane sum, lane k over sub-blocks 2k, 2k+1 (of 32)
	minsScalar                 // Q5_K: the integer total into a scalar sum
)

var kMins = map[quant.Type]minsMode{quant.Q2_K: minsLanes8, quant.Q4_K: minsLanes4, quant.Q5_K: minsScalar}

// gemvQKGeneric is the integer path of a K-quant (or IQ4_XS) against Q8_K
// activations xq, with llama.cpp's AVX2 float arithmetic: eight lanes,
// lane k holding the scaled integer sums of elements 4k..4k+3 of every
// 32, accumulated by fused multiply-adds with d_x·d, the minimum terms as
// minsMode says, the lanes added pairwise at the end.
func gemvQKGeneric(u unpackK, bb int, mode minsMode) func(y []float32, w, xq []byte) {
	xb := quant.Q8_K.BlockBytes()
	return func(y []float32, w, xq []byte) {
		nb := len(xq) / xb
		var q [256]int8
		var sc, mn [16]int32
		for r := range y {
			row := w[r*nb*bb : (r+1)*nb*bb]
			var acc [8]float32
			var accm [4]float32
			var summs float32
			for b := 0; b < nb; b++ {
				x := xq[b*xb : (b+1)*xb]
				d0, dm0 := u(row[b*bb:(b+1)*bb], &q, &sc, &mn)
				dx := math.Float32frombits(le32(x))
				d, dmin := dx*d0, -dx*dm0
				var bs [16]int32
				for g := range bs {
					bs[g] = int32(int16(uint16(x[260+2*g]) | uint16(x[261+2*g])<<8))
				}
				switch mode {
				case minsLanes8:
					for k := range acc {
						acc[k] = FMA32(dmin, float32(mn[2*k]*bs[2*k]+mn[2*k+1]*bs[2*k+1]), acc[k])
					}
				case minsLanes4:
					for k := range accm {
						p := mn[4*k]*(bs[4*k]+bs[4*k+1]) + mn[4*k+2]*(bs[4*k+2]+bs[4*k+3])
						accm[k] = FMA32(dmin, float32(p), accm[k])
					}
				case minsScalar:
					var p int32
					for g := range bs {
						p += mn[g] * bs[g]
					}
					summs = FMA32(dmin, float32(p), summs)
				}
				qx := x[4 : 4+256]
				var sumi [8]int32
				for c := 0; c < 256; c += 32 {
					for k := range sumi {
						var s int32
						for i := c + 4*k; i < c+4*k+4; i++ {
							s += int32(q[i]) * int32(int8(qx[i]))
						}
						sumi[k] += sc[(c+4*k)/16] * s
					}
				}
				for k := range acc {
					acc[k] = FMA32(d, float32(sumi[k]), acc[k])
				}
			}
			res := hsum8(&acc)
			switch mode {
			case minsLanes4:
				res += (accm[0] + accm[2]) + (accm[1] + accm[3])
			case minsScalar:
				res += summs
			}
			y[r] = res
		}
	}
}

// gemvQ32Generic is the integer path of a 32-element format against Q8_0
// activations or (q81) Q8_1 ones, whose s_x = d_x·Σqx is multiplied by the
// weight block's m. The float arithmetic is llama.cpp's on AVX2: eight
// lanes, lane k holding the integer sum of elements 4k..4k+3 of each
// block, accumulated by fused multiply-adds with d_w·d_x; the m·s_x terms
// fused into a scalar sum; the lanes added pairwise at the end (hsum8).
// The same numbers, rounding included, keep the activation quantization of
// the next layer from tipping differently than llama.cpp's (Q5_0 too:
// llama.cpp's tinyBLAS prompt GEMM has the same lanes; on the archs Q5_0
// file the activations before every quantization are bit for bit
// llama.cpp's, with model.Model.MatchGGML).
func gemvQ32Generic(u unpack32, bb int, q81 bool) func(y []float32, w, xq []byte) {
	xb := quant.Q8_0.BlockBytes()
	if q81 {
		xb = quant.Q8_1.BlockBytes()
	}
	off := xb - 32
	return func(y []float32, w, xq []byte) {
		nb := len(xq) / xb
		var q [32]int8
		for r := range y {
			row := w[r*nb*bb : (r+1)*nb*bb]
			var acc [8]float32
			var summs float32
			for b := 0; b < nb; b++ {
				x := xq[b*xb : (b+1)*xb]
				d, m := u(row[b*bb:(b+1)*bb], &q)
				if q81 {
					summs = FMA32(m, f16le(x[2:]), summs)
				}
				dd := d * f16le(x)
				qx := x[off:xb]
				for k := range acc {
					var s int32
					for i := 4 * k; i < 4*k+4; i++ {
						s += int32(q[i]) * int32(int8(qx[i]))
					}
					acc[k] = FMA32(dd, float32(s), acc[k])
				}
			}
			y[r] = hsum8(&acc) + summs
		}
	}
}

// hsum8 adds eight lanes as llama.cpp's hsum_float_8 does: high half to
// low half, then the upper pair to the lower pair, then the two left.
func hsum8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[4]+a[0], a[5]+a[1], a[6]+a[2], a[7]+a[3]
	r0, r1 = r0+r2, r1+r3
	return r0 + r1
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// gemvDeqGeneric is the float path of any type with a dequantizer: each
// block decoded into a buffer and dotted with x.
func gemvDeqGeneric(t quant.Type) func(y []float32, w []byte, x []float32) {
	ti := t.Info()
	bs, bb, deq := ti.BlockSize, ti.BlockBytes, ti.Dequantize
	if bs == 1 { // element-wise types: decode 256 elements at a time
		bs, bb = 256, 256*bb
		one := deq
		deq = func(src []byte, dst []float32) {
			e := ti.BlockBytes
			for i := range dst {
				one(src[i*e:(i+1)*e], dst[i:i+1])
			}
		}
	}
	return func(y []float32, w []byte, x []float32) {
		n := len(x)
		rb := ti.BlockBytes * (n / ti.BlockSize)
		var buf [256]float32
		for r := range y {
			row := w[r*rb : (r+1)*rb]
			var sum float32
			j := 0
			for ; j+bs <= n; j += bs {
				deq(row[j/bs*bb:(j/bs+1)*bb], buf[:bs])
				sum += dotImpl(buf[:bs], x[j:j+bs])
			}
			if j < n { // element-wise tail
				k := n - j
				for i := 0; i < k; i++ {
					e := ti.BlockBytes
					ti.Dequantize(row[(j+i)*e:(j+i+1)*e], buf[i:i+1])
				}
				sum += dotImpl(buf[:k], x[j:])
			}
			y[r] = sum
		}
	}
}

// variants holds the serial row kernels of each type: rows of w times x
// (float) or xq (quantized activations); kernel wrappers add shape checks
// and threads. dispatch_amd64.go replaces entries with assembly.
type variant struct {
	name      string
	preferInt bool // the integer path measured faster (Kernels.PreferInt)
	// preferIntGemm: gemm4 measured faster for prompts than dequantizing
	// into the F32 GEMM (Kernels.PreferIntGemm).
	preferIntGemm bool
	gemv          func(y []float32, w []byte, x []float32)
	gemvQ         func(y []float32, w, xq []byte)
	// gemm4, if set, is gemvQ for 4 tokens at once (xq: 4 activation
	// rows; y[t·ldy+r] for r < m).
	gemm4 func(y []float32, ldy int, w, xq []byte, m int)
	// gemmT, if set, is the whole integer GEMM for T ≥ 2 tokens (rows,
	// tokens and threads its own), replacing gemm4 and gemvQ there.
	gemmT func(y []float32, ldy int, w, xq []byte, m, n, T int)
}

var variants = map[quant.Type]*variant{}

func init() {
	for t, u := range unpackers {
		variants[t] = &variant{name: "generic", gemv: gemvDeqGeneric(t), gemvQ: gemvQKGeneric(u, t.BlockBytes(), kMins[t])}
	}
	for t, u := range unpackers32 {
		variants[t] = &variant{name: "generic", gemv: gemvDeqGeneric(t), gemvQ: gemvQ32Generic(u, t.BlockBytes(), t.VecDot() == quant.Q8_1)}
	}
	// Q8_0 and Q4_0 keep their own kernels (quant.go, quant8.go).
	variants[quant.Q8_0] = &variant{name: impl,
		gemv: func(y []float32, w []byte, x []float32) { GemvQ8_0(y, w, x, len(y), len(x)) },
		gemvQ: func(y []float32, w, xq []byte) {
			// one row at a time, one accumulator: llama.cpp's sums
			gemvQ8x(y, w, xq, len(y), len(xq)/q8BlockSize*QK, q8BlockSize, gemvQ8Q8RowImpl)
		}}
	variants[quant.Q4_0] = &variant{name: impl,
		gemv: func(y []float32, w []byte, x []float32) { GemvQ4_0(y, w, x, len(y), len(x)) },
		gemvQ: func(y []float32, w, xq []byte) {
			GemvQ4_0Q8(y, w, xq, len(y), len(xq)/q8BlockSize*QK)
		}}
	// Measured (bench kernels, 4096×4096, 2 threads): generic Q4_1's
	// integer path is faster than its float path; for Q5_0, Q5_1, Q2_K
	// and Q3_K the generic float path is. F16, BF16, Q8_0 and Q4_0 keep
	// the exact float path by default, as before the table existed.
	variants[quant.Q4_1].preferInt = true
	archVariants()
	registerKernels()
}

// registerKernels installs every type's kernels in quant's table; called
// at the end of start-up, after the CPU-specific variants are chosen.
func registerKernels() {
	for t, v := range variants {
		t, v := t, v
		k := quant.Kernels{Variant: v.name, PreferInt: v.preferInt && v.gemvQ != nil, PreferIntGemm: v.preferIntGemm && (v.gemm4 != nil || v.gemmT != nil)}
		k.Gemv = func(y []float32, w []byte, x []float32, m, n int) {
			checkT(t, "Gemv", y, w, len(x), m, n)
			rb := t.MustRowBytes(n)
			runRows(y, w, x, rb, v.gemv)
		}
		if v.gemvQ != nil {
			k.GemvQ = func(y []float32, w, xq []byte, m, n int) {
				checkT(t, "GemvQ", y, w, n, m, n)
				checkXQ(t, xq, n, 1)
				rb := t.MustRowBytes(n)
				runRows(y, w, xq, rb, v.gemvQ)
			}
			k.GemmQ = func(y []float32, ldy int, w, xq []byte, m, n, T int) {
				gemmQ(t, v, y, ldy, w, xq, m, n, T)
			}
		}
		quant.RegisterKernels(t, k)
	}
	// F32, F16, BF16 (float path through the existing kernels; the
	// integer path of the half types rounds x to half precision).
	quant.RegisterKernels(quant.F32, quant.Kernels{Variant: impl, Gemv: func(y []float32, w []byte, x []float32, m, n int) {
		checkT(quant.F32, "Gemv", y, w, len(x), m, n)
		Sgemv(y, le.Float32s(w), x, m, n)
	}})
	for _, t := range []quant.Type{quant.F16, quant.BF16} {
		t := t
		half := GemvF16
		if t == quant.BF16 {
			half = GemvBF16
		}
		k := quant.Kernels{Variant: impl}
		k.Gemv = func(y []float32, w []byte, x []float32, m, n int) {
			checkT(t, "Gemv", y, w, len(x), m, n)
			if u := le.Uint16s(w); u != nil {
				half(y, u, x, m, n)
				return
			}
			rb := t.MustRowBytes(n)
			runRows(y, w, x, rb, gemvDeqGeneric(t))
		}
		k.GemvQ = func(y []float32, w, xq []byte, m, n int) {
			checkXQ(t, xq, n, 1)
			p := scalePool.Get().(*[]float32)
			if cap(*p) < n {
				*p = make([]float32, n)
			}
			x := (*p)[:n]
			for i := range x {
				h := uint16(xq[2*i]) | uint16(xq[2*i+1])<<8
				if t == quant.F16 {
					x[i] = f16Table[h]
				} else {
					x[i] = math.Float32frombits(uint32(h) << 16)
				}
			}
			k.Gemv(y, w, x, m, n)
			scalePool.Put(p)
		}
		gemvQ := k.GemvQ
		k.GemmQ = func(y []float32, ldy int, w, xq []byte, m, n, T int) {
			checkXQ(t, xq, n, T)
			for tk := 0; tk < T; tk++ {
				gemvQ(y[tk*ldy:tk*ldy+m], w, xq[tk*2*n:(tk+1)*2*n], m, n)
			}
		}
		quant.RegisterKernels(t, k)
	}
}

// runRows computes the len(y) rows of rb bytes of w with kern, split over
// Threads() goroutines above parallelMinBytes. Below that it calls kern
// directly: no closure is made, so a model's decode step (whose pool
// hands each core rows below that size) allocates nothing here.
func runRows[X any](y []float32, w []byte, x X, rb int, kern func(y []float32, w []byte, x X)) {
	m := len(y)
	if Threads() <= 1 || m*rb < parallelMinBytes {
		kern(y, w, x)
		return
	}
	parallelFor(m, 8, m*rb, func(lo, hi int) { kern(y[lo:hi], w[lo*rb:hi*rb], x) })
}

func checkT(t quant.Type, fn string, y []float32, w []byte, nx, m, n int) {
	rb, err := t.RowBytes(n)
	if err != nil || m < 0 || len(y) != m || nx != n || len(w) != m*rb {
		panic(fmt.Sprintf("kernel: %v %s: m=%d n=%d needs len(y)=m, len(x)=n, len(w)=m·%d; got %d, %d, %d (%v)", t, fn, m, n, rb, len(y), nx, len(w), err))
	}
}

func checkXQ(t quant.Type, xq []byte, n, T int) {
	rb, err := t.VecDot().RowBytes(n)
	if err != nil || len(xq) != T*rb {
		panic(fmt.Sprintf("kernel: %v: %d activations of %d need len(xq)=%d·%d (%v), got %d", t, T, n, T, rb, t.VecDot(), len(xq)))
	}
}

// QuantizeActivations quantizes x (one row of n activations, n a multiple
// of the block size) to the format weights of type t multiply with on the
// integer path (t.VecDot(): Q8_0, Q8_1, Q8_K, or F16/BF16 for the half
// types), writing len(dst) == t.VecDot().RowBytes(n) bytes. It panics on a
// length mismatch or a type with no integer path.
func QuantizeActivations(t quant.Type, dst []byte, x []float32) {
	vt := t.VecDot()
	rb, err := vt.RowBytes(len(x))
	if err != nil || len(dst) != rb {
		panic(fmt.Sprintf("kernel: QuantizeActivations %v: %d values need %d bytes of %v, got %d (%v)", t, len(x), rb, vt, len(dst), err))
	}
	switch vt {
	case quant.Q8_0:
		quantizeQ8_0Impl(dst, x)
	case quant.F16:
		for i, v := range x {
			h := f32ToF16(v)
			dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
		}
	case quant.Q8_1, quant.Q8_K, quant.BF16:
		if err := vt.Info().Quantize(x, dst); err != nil {
			panic("kernel: QuantizeActivations: " + err.Error())
		}
	default:
		panic(fmt.Sprintf("kernel: QuantizeActivations: %v has no integer path", t))
	}
}

// quantizeQ8_0Impl is quantizeQ8_0x86 or its AVX-512 assembly.
var quantizeQ8_0Impl = quantizeQ8_0x86

// quantizeQ8_0x86 quantizes activations to Q8_0 as llama.cpp does on x86
// (quantize_row_q8_0 with AVX2), which differs from its reference code
// (QuantizeQ8_0) in the last bit: the multiplier is 127/max|x| instead of
// 1/d, and products are rounded half to even.
func quantizeQ8_0x86(dst []byte, x []float32) {
	for b := 0; b < len(x)/QK; b++ {
		xb := x[b*QK : b*QK+QK]
		blk := dst[b*q8BlockSize : (b+1)*q8BlockSize]
		var amax float32
		for _, v := range xb {
			amax = max(amax, math.Float32frombits(math.Float32bits(v)&0x7fffffff))
		}
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		h := f32ToF16(amax / 127)
		blk[0], blk[1] = byte(h), byte(h>>8)
		for j, v := range xb {
			blk[2+j] = byte(int8(math.RoundToEven(float64(v * id))))
		}
	}
}

// gemmQ runs the integer path for T activation rows: rows of w in groups
// of about 16 KiB (they stay in L1/L2 while every token passes), split
// over Threads() goroutines.
func gemmQ(t quant.Type, v *variant, y []float32, ldy int, w, xq []byte, m, n, T int) {
	rb := t.MustRowBytes(n)
	if m < 0 || T < 0 || len(w) != m*rb || ldy < m || (T > 0 && len(y) < (T-1)*ldy+m) {
		panic(fmt.Sprintf("kernel: %v GemmQ: m=%d n=%d T=%d ldy=%d: len(w)=%d (want %d), len(y)=%d", t, m, n, T, ldy, len(w), m*rb, len(y)))
	}
	checkXQ(t, xq, n, T)
	if v.gemmT != nil && T >= 2 {
		v.gemmT(y, ldy, w, xq, m, n, T)
		return
	}
	xr := len(xq) / max(T, 1)
	rows := max(1, (16<<10)/rb)
	run := func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += rows {
			r1 := min(hi, r0+rows)
			tk := 0
			if v.gemm4 != nil {
				for ; tk+4 <= T; tk += 4 {
					v.gemm4(y[tk*ldy+r0:], ldy, w[r0*rb:r1*rb], xq[tk*xr:(tk+4)*xr], r1-r0)
				}
			}
			for ; tk < T; tk++ {
				v.gemvQ(y[tk*ldy+r0:tk*ldy+r1], w[r0*rb:r1*rb], xq[tk*xr:(tk+1)*xr])
			}
		}
	}
	if Threads() <= 1 || m*rb*T < parallelMinBytes {
		run(0, m)
		return
	}
	parallelForT(Threads(), m, rows, run)
}
