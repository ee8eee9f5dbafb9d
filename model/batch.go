package model

import (
	"fmt"
	"slices"

	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/quant"
)

// Continuous batching: ForwardBatch advances several sequences, each in
// its own session (its own KV cache), by one token in one forward pass.
// Row i of the pass is sequence i's token at that sequence's position;
// the rows are stacked so that every weight matrix is read from memory
// once for all of them (decoding one sequence is bound by reading the
// weights, so B sequences cost little more than one), while attention
// runs per row against that row's own cache.
//
// Batch invariance: every row's arithmetic is the same whatever the other
// rows are and however many there are. The weight products run each row
// through the single-token GEMV kernels over blocks of weight rows whose
// bounds depend on the weight alone (rowMatmul) — the same kernel calls
// for a batch of 1 or 64, instead of a GEMM whose blocking and edge tiles
// depend on the batch size; norms, activations, residual adds and RoPE
// are per row (elementwise kernels see whole rows whose widths are
// multiples of the SIMD width in every supported family), and attention
// is the single-token attention of the row's own session. So at
// temperature 0 a sequence gets the same tokens alone or beside others.
// (Forward of a single token uses a different, several-row GEMV kernel: a
// server should decode every sequence through ForwardBatch, even alone.)

// ForwardBatch runs tokens[i] through the model at position ss[i].Pos of
// session ss[i], for every i at once, caching each token's keys and
// values in its own session, and returns the logits of each: out[i] has
// VocabSize values and is reused by the next ForwardBatch of the model.
// The sessions must belong to one model and be distinct; like Forward,
// ForwardBatch must not run concurrently with other passes of the model.
func ForwardBatch(ss []*Session, tokens []int) ([][]float32, error) {
	if len(tokens) != len(ss) {
		return nil, fmt.Errorf("model: ForwardBatch with %d sessions and %d tokens", len(ss), len(tokens))
	}
	runs := make([][]int, len(tokens))
	for i := range tokens {
		runs[i] = tokens[i : i+1]
	}
	return ForwardChunks(ss, runs)
}

// ForwardChunks is ForwardBatch with a run of tokens per session: tokens[i]
// (at least one) go to session ss[i] at positions ss[i].Pos, ss[i].Pos+1,
// …, every token one row of the same pass, and out[i] is the logits of the
// last of them. A server feeds a short prompt this way beside the
// sequences it is decoding, so the prompt costs no pass of its own. Each
// row is computed as a ForwardBatch row (the same kernels, attention over
// its own session's cache up to its own position), so a sequence's logits
// do not depend on the other runs of the pass.
func ForwardChunks(ss []*Session, tokens [][]int) ([][]float32, error) {
	B := len(ss)
	if B == 0 || len(tokens) != B {
		return nil, fmt.Errorf("model: ForwardChunks with %d sessions and %d token runs", B, len(tokens))
	}
	m := ss[0].m
	maxCtx, T := 0, 0
	for i, s := range ss {
		n := len(tokens[i])
		switch {
		case s.m != m:
			return nil, fmt.Errorf("model: ForwardBatch: session %d belongs to another model", i)
		case slices.Contains(ss[:i], s):
			return nil, fmt.Errorf("model: ForwardBatch: session %d appears twice", i)
		case n == 0:
			return nil, fmt.Errorf("model: ForwardChunks: no tokens for session %d", i)
		case s.Pos+n > s.ctx:
			return nil, fmt.Errorf("model: ForwardBatch: session %d is full (%d positions)", i, s.ctx)
		}
		for _, t := range tokens[i] {
			if t < 0 || t >= m.Config.VocabSize {
				return nil, fmt.Errorf("model: token id %d is outside the vocabulary of %d", t, m.Config.VocabSize)
			}
		}
		maxCtx = max(maxCtx, s.ctx)
		T += n
		s.grow(n) // the rows' attention runs in their own session
	}
	bs := m.batch
	if bs == nil || bs.ctx < maxCtx {
		// Rows only: no KV cache of its own.
		bs = &Session{m: m, ctx: maxCtx}
		m.batch = bs
	}
	bs.grow(T)
	flat := make([]int, 0, T)
	seqs := make([]*Session, 0, T)
	bs.outRows = bs.outRows[:0]
	for i, s := range ss {
		for k := range tokens[i] {
			bs.pos[len(flat)] = s.Pos + k
			flat = append(flat, tokens[i][k])
			seqs = append(seqs, s)
		}
		bs.outRows = append(bs.outRows, len(flat)-1)
	}
	bs.seqs = seqs
	logits := bs.run(flat, 0, true)
	bs.seqs = nil
	V := m.Config.VocabSize
	out := make([][]float32, B)
	for i, s := range ss {
		s.Pos += len(tokens[i])
		out[i] = logits[i*V : (i+1)*V]
		if err := finite(out[i], s.Pos-1); err != nil {
			return nil, fmt.Errorf("%w (batch row %d)", err, i)
		}
	}
	return out, nil
}

