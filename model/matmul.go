package model

import (
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/quant"
)

// Weight matrices are multiplied here and only here: matmul (several
// tokens, a GEMM) and gemvRows (one token), each taking the kernel from
// the weight type's entry in quant's table of types. Each type is
// multiplied either with float32 activations (Gemv; for several tokens,
// rows dequantized a block at a time into Sgemm) or on the integer path
// (activations quantized per block to the type's VecDot format, GemvQ and
// GemmQ), as intPath decides.

// IntegerPath reports whether weights of type t are multiplied on the
// integer path (activations quantized per block to t.VecDot()): forced by
// FloatActivations or QuantizeActivations, else the type's measured
// default (quant.Kernels.PreferInt).
func (m *Model) IntegerPath(t quant.Type) bool { return m.intPath(t) }

// IntegerGemm reports whether prompts (several tokens) multiply weights of
// type t on the integer path: IntegerPath, or the type's GEMM measured
// faster than dequantizing into the F32 GEMM (quant.Kernels.PreferIntGemm).
func (m *Model) IntegerGemm(t quant.Type) bool { return m.intGemm(t) }

// intGemm is intPath for several tokens (a prompt): the integer path
// also where only the type's GEMM measured faster (PreferIntGemm, set only
// for types that have the integer kernels).
func (m *Model) intGemm(t quant.Type) bool {
	return m.intPath(t) || !m.FloatActivations && t.Kernels().PreferIntGemm
}

func (m *Model) intPath(t quant.Type) bool {
	k := t.Kernels()
	switch {
	case t == quant.F32 || k.GemvQ == nil || m.FloatActivations:
		return false
	case m.QuantizeActivations:
		return true
	}
	return k.PreferInt
}

// quantized returns rows of x quantized for weights of type t (T rows of
// cols values) in the session's buffer for t's VecDot format.
func (s *Session) quantized(t quant.Type, x []float32, T, cols int) []byte {
	vt := t.VecDot()
	rb := vt.MustRowBytes(cols)
	if s.xqs == nil {
		s.xqs = map[quant.Type][]byte{}
	}
	buf := s.xqs[vt]
	if len(buf) < T*rb {
		buf = make([]byte, T*rb)
		s.xqs[vt] = buf
	}
	for i := 0; i < T; i++ {
		kernel.QuantizeActivations(t, buf[i*rb:(i+1)*rb], x[i*cols:(i+1)*cols])
	}
	return buf[:T*rb]
}

