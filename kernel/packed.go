package kernel

import (
	"fmt"
	"sync"
)

// PackedB is a weight matrix W (n×k, row-major: PyTorch's [out, in]
// layout) stored once in the layout the SGEMM micro-kernel reads op(B) =
// Wᵀ in, so that products with it pack only the activations. For each
// block of KC columns of W (pc = 0, KC, 2·KC, …, kc = min(KC, k−pc)) the
// block holds, for every group of NR rows of W starting at j, the kc×NR
// sliver W[j+c][pc+p] at
//
//	data[pc·nPad + j·kc + p·NR + c]   (c < NR, p < kc; rows past n are 0)
//
// where nPad is n rounded up to NR: a sliver is read front to back by the
// micro-kernel, NR weight rows side by side. It costs 4·nPad·k bytes.
type PackedB struct {
	f    *gemmFamily // the kernel family whose NR the slivers have
	n, k int
	nPad int
	data []float32
}

// PackB packs the row-major n×k matrix w (len(w) == n·k) for MatMulPacked.
// It panics on a shape mismatch.
func PackB(w []float32, n, k int) *PackedB {
	if n < 0 || k < 0 || len(w) != n*k {
		panic(fmt.Sprintf("kernel: PackB: n=%d k=%d needs len(w)=n·k; got %d", n, k, len(w)))
	}
	f := gemmFam
	nPad := roundUp(n, f.nr)
	p := &PackedB{f: f, n: n, k: k, nPad: nPad, data: make([]float32, nPad*k)}
	if n == 0 || k == 0 {
		return p
	}
	t := Threads()
	if 4*n*k < parallelMinBytes {
		t = 1
	}
	parallelForT(t, n, f.nr, func(lo, hi int) {
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			packB(f, p.data[pc*nPad+lo*kc:], true, w, k, pc, lo, kc, hi-lo)
		}
	})
	return p
}

// Rows returns n, the number of rows of the packed matrix W.
func (p *PackedB) Rows() int { return p.n }

// Cols returns k, the number of columns of W.
func (p *PackedB) Cols() int { return p.k }

// Bytes returns the memory the packed copy holds.
func (p *PackedB) Bytes() int64 { return 4 * int64(len(p.data)) }

// MatMulPacked computes C = A·Wᵀ (C += A·Wᵀ when accumulate is true) for
// row-major A (m×k) and C (m×n) and W packed by PackB, with the SGEMM
// kernel family that was current when W was packed: the result is
// bit-identical to Sgemm(false, true, m, n, k, 1, a, k, w, k, β, c, n)
// with the unpacked W (the same blocks, the same order of the sums), but
// W is not copied. It panics on a shape mismatch.
func MatMulPacked(c, a []float32, w *PackedB, m int, accumulate bool) {
	n, k := w.n, w.k
	if m < 0 || len(a) != m*k || len(c) != m*n {
		panic(fmt.Sprintf("kernel: MatMulPacked: m=%d n=%d k=%d needs len(a)=m·k, len(c)=m·n; got %d, %d", m, n, k, len(a), len(c)))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !accumulate {
			clear(c)
		}
		return
	}
	sgemmPackedB(m, a, k, w, c, n, !accumulate)
}

// packedAPool holds the buffers for the packed activations.
var packedAPool = sync.Pool{New: func() any { return new([]float32) }}

// sgemmPackedB adds A·Wᵀ to C. A is packed whole (its KC blocks one after
// another, each as packA lays out an MC block), then goroutines take
// chunks of W's rows: for each KC block, each NR sliver of W (in L1) is
// multiplied with every MR sliver of A (in L2), so W streams from memory
// once per call. set: the first KC block stores into C instead of adding
// (C = A·Wᵀ).
func sgemmPackedB(m int, a []float32, lda int, w *PackedB, c []float32, ldc int, set bool) {
	f := w.f
	mr, nr := f.mr, f.nr
	n, k := w.n, w.k
	t := Threads()
	if m*n*k < 1<<22 {
		t = 1
	}
	mPad := roundUp(m, mr)
	bufp := packedAPool.Get().(*[]float32)
	if cap(*bufp) < mPad*k {
		*bufp = make([]float32, mPad*k)
	}
	ap := (*bufp)[:mPad*k]
	nb := (k + gemmKC - 1) / gemmKC
	parallelForT(min(t, nb), nb, 1, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			pc := q * gemmKC
			packA(f, ap[pc*mPad:], false, a, lda, 0, pc, m, min(gemmKC, k-pc))
		}
	})
	parallelChunks(t, n, nr, 4*t, func(lo, hi int) {
		buf := gemmPool.Get().(*gemmBuf)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			as := ap[pc*mPad:]
			bs := w.data[pc*w.nPad:]
			for jr := lo; jr < hi; jr += nr {
				b := bs[jr*kc : jr*kc+kc*nr]
				for ir := 0; ir < m; ir += mr {
					gemmTile(f, buf, kc, as[ir*kc:ir*kc+kc*mr], b, c, ir*ldc+jr, ldc, min(mr, m-ir), min(nr, n-jr), 1, set && pc == 0)
				}
			}
		}
		gemmPool.Put(buf)
	})
	packedAPool.Put(bufp)
}
