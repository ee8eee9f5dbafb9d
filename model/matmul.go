package model

import (
	"github.com/llmparts/llmparts/internal/le"
	"github.com/llmparts/llmparts/kernel"
)

// Weight matrices are multiplied here and only here: matmul (several
// tokens, a GEMM) and gemvRows (one token), each picking the kernel by
// the weight's storage type.

// matmul computes y[T][rows] = x[T][cols]·Wᵀ (or adds it to y). One
// token is a GEMV split over the model's worker pool; several tokens are
// a GEMM in the kernel package (which splits it over kernel.Threads()),
// quantized weights being dequantized a block of rows at a time.
func (s *Session) matmul(w *Tensor, y, x []float32, T int, add bool) {
	if s.seqs != nil {
		s.rowMatmul(w, y, x, T, add)
		return
	}
	if T == 1 {
		s.gemv(x, matPart{w, y, add})
		return
	}
	// The weight is op(A) here (m = rows, no transpose, so packing it is a
	// straight copy) and the activations are op(B) = xᵀ; the product
	// yᵀ[rows][T] is then transposed into y.
	rows, cols := w.Rows, w.Cols
	if len(s.yt) < rows*T {
		s.yt = make([]float32, rows*T)
	}
	yt := s.yt[:rows*T]
	if w.Type == F32 {
		kernel.Sgemm(false, true, rows, T, cols, 1, w.F32, cols, x, cols, 0, yt, T)
	} else {
		R := max(16, (1<<19)/cols/16*16)
		if len(s.deq) < R*cols {
			s.deq = make([]float32, R*cols)
		}
		for r0 := 0; r0 < rows; r0 += R {
			r1 := min(rows, r0+R)
			s.dj = dequantJob{w: w, r0: r0, dst: s.deq}
			s.m.pool.parallel(&s.dj, r1-r0, cols)
			kernel.Sgemm(false, true, r1-r0, T, cols, 1, s.deq[:(r1-r0)*cols], cols, x, cols, 0, yt[r0*T:], T)
		}
	}
	for t := 0; t < T; t++ {
		row := y[t*rows : (t+1)*rows]
		if add {
			for r := range row {
				row[r] += yt[r*T+t]
			}
		} else {
			for r := range row {
				row[r] = yt[r*T+t]
			}
		}
	}
}

// gemv computes every part's y = W·x for one token in one dispatch.
// With Model.QuantizeActivations, x is quantized to Q8_0 once for all
// parts with Q8_0 or Q4_0 weights, which then use integer dot products.
func (s *Session) gemv(x []float32, parts ...matPart) {
	s.mj = matJob{n: len(parts), x: x, scratch: s.scratch}
	rows := 0
	for i, p := range parts {
		s.mj.parts[i] = p
		rows += p.w.Rows
		if (p.w.Type == Q8_0 || p.w.Type == Q4_0) && s.m.QuantizeActivations && s.mj.xq == nil {
			cols := p.w.Cols
			if len(s.xq) < cols/32*34 {
				s.xq = make([]byte, cols/32*34)
			}
			s.mj.xq = s.xq[:cols/32*34]
			kernel.QuantizeQ8_0(s.mj.xq, x[:cols])
		}
	}
	s.m.pool.parallel(&s.mj, rows, parts[0].w.Cols)
}

// dequantJob converts rows r0+lo..r0+hi of w to float32 in dst.
type dequantJob struct {
	w   *Tensor
	r0  int
	dst []float32
}

func (j *dequantJob) run(lo, hi, _ int) {
	c := j.w.Cols
	for r := lo; r < hi; r++ {
		j.w.Row(j.r0+r, j.dst[r*c:(r+1)*c])
	}
}

// matJob computes y = W·x for one token, for up to three matrices that
// read the same x (q, k and v; gate and up), whose rows are numbered one
// after another so that one dispatch to the pool covers them all.
type matJob struct {
	parts   [3]matPart
	n       int // parts in use
	x       []float32
	xq      []byte // x quantized to Q8_0, or nil
	scratch [][]float32
}

type matPart struct {
	w   *Tensor
	y   []float32
	add bool // y += W·x instead of y = W·x
}

// kernelSerialBytes keeps every kernel call below the size at which the
// kernel package would split it over goroutines of its own: the model's
// pool already gives each core its share.
const kernelSerialBytes = 1<<20 - 1

// run computes rows lo..hi of the concatenated outputs.
func (j *matJob) run(lo, hi, wk int) {
	off := 0
	for _, p := range j.parts[:j.n] {
		rows := p.w.Rows
		if a, b := max(lo, off), min(hi, off+rows); a < b {
			gemvRows(p, j.x, j.xq, a-off, b-off, j.scratch[wk])
		}
		off += rows
	}
}

// gemvRows computes rows lo..hi of p.y = p.w·x (or adds them).
func gemvRows(p matPart, x []float32, xq []byte, lo, hi int, scratch []float32) {
	w := p.w
	cols := w.Cols
	x = x[:cols]
	y := p.y[lo:hi]
	if p.add {
		y = scratch[:hi-lo]
	}
	rb := w.Type.rowBytes(cols)
	step := max(1, kernelSerialBytes/rb)
	for r0 := lo; r0 < hi; r0 += step {
		r1 := min(hi, r0+step)
		yy := y[r0-lo : r1-lo]
		switch w.Type {
		case F32:
			// Sgemv's four-row kernel is 30% faster than row dots on
			// narrow matrices (stories260K) and equal when memory-bound.
			kernel.Sgemv(yy, w.F32[r0*cols:r1*cols], x, r1-r0, cols)
		case Q8_0:
			if xq != nil {
				kernel.GemvQ8_0Q8(yy, w.Raw[r0*rb:r1*rb], xq, r1-r0, cols)
			} else {
				kernel.GemvQ8_0(yy, w.Raw[r0*rb:r1*rb], x, r1-r0, cols)
			}
		case Q4_0:
			if xq != nil {
				kernel.GemvQ4_0Q8(yy, w.Raw[r0*rb:r1*rb], xq, r1-r0, cols)
			} else {
				kernel.GemvQ4_0(yy, w.Raw[r0*rb:r1*rb], x, r1-r0, cols)
			}
		default: // F16
			if u := le.Uint16s(w.Raw[r0*rb : r1*rb]); u != nil {
				kernel.GemvF16(yy, u, x, r1-r0, cols)
				continue
			}
			buf := scratch[len(scratch)-cols:]
			for r := r0; r < r1; r++ {
				w.Row(r, buf)
				yy[r-r0] = kernel.Dot(buf, x)
			}
		}
	}
	if p.add {
		kernel.Add(p.y[lo:hi], p.y[lo:hi], y)
	}
}
