package model

import (
	"github.com/llmparts/llmparts/internal/le"
	"github.com/llmparts/llmparts/internal/sysmem"

	"fmt"
	"math"

	"github.com/llmparts/llmparts/kernel"
)

// Session is one generation stream: a key/value cache of ctx positions
// and the work buffers of the forward pass. It is not safe for concurrent
// use, and sessions of one model must not run Forward concurrently.
type Session struct {
	m   *Model
	ctx int
	// Pos is the number of positions already in the cache.
	Pos int

	k, v     [][]float32 // per layer [ctx][kvDim]
	cos, sin []float32   // [ctx][rope.Dim/2]

	cap                            int // rows the buffers below hold
	x, xb, q, kk, vv, att, hb, hb2 []float32
	logits                         []float32
	scratch                        [][]float32
	mj                             matJob
	dj                             dequantJob
	deq, yt                        []float32
	xq                             []byte
	aj                             attnJob
	ag                             attnGemmJob
	scores                         [][]float32 // per worker T×P attention scores
}

// NewSession returns a session whose cache holds ctx positions (ctx ≤ 0
// or larger than the model's context means the model's context length).
func (m *Model) NewSession(ctx int) *Session {
	c := m.Config
	if ctx <= 0 || ctx > c.ContextLen {
		ctx = c.ContextLen
	}
	s := &Session{m: m, ctx: ctx}
	kvDim := c.NKVHeads * c.HeadDim
	s.k = make([][]float32, c.NLayers)
	s.v = make([][]float32, c.NLayers)
	for i := range s.k {
		s.k[i] = make([]float32, ctx*kvDim)
		s.v[i] = make([]float32, ctx*kvDim)
	}
	if c.Pos == PosRoPE {
		th, mag, _ := c.RoPE.freqs(c.ContextLen) // validated at load
		n := len(th)
		s.cos = make([]float32, ctx*n)
		s.sin = make([]float32, ctx*n)
		for p := 0; p < ctx; p++ {
			for i, t := range th {
				a := float64(p) * t
				s.cos[p*n+i] = float32(mag * math.Cos(a))
				s.sin[p*n+i] = float32(mag * math.Sin(a))
			}
		}
	}
	return s
}

// SessionBytes returns an upper bound of the memory a session of ctx
// positions allocates (ctx clamped as NewSession does), computed without
// overflow, and false if it does not fit in an int64:
//
//	K and V caches   2 · layers · ctx · kvHeads · headDim · 4 bytes
//	RoPE cos/sin     2 · ctx · ropeDim/2 · 4
//	batch buffers    maxBatch · (dim·3 + q·3 + kv·2 + hidden·2) · 4 (+ logits)
//	attention scores threads · maxBatch · ctx · 4 (+ a scratch row each)
func (m *Model) SessionBytes(ctx int) (int64, bool) {
	c := m.Config
	if ctx <= 0 || ctx > c.ContextLen {
		ctx = c.ContextLen
	}
	C, L := int64(ctx), int64(c.NLayers)
	kvd := int64(c.NKVHeads) * int64(c.HeadDim)
	q := int64(c.NHeads) * int64(c.HeadDim)
	B := int64(min(maxBatch, ctx))
	threads := int64(1)
	if m.pool != nil {
		threads = int64(m.pool.n)
	}
	kv, ok1 := sysmem.Mul(2, L, C, kvd, 4)
	rope, ok2 := sysmem.Mul(C, int64(c.RoPE.Dim), 4)
	row, ok3 := sysmem.Add(3*int64(c.Dim), 3*q, 2*kvd, 2*int64(c.HiddenDim), int64(c.VocabSize))
	batch, ok4 := sysmem.Mul(B, row, 4)
	scores, ok5 := sysmem.Mul(threads, B, C, 4)
	scratch, ok6 := sysmem.Mul(threads, C+2*int64(max(c.Dim, c.HiddenDim, int(q))), 4)
	total, ok7 := sysmem.Add(kv, rope, batch, scores, scratch)
	return total, ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7
}

