package kernel

import (
	"fmt"
	"math"
	"sync"
)

// QuantizeQ8_0 quantizes x (len(x) a multiple of 32) into Q8_0 blocks in
// dst (len(dst) == len(x)/32·34), exactly as ggml's quantize_row_q8_0_ref:
// per block d = max|x|/127 (stored as binary16) and q = round(x/d) with
// ties away from zero, computed with the float32 d before it is rounded to
// binary16. It panics on a length mismatch.
func QuantizeQ8_0(dst []byte, x []float32) {
	if len(x)%QK != 0 || len(dst) != len(x)/QK*q8BlockSize {
		panic(fmt.Sprintf("kernel: QuantizeQ8_0: len(x)=%d must be a multiple of %d and len(dst)=%d must be len(x)/32·34", len(x), QK, len(dst)))
	}
	for b := 0; b < len(x)/QK; b++ {
		xb := x[b*QK : b*QK+QK]
		blk := dst[b*q8BlockSize : b*q8BlockSize+q8BlockSize]
		var amax float32
		for _, v := range xb {
			amax = max(amax, math.Float32frombits(math.Float32bits(v)&0x7fffffff))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		h := f32ToF16(d)
		blk[0], blk[1] = byte(h), byte(h>>8)
		q := blk[2:q8BlockSize]
		for j, v := range xb {
			// roundf: ties away from zero. |v·id| ≤ 127, so adding 0.5 in
			// float64 is exact and truncation rounds correctly.
			// Branch-free (signs are random): truncation of r ± 0.5.
			r := float64(v * id)
			q[j] = byte(int8(int32(r + math.Copysign(0.5, r))))
		}
	}
}

// GemvQ8_0Q8 computes y = W·x̃ for a Q8_0 matrix W (as in GemvQ8_0) and an
// activation vector already quantized to Q8_0 by QuantizeQ8_0 (xq, n/32
// blocks). This is llama.cpp's CPU path (ggml_vec_dot_q8_0_q8_0): each
// block contributes d_w·d_x·Σ q_w·q_x with an exact integer sum, so it is
// faster than GemvQ8_0 but x carries 8-bit quantization error (relative
// error up to ~0.4% of each block's largest |x|). As in ggml, the weights
// must lie in [-127, 127] (ggml's quantizer never writes -128; with AVX2 a
// -128 weight facing a negative activation contributes with the wrong sign).
func GemvQ8_0Q8(y []float32, w, xq []byte, m, n int) {
	checkQ8x("GemvQ8_0Q8", q8BlockSize, y, w, xq, m, n)
	gemvQ8x(y, w, xq, m, n, q8BlockSize, gemvQ8Q8Impl)
}

// GemvQ8_0Q8GGML is GemvQ8_0Q8 with llama.cpp's float arithmetic on x86
// (ggml_vec_dot_q8_0_q8_0 with AVX2, one row at a time: eight lanes of
// four-product sums, each lane converted to float and multiplied by
// d_w·d_x in one FMA chain over the blocks, then the lanes summed). The
// quant table's Q8_0 integer kernels follow it on CPUs without AVX-512
// VNNI; with VNNI they sum each block exactly (as llama.cpp's repacked
// Q4_0 kernels do), which differs in the last bits. Model.MatchGGML
// uses this one.
func GemvQ8_0Q8GGML(y []float32, w, xq []byte, m, n int) {
	checkQ8x("GemvQ8_0Q8GGML", q8BlockSize, y, w, xq, m, n)
	gemvQ8x(y, w, xq, m, n, q8BlockSize, gemvQ8Q8RowImpl)
}

// GemvQ4_0Q8 is GemvQ8_0Q8 for a Q4_0 matrix W (as in GemvQ4_0): llama.cpp's
// ggml_vec_dot_q4_0_q8_0.
func GemvQ4_0Q8(y []float32, w, xq []byte, m, n int) {
	checkQ8x("GemvQ4_0Q8", q4BlockSize, y, w, xq, m, n)
	gemvQ8x(y, w, xq, m, n, q4BlockSize, nil)
}

func checkQ8x(fn string, bs int, y []float32, w, xq []byte, m, n int) {
	if m < 0 || n < 0 || n%QK != 0 {
		panic(fmt.Sprintf("kernel: %s: n=%d must be a non-negative multiple of %d (m=%d)", fn, n, QK, m))
	}
	if len(y) != m || len(xq) != n/QK*q8BlockSize || len(w) != m*(n/QK)*bs {
		panic(fmt.Sprintf("kernel: %s: m=%d n=%d needs len(y)=m, len(xq)=%d, len(w)=%d; got %d, %d, %d", fn, m, n, n/QK*q8BlockSize, m*(n/QK)*bs, len(y), len(xq), len(w)))
	}
}

var scalePool = sync.Pool{New: func() any { return new([]float32) }}

// q4x is the per-call scratch of GemvQ4_0Q8: activation scales and 8·Σqx
// per group of 4 activations.
type q4x struct {
	xd []float32
	xs []int32
}

var q4xPool = sync.Pool{New: func() any { return new(q4x) }}

// gemvQ8x converts the activation block scales to float32 once, then runs
// the rows (split over goroutines above 1 MiB of weights). f == nil means
// Q4_0 weights, whose kernel also takes 8·Σqx per block.
func gemvQ8x(y []float32, w, xq []byte, m, n, bs int, f func(y []float32, w, xq []byte, xd []float32)) {
	nb := n / QK
	if f == nil {
		s := q4xPool.Get().(*q4x)
		if cap(s.xd) < nb {
			s.xd, s.xs = make([]float32, nb), make([]int32, 8*nb)
		}
		xd, xs := s.xd[:nb], s.xs[:8*nb]
		for b := range xd {
			blk := xq[b*q8BlockSize : b*q8BlockSize+q8BlockSize]
			xd[b] = f16Table[uint16(blk[0])|uint16(blk[1])<<8]
			// 8·Σ of each group of 4 activations (one per vector lane).
			for i := 0; i < 8; i++ {
				g := blk[2+4*i : 2+4*i+4]
				xs[8*b+i] = 8 * (int32(int8(g[0])) + int32(int8(g[1])) + int32(int8(g[2])) + int32(int8(g[3])))
			}
		}
		rb := nb * bs
		if Threads() <= 1 || m*rb < parallelMinBytes {
			gemvQ4Q8Impl(y, w, xq, xd, xs)
		} else {
			parallelFor(m, 8, m*rb, func(lo, hi int) {
				gemvQ4Q8Impl(y[lo:hi], w[lo*rb:hi*rb], xq, xd, xs)
			})
		}
		q4xPool.Put(s)
		return
	}
	p := scalePool.Get().(*[]float32)
	if cap(*p) < nb {
		*p = make([]float32, nb)
	}
	xd := (*p)[:nb]
	for b := range xd {
		xd[b] = f16Table[uint16(xq[b*q8BlockSize])|uint16(xq[b*q8BlockSize+1])<<8]
	}
	rb := nb * bs
	if Threads() <= 1 || m*rb < parallelMinBytes {
		f(y, w, xq, xd)
	} else {
		parallelFor(m, 8, m*rb, func(lo, hi int) {
			f(y[lo:hi], w[lo*rb:hi*rb], xq, xd)
		})
	}
	scalePool.Put(p)
}

func gemvQ8Q8Generic(y []float32, w, xq []byte, xd []float32) {
	nb := len(xd)
	rb := nb * q8BlockSize
	for r := range y {
		row := w[r*rb : r*rb+rb]
		var acc [8]float32 // llama.cpp's lanes: 4 products each, one FMA chain
		for b := 0; b < nb; b++ {
			blk := row[b*q8BlockSize : b*q8BlockSize+q8BlockSize]
			xb := xq[b*q8BlockSize+2 : b*q8BlockSize+q8BlockSize]
			d := f16Table[uint16(blk[0])|uint16(blk[1])<<8] * xd[b]
			for k := range acc {
				var s int32
				for j := 4 * k; j < 4*k+4; j++ {
					s += int32(int8(blk[2+j])) * int32(int8(xb[j]))
				}
				acc[k] = FMA32(d, float32(s), acc[k])
			}
		}
		y[r] = hsum8(&acc)
	}
}

// gemvQ4Q8Generic ignores xs (8·Σqx per 4 activations, for the assembly).
func gemvQ4Q8Generic(y []float32, w, xq []byte, xd []float32, xs []int32) {
	nb := len(xd)
	rb := nb * q4BlockSize
	for r := range y {
		row := w[r*rb : r*rb+rb]
		var sum float32
		for b := 0; b < nb; b++ {
			blk := row[b*q4BlockSize : b*q4BlockSize+q4BlockSize]
			xb := xq[b*q8BlockSize+2 : b*q8BlockSize+q8BlockSize]
			var isum int32
			for j, q := range blk[2:] {
				isum += (int32(q&15)-8)*int32(int8(xb[j])) + (int32(q>>4)-8)*int32(int8(xb[j+16]))
			}
			sum += f16Table[uint16(blk[0])|uint16(blk[1])<<8] * xd[b] * float32(isum)
		}
		y[r] = sum
	}
}