// matmul computes y[T][rows] = x[T][cols]·Wᵀ (or adds it to y). One
// token is a GEMV split over the model's worker pool; several tokens are
// a GEMM in the kernel package (which splits it over kernel.Threads()),
// quantized weights being dequantized a block of rows at a time.
func (s *Session) matmul(w *Tensor, y, x []float32, T int, add bool) {
	if s.seqs != nil {
		s.rowMatmul(w, y, x, T, add)
		return
	}
	if s.f16GGML(w) {
		s.matmulF16GGML(w, y, x, T, add)
		return
	}
	if T == 1 {
		s.gemv(x, matPart{w: w, y: y, add: add})
		return
	}
	rows, cols := w.Rows, w.Cols
	if len(s.yt) < rows*T {
		s.yt = make([]float32, rows*T)
	}
	yt := s.yt[:rows*T]
	if w.Type == quant.F32 {
		if pw := s.m.packedF32(w); pw != nil {
			// Y[T][rows] = X·Wᵀ with W packed once for the GEMM
			// (bit-identical to the unpacked product below), into yt
			// first when adding.
			dst := y[:T*rows]
			if add {
				dst = yt
			}
			kernel.MatMulPacked(dst, x[:T*cols], pw, T, false)
			if add {
				kernel.Add(y[:T*rows], y[:T*rows], dst)
			}
			return
		}
	}
	// The weight is op(A) here (m = rows, no transpose, so packing it is a
	// straight copy) and the activations are op(B) = xᵀ; the product
	// yᵀ[rows][T] is then transposed into y.
	if s.m.intGemm(w.Type) {
		// Y[T][rows] directly (ldy = rows), into yt first when adding.
		xq := s.quantized(w.Type, x, T, cols)
		dst := y[:T*rows]
		if add {
			dst = yt
		}
		if s.m.q8GGML(w) {
			xr := len(xq) / T
			for t := 0; t < T; t++ {
				kernel.GemvQ8_0Q8GGML(dst[t*rows:(t+1)*rows], w.Raw, xq[t*xr:(t+1)*xr], rows, cols)
			}
		} else {
			w.Type.Kernels().GemmQ(dst, rows, w.Raw, xq, rows, cols, T)
		}
		if add {
			kernel.Add(y[:T*rows], y[:T*rows], yt)
		}
		return
	}
	if w.Type == quant.F32 {
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

// gemv computes every part's y = W·x for one token in one dispatch. The
// parts on the integer path get x quantized once per VecDot format.
func (s *Session) gemv(x []float32, parts ...matPart) {
	if s.m.MatchGGML {
		n := 0
		for _, p := range parts {
			if s.f16GGML(p.w) {
				s.matmulF16GGML(p.w, p.y, x, 1, p.add)
			} else {
				parts[n] = p
				n++
			}
		}
		if parts = parts[:n]; n == 0 {
			return
		}
	}
	s.mj = matJob{n: len(parts), x: x, scratch: s.scratch}
	rows := 0
	var done [4]quant.Type // VecDot formats already quantized in this call
	nd := 0
	for i, p := range parts {
		if s.m.intPath(p.w.Type) {
			vt, found := p.w.Type.VecDot(), false
			for _, d := range done[:nd] {
				found = found || d == vt
			}
			if !found {
				s.quantized(p.w.Type, x, 1, p.w.Cols)
				done[nd] = vt
				nd++
			}
			p.xq = s.xqs[vt][:vt.MustRowBytes(p.w.Cols)]
			p.ggml = s.m.q8GGML(p.w)
		}
		s.mj.parts[i] = p
		rows += p.w.Rows
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
	scratch [][]float32
}

type matPart struct {
	w    *Tensor
	y    []float32
	add  bool   // y += W·x instead of y = W·x
	xq   []byte // x quantized to w's VecDot format (integer path), or nil
	ggml bool   // Q8_0 on the integer path in llama.cpp's lane order (q8GGML)
}

// q8GGML reports whether Q8_0 weights w on the integer path take
// kernel.GemvQ8_0Q8GGML: with MatchGGML, where the table's kernels (on
// AVX-512 VNNI) sum each block exactly and llama.cpp, which does not
// repack Q8_0, sums eight lanes per row.
func (m *Model) q8GGML(w *Tensor) bool { return m.MatchGGML && w.Type == quant.Q8_0 }

// kernelSerialBytes keeps every kernel call below the size at which the
// kernel package would split it over goroutines of its own: the model's
// pool already gives each core its share.
const kernelSerialBytes = 1<<20 - 1

// streamMinBytes is the size from which an F32 matrix of rows up to
// streamMaxCols floats is multiplied by kernel.SgemvStream in a decode
// step (see gemvRows).
const streamMinBytes = 1 << 20

// streamMaxCols is the longest row (floats) multiplied by SgemvStream.
const streamMaxCols = 2048

// run computes rows lo..hi of the concatenated outputs.
func (j *matJob) run(lo, hi, wk int) {
	off := 0
	for _, p := range j.parts[:j.n] {
		rows := p.w.Rows
		if a, b := max(lo, off), min(hi, off+rows); a < b {
			gemvRows(p, j.x, a-off, b-off, j.scratch[wk])
		}
		off += rows
	}
}

// gemvRows computes rows lo..hi of p.y = p.w·x (or adds them).
func gemvRows(p matPart, x []float32, lo, hi int, scratch []float32) {
	w := p.w
	cols := w.Cols
	x = x[:cols]
	y := p.y[lo:hi]
	if p.add {
		y = scratch[:hi-lo]
	}
	k := w.Type.Kernels()
	rb := w.rowBytes()
	step := max(1, kernelSerialBytes/rb)
	// A matrix larger than a core's L2 streams from memory every token:
	// SgemvStream reads it one row at a time, which read memory 40–60 %
	// faster than Sgemv's four-row kernel in the 134M F32 model's decode
	// on a shared machine (rows of 768 and 2048 floats). Sgemv's kernel
	// shares the loads of x over four rows: 30 % faster on small
	// cache-resident matrices (stories260K), and 15 % faster from memory
	// on rows of 4096 floats (BenchmarkSgemvStream; equal at 1024–2048).
	stream := w.Bytes() >= streamMinBytes && cols <= streamMaxCols
	for r0 := lo; r0 < hi; r0 += step {
		r1 := min(hi, r0+step)
		yy := y[r0-lo : r1-lo]
		switch {
		case w.Type == quant.F32 && stream:
			kernel.SgemvStream(yy, w.F32[r0*cols:r1*cols], x, r1-r0, cols)
		case w.Type == quant.F32:
			kernel.Sgemv(yy, w.F32[r0*cols:r1*cols], x, r1-r0, cols)
		case p.ggml:
			kernel.GemvQ8_0Q8GGML(yy, w.Raw[r0*rb:r1*rb], p.xq, r1-r0, cols)
		case p.xq != nil:
			k.GemvQ(yy, w.Raw[r0*rb:r1*rb], p.xq, r1-r0, cols)
		default:
			k.Gemv(yy, w.Raw[r0*rb:r1*rb], x, r1-r0, cols)
		}
	}
	if p.add {
		kernel.Add(p.y[lo:hi], p.y[lo:hi], y)
	}
}