// NewSessionLimit is NewSession refusing, with an error instead of an
// out-of-memory crash, a session whose SessionBytes exceed limit bytes;
// limit 0 means the memory available now (MemAvailable on Linux; no check
// where that is unknown). A model file claiming a context of 2^24
// positions with wide keys asks for hundreds of GiB here.
func (m *Model) NewSessionLimit(ctx int, limit int64) (*Session, error) {
	if limit < 0 {
		return nil, fmt.Errorf("model: KV memory limit %d is negative", limit)
	}
	if ctx <= 0 || ctx > m.Config.ContextLen {
		ctx = m.Config.ContextLen
	}
	need, ok := m.SessionBytes(ctx)
	what := fmt.Sprintf("model: a KV cache of %d positions × %d layers × %d kv dims", ctx, m.Config.NLayers, m.Config.NKVHeads*m.Config.HeadDim)
	if !ok {
		return nil, fmt.Errorf("%s does not fit in 64-bit sizes", what)
	}
	if err := sysmem.Check(what, need, limit, "ask for fewer tokens or raise --max-kv-memory"); err != nil {
		return nil, err
	}
	return m.NewSession(ctx), nil
}

// Context returns the number of positions the session can hold.
func (s *Session) Context() int { return s.ctx }

// Reset forgets the cached positions.
func (s *Session) Reset() { s.Pos = 0 }

func (s *Session) grow(T int) {
	c := s.m.Config
	if T > s.cap {
		q := c.NHeads * c.HeadDim
		kv := c.NKVHeads * c.HeadDim
		s.x = make([]float32, T*c.Dim)
		s.xb = make([]float32, T*max(c.Dim, q))
		s.q = make([]float32, T*q)
		s.kk = make([]float32, T*kv)
		s.vv = make([]float32, T*kv)
		s.att = make([]float32, T*q)
		s.hb = make([]float32, T*c.HiddenDim)
		s.hb2 = make([]float32, T*c.HiddenDim)
		s.cap = T
	}
	n := s.m.pool.n
	if len(s.scratch) < n {
		// Room for attention scores (ctx) or an add buffer (≤ the widest
		// row) plus one converted F16 row.
		w := max(s.ctx, c.Dim, c.HiddenDim, c.NHeads*c.HeadDim) + max(c.Dim, c.HiddenDim, c.NHeads*c.HeadDim)
		s.scratch = make([][]float32, n)
		for i := range s.scratch {
			s.scratch[i] = make([]float32, w)
		}
	}
}

// Forward runs tokens (at positions pos, pos+1, ...) through the model,
// caching their keys and values, and returns the logits of the last
// token. The slice is reused by the next call.
func (s *Session) Forward(tokens []int, pos int) ([]float32, error) {
	l, err := s.forward(tokens, pos, false)
	return l, err
}

// ForwardAll is Forward returning the logits of every token,
// [len(tokens)][vocab] in one slice.
func (s *Session) ForwardAll(tokens []int, pos int) ([]float32, error) {
	return s.forward(tokens, pos, true)
}

// maxBatch is the largest number of tokens one pass processes; longer
// inputs go through in chunks so that work buffers stay small.
var maxBatch = 512

func (s *Session) forward(tokens []int, pos int, all bool) ([]float32, error) {
	T := len(tokens)
	if T == 0 {
		return nil, fmt.Errorf("model: Forward with no tokens")
	}
	if T <= maxBatch {
		return s.pass(tokens, pos, all)
	}
	V := s.m.Config.VocabSize
	var out []float32
	if all {
		out = make([]float32, 0, T*V)
	}
	for i := 0; i < T; i += maxBatch {
		j := min(T, i+maxBatch)
		l, err := s.pass(tokens[i:j], pos+i, all)
		if err != nil {
			return nil, err
		}
		if all {
			out = append(out, l...)
		} else if j == T {
			out = l
		}
	}
	return out, nil
}