// batchAttention finishes the attention of a batch session's T rows
// after their q, k and v projections (biases and q/k norms applied): each
// row is rotated with its own session's RoPE table, its key and value
// join that session's cache, and its heads attend over that cache up to
// its position exactly as a single-token Forward of the session does (a
// session's consecutive rows form one job over its consecutive positions).
func (s *Session) batchAttention(b *Block, T int) []float32 {
	c := &s.m.Config
	hd := c.HeadDim
	qd, kvd := c.NHeads*hd, c.NKVHeads*hd
	att := s.att[:T*qd]
	jobs := s.bj[:0]
	work := 0
	for i, seq := range s.seqs {
		p := s.pos[i]
		q, k, v := s.q[i*qd:(i+1)*qd], s.kk[i*kvd:(i+1)*kvd], s.vv[i*kvd:(i+1)*kvd]
		if seq.rope != nil {
			ps := s.pos[i : i+1]
			seq.rope.GGML = seq.ropeGGML && s.m.MatchGGML
			_ = seq.rope.Apply(q, 1, c.NHeads, ps)
			_ = seq.rope.Apply(k, 1, c.NKVHeads, ps)
		}
		t := 0
		if n := len(jobs); n > 0 && jobs[n-1].s == seq {
			t = jobs[n-1].T
			jobs[n-1].T++
			jobs[n-1].out = att[(i-t)*qd : (i+1)*qd]
		} else {
			jobs = append(jobs, attnJob{attnTask{s: seq, layer: b.Index, T: 1, pos: p, out: att[i*qd : (i+1)*qd]}})
		}
		copy(seq.q[t*qd:(t+1)*qd], q)
		copy(seq.k[b.Index][p*kvd:(p+1)*kvd], k)
		copy(seq.v[b.Index][p*kvd:(p+1)*kvd], v)
		work += (p + 1) * hd * 2
	}
	s.bj = jobs
	if cap(s.bjEnd) < len(jobs) {
		s.bjEnd = make([]int, len(jobs))
	}
	ends := s.bjEnd[:len(jobs)]
	n := 0
	for i, j := range jobs {
		n += j.T * c.NHeads
		ends[i] = n
	}
	s.baj = batchAttnJob{jobs: jobs, ends: ends, heads: c.NHeads}
	s.m.pool.parallel(&s.baj, n, work/T)
	return att
}

// batchAttnJob runs the attention jobs of a batch (one per session, over
// its rows), split over (row, head) pairs: pairs ends[i-1]..ends[i]-1 are
// those of jobs[i], in its own order.
type batchAttnJob struct {
	jobs  []attnJob
	ends  []int
	heads int
}

func (j *batchAttnJob) run(lo, hi, wk int) {
	i, _ := slices.BinarySearch(j.ends, lo+1)
	for lo < hi {
		start := 0
		if i > 0 {
			start = j.ends[i-1]
		}
		end := min(hi, j.ends[i])
		j.jobs[i].run(lo-start, end-start, wk)
		lo = end
		i++
	}
}

// rowMatmul is matmul for a batch session: y_t = W·x_t (or +=) for every
// row t, each computed by the single-token GEMV kernels (gemvRows) on
// blocks of weight rows small enough to stay in the L2 cache, so a block
// is read from memory once and reused from cache for the other rows.
// The pool's split of the weight rows and the blocks depend on the weight
// alone, never on T, so every y_t[r] comes from the same kernel call
// shape whatever the batch.
func (s *Session) rowMatmul(w *Tensor, y, x []float32, T int, add bool) {
	s.rj = rowMatJob{m: s.m, w: w, y: y, x: x, T: T, add: add, scratch: s.scratch}
	if s.m.intPath(w.Type) { // each row quantized on its own: batch-invariant
		s.rj.xq = s.quantized(w.Type, x, T, w.Cols)
	}
	s.m.pool.parallel(&s.rj, w.Rows, w.Cols)
}

type rowMatJob struct {
	m       *Model
	w       *Tensor
	y, x    []float32
	T       int
	add     bool
	xq      []byte // the rows of x quantized for w's integer path, or nil
	scratch [][]float32
}

// rowBlockBytes is the size of the weight blocks rowMatJob reuses from
// the cache for every row of the batch.
const rowBlockBytes = 64 << 10

// run computes output rows lo..hi of every token.
func (j *rowMatJob) run(lo, hi, wk int) {
	w := j.w
	rows, cols := w.Rows, w.Cols
	// Blocks of at most the widest activation row: gemvRows needs that
	// much scratch for an add, besides one converted row (see grow).
	c := &j.m.Config
	// Multiples of 16 rows: the AVX-512 VNNI Q8_0/Q4_0 kernels take
	// sixteen at a time (the rest one by one in Go).
	R := min(max(16, rowBlockBytes/w.rowBytes()/16*16), max(c.Dim, c.HiddenDim, c.NHeads*c.HeadDim))
	if w.Type == quant.F32 {
		// Up to four sequences per pass over each block of rows, every
		// sequence's sums in the same order whatever T (SgemvMulti).
		kernel.SgemvMulti(j.y[lo:], rows, w.F32[lo*cols:hi*cols], j.x, cols, j.T, hi-lo, cols, j.add)
		return
	}
	for r0 := lo; r0 < hi; r0 += R {
		r1 := min(hi, r0+R)
		for t := 0; t < j.T; t++ {
			p := matPart{w: w, y: j.y[t*rows : (t+1)*rows], add: j.add}
			if j.xq != nil {
				xr := len(j.xq) / j.T
				p.xq = j.xq[t*xr : (t+1)*xr]
				p.ggml = j.m.q8GGML(w)
			}
			gemvRows(p, j.x[t*cols:(t+1)*cols], r0, r1, j.scratch[wk])
		}
	}
}