func (s *Session) pass(tokens []int, pos int, all bool) ([]float32, error) {
	m := s.m
	c := m.Config
	T := len(tokens)
	if pos < 0 || pos > s.Pos {
		return nil, fmt.Errorf("model: position %d is beyond the %d cached positions", pos, s.Pos)
	}
	if pos+T > s.ctx {
		return nil, fmt.Errorf("model: positions %d..%d exceed the context of %d", pos, pos+T-1, s.ctx)
	}
	for _, t := range tokens {
		if t < 0 || t >= c.VocabSize {
			return nil, fmt.Errorf("model: token id %d is outside the vocabulary of %d", t, c.VocabSize)
		}
	}
	s.grow(T)
	D := c.Dim
	x := s.x[:T*D]
	es := float32(c.EmbedScale)
	for i, t := range tokens {
		row := x[i*D : (i+1)*D]
		m.Embed.Row(t, row)
		if es != 0 && es != 1 {
			kernel.Scale(es, row) // as the trainer: float32 s times float32 E
		}
		switch c.Pos {
		case PosLearned:
			axpy(row, 1, m.PosEmbed.F32[(pos+i)*D:(pos+i+1)*D])
		case PosSinusoidal:
			addSinusoidal(row, pos+i)
		}
	}
	for _, b := range m.Blocks {
		b.Forward(s, T, pos)
	}
	s.Pos = pos + T
	first := T - 1
	if all {
		first = 0
	}
	n := T - first
	xb := s.xb[:n*D]
	for i := 0; i < n; i++ {
		m.FinalNorm.Forward(xb[i*D:(i+1)*D], x[(first+i)*D:(first+i+1)*D])
	}
	V := c.VocabSize
	if cap(s.logits) < n*V {
		s.logits = make([]float32, n*V)
	}
	logits := s.logits[:n*V]
	s.matmul(m.Output, logits, xb, n, false)
	return logits, nil
}

// addSinusoidal adds PE(p, 2i) = sin(p/10000^(2i/d)), PE(p, 2i+1) = cos(...).
func addSinusoidal(row []float32, p int) {
	d := len(row)
	for i := 0; i+1 < d; i += 2 {
		a := float64(p) * math.Pow(10000, -float64(i)/float64(d))
		row[i] += float32(math.Sin(a))
		row[i+1] += float32(math.Cos(a))
	}
}

// matmul computes y[T][rows] = x[T][cols]·Wᵀ (or adds it to y). One
// token is a GEMV split over the model's worker pool; several tokens are
// a GEMM in the kernel package (which splits it over kernel.Threads()),
// quantized weights being dequantized a block of rows at a time.
func (s *Session) matmul(w *Tensor, y, x []float32, T int, add bool) {
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

// Forward runs the block on the session's residual stream: the rows of
// n tokens at positions pos..pos+n−1 (already embedded), updating
//
//	x += W_o·Attention(RoPE(W_q·h), RoPE(W_k·h), W_v·h),  h = AttnNorm(x)
//	x += MLP(FFNNorm(x))
//
// and storing the tokens' keys and values in the session's cache.
func (b *Block) Forward(s *Session, T, pos int) {
	c := s.m.Config
	D, hd := c.Dim, c.HeadDim
	qd, kvd := c.NHeads*hd, c.NKVHeads*hd
	x, xb := s.x[:T*D], s.xb[:T*D]
	for i := 0; i < T; i++ {
		b.AttnNorm.Forward(xb[i*D:(i+1)*D], x[i*D:(i+1)*D])
	}
	q, k, v := s.q[:T*qd], s.kk[:T*kvd], s.vv[:T*kvd]
	if T == 1 {
		s.gemv(xb, matPart{w: b.WQ, y: q}, matPart{w: b.WK, y: k}, matPart{w: b.WV, y: v})
	} else {
		s.matmul(b.WQ, q, xb, T, false)
		s.matmul(b.WK, k, xb, T, false)
		s.matmul(b.WV, v, xb, T, false)
	}
	if b.BQ != nil {
		for i := 0; i < T; i++ {
			axpy(q[i*qd:(i+1)*qd], 1, b.BQ)
			axpy(k[i*kvd:(i+1)*kvd], 1, b.BK)
			axpy(v[i*kvd:(i+1)*kvd], 1, b.BV)
		}
	}
	if c.Pos == PosRoPE {
		for i := 0; i < T; i++ {
			s.rope(q[i*qd:(i+1)*qd], pos+i)
			s.rope(k[i*kvd:(i+1)*kvd], pos+i)
		}
	}
	copy(s.k[b.Index][pos*kvd:(pos+T)*kvd], k)
	copy(s.v[b.Index][pos*kvd:(pos+T)*kvd], v)
	att := s.att[:T*qd]
	if P := pos + T; T >= gemmAttnMin && T*P <= gemmAttnMaxScores {
		if len(s.scores) < s.m.pool.n {
			s.scores = make([][]float32, s.m.pool.n)
		}
		s.ag = attnGemmJob{s: s, layer: b.Index, T: T, pos: pos, out: att}
		s.m.pool.parallel(&s.ag, c.NHeads, T*P*hd*2)
	} else {
		s.aj = attnJob{s: s, layer: b.Index, T: T, pos: pos, out: att}
		s.m.pool.parallel(&s.aj, T*c.NHeads, (pos+T)*hd*2)
	}
	s.matmul(b.WO, x, att, T, true)

	for i := 0; i < T; i++ {
		b.FFNNorm.Forward(xb[i*D:(i+1)*D], x[i*D:(i+1)*D])
	}
	H := c.HiddenDim
	hb := s.hb[:T*H]
	if c.MLP == GELU {
		s.matmul(b.Up, hb, xb, T, false)
		for i, u := range hb {
			hb[i] = gelu(u)
		}
	} else {
		g := s.hb2[:T*H]
		if T == 1 {
			s.gemv(xb, matPart{w: b.Up, y: hb}, matPart{w: b.Gate, y: g})
		} else {
			s.matmul(b.Up, hb, xb, T, false)
			s.matmul(b.Gate, g, xb, T, false)
		}
		kernel.SiLUMul(hb, g, hb)
	}
	s.matmul(b.Down, x, hb, T, true)
}

// rope rotates every head of vec (heads of HeadDim values) for position p.
func (s *Session) rope(vec []float32, p int) {
	c := s.m.Config
	hd, n := c.HeadDim, c.RoPE.Dim/2
	cs, sn := s.cos[p*n:(p+1)*n], s.sin[p*n:(p+1)*n]
	for h := 0; h+hd <= len(vec); h += hd {
		head := vec[h : h+hd]
		if c.RoPE.Neox {
			for i := 0; i < n; i++ {
				a, b := head[i], head[i+n]
				head[i] = a*cs[i] - b*sn[i]
				head[i+n] = a*sn[i] + b*cs[i]
			}
		} else {
			for i := 0; i < n; i++ {
				a, b := head[2*i], head[2*i+1]
				head[2*i] = a*cs[i] - b*sn[i]
				head[2*i+1] = a*sn[i] + b*cs[i]
			}
		}
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

// Attention of several tokens runs as two GEMMs per head when the score
// matrix is not too large: S = Q_h·K_hᵀ/√d, a causal softmax on each row
// of S, then O_h = S·V_h.
const (
	gemmAttnMin       = 8
	gemmAttnMaxScores = 1 << 20
)

type attnGemmJob struct {
	s      *Session
	layer  int
	T, pos int
	out    []float32
}

// run computes heads lo..hi for all T tokens.
func (j *attnGemmJob) run(lo, hi, wk int) {
	s := j.s
	c := s.m.Config
	hd := c.HeadDim
	qd, kvd := c.NHeads*hd, c.NKVHeads*hd
	group := c.NHeads / c.NKVHeads
	T, P := j.T, j.pos+j.T
	if len(s.scores[wk]) < T*P {
		s.scores[wk] = make([]float32, T*P)
	}
	S := s.scores[wk][:T*P]
	scale := float32(1 / math.Sqrt(float64(hd)))
	kc, vc := s.k[j.layer], s.v[j.layer]
	for h := lo; h < hi; h++ {
		kvOff := (h / group) * hd
		kernel.Sgemm(false, true, T, P, hd, scale, s.q[h*hd:], qd, kc[kvOff:], kvd, 0, S, P)
		for t := 0; t < T; t++ {
			row := S[t*P : (t+1)*P]
			n := j.pos + t + 1 // causal: keys 0..pos+t
			softmax(row[:n])
			clear(row[n:])
		}
		kernel.Sgemm(false, false, T, hd, P, 1, S, P, vc[kvOff:], kvd, 0, j.out[h*hd:], qd)
	}
}

type attnJob struct {
	s      *Session
	layer  int
	T, pos int
	out    []float32
}

// run computes softmax(q·kᵀ/√hd)·v for (token, head) pairs lo..hi.
func (j *attnJob) run(lo, hi, wk int) {
	s := j.s
	c := s.m.Config
	hd := c.HeadDim
	qd, kvd := c.NHeads*hd, c.NKVHeads*hd
	group := c.NHeads / c.NKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	kc, vc := s.k[j.layer], s.v[j.layer]
	for idx := lo; idx < hi; idx++ {
		// Pair short and long causal rows (t = 0, T−1, 1, T−2, ...) so that
		// contiguous chunks of indices carry similar work.
		k, h := idx/c.NHeads, idx%c.NHeads
		t := k >> 1
		if k&1 == 1 {
			t = j.T - 1 - k>>1
		}
		p := j.pos + t
		q := s.q[t*qd+h*hd : t*qd+(h+1)*hd]
		kvOff := (h / group) * hd
		sc := s.scratch[wk][:p+1]
		if hd >= 32 {
			for i := 0; i <= p; i++ {
				sc[i] = dot(q, kc[i*kvd+kvOff:i*kvd+kvOff+hd]) * scale
			}
		} else if hd%8 == 0 {
			// Small heads: eight query values stay in registers while the
			// loop runs over positions.
			clear(sc)
			for c := 0; c < hd; c += 8 {
				qc := q[c : c+8]
				q0, q1, q2, q3, q4, q5, q6, q7 := qc[0], qc[1], qc[2], qc[3], qc[4], qc[5], qc[6], qc[7]
				for i := range sc {
					k := kc[i*kvd+kvOff+c:]
					k = k[:8]
					sc[i] += q0*k[0] + q1*k[1] + q2*k[2] + q3*k[3] + q4*k[4] + q5*k[5] + q6*k[6] + q7*k[7]
				}
			}
			for i := range sc {
				sc[i] *= scale
			}
		} else {
			for i := 0; i <= p; i++ {
				k := kc[i*kvd+kvOff:]
				k = k[:len(q)]
				var d0, d1 float32
				e := 0
				for ; e+1 < len(q); e += 2 {
					d0 += q[e] * k[e]
					d1 += q[e+1] * k[e+1]
				}
				if e < len(q) {
					d0 += q[e] * k[e]
				}
				sc[i] = (d0 + d1) * scale
			}
		}
		softmax(sc)
		o := j.out[t*qd+h*hd : t*qd+(h+1)*hd]
		clear(o)
		if hd >= 32 {
			for i := 0; i <= p; i++ {
				axpy(o, sc[i], vc[i*kvd+kvOff:i*kvd+kvOff+hd])
			}
		} else if hd%8 == 0 {
			for c := 0; c < hd; c += 8 {
				var o0, o1, o2, o3, o4, o5, o6, o7 float32
				for i, a := range sc {
					v := vc[i*kvd+kvOff+c:]
					v = v[:8]
					o0 += a * v[0]
					o1 += a * v[1]
					o2 += a * v[2]
					o3 += a * v[3]
					o4 += a * v[4]
					o5 += a * v[5]
					o6 += a * v[6]
					o7 += a * v[7]
				}
				oc := o[c : c+8]
				oc[0], oc[1], oc[2], oc[3], oc[4], oc[5], oc[6], oc[7] = o0, o1, o2, o3, o4, o5, o6, o7
			}
		} else {
			for i := 0; i <= p; i++ {
				v, a := vc[i*kvd+kvOff:], sc[i]
				v = v[:len(o)]
				for e := range o {
					o[e] += a * v[e]
				}
			}
		}
	}
}
