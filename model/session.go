package model

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/posenc"
	"github.com/llmparts/llmparts/quant"
)

// Session is one generation stream: a key/value cache of ctx positions
// and the work buffers of the forward pass. It is not safe for concurrent
// use, and sessions of one model must not run Forward concurrently.
type Session struct {
	m   *Model
	ctx int
	// Pos is the number of positions already in the cache.
	Pos int

	k, v [][]float32   // per layer [ctx][kvDim]
	rope *posenc.Table // cos/sin of every position (PosRoPE)
	// ropeGGML: the table has ggml's angles (not YaRN), so MatchGGML
	// may rotate with ggml's arithmetic (Table.GGML).
	ropeGGML bool
	learned  *posenc.Learned
	sinus    *posenc.Sinusoidal
	alibi    *posenc.ALiBi // ALiBi slopes (PosALiBi)

	cap                                int // rows the buffers below hold
	x, xb, q, kk, vv, att, ao, hb, hb2 []float32
	pos                                []int
	logits                             []float32
	scratch                            [][]float32
	mj                                 matJob
	dj                                 dequantJob
	deq, yt                            []float32
	xqs                                map[quant.Type][]byte // activations quantized per VecDot format
	aj                                 attnJob
	agg                                attnGGMLJob
	at                                 attnTileJob
	scores                             [][]float32 // per worker, a tile of attention scores
	// seqs is set on a model's batch session during ForwardBatch: row i
	// belongs to seqs[i] (its KV cache, position tables and attention).
	seqs []*Session
	// outRows are the rows whose logits a batch pass returns (the last
	// row of each session's run).
	outRows []int
	bj      []attnJob
	bjEnd   []int
	baj     batchAttnJob
	rj      rowMatJob
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
	switch c.Pos {
	case PosRoPE:
		// Validated at load, so neither call fails.
		r := c.RoPE.ForContext(ctx)
		s.rope, _ = r.ggml(c.ContextLen).Table(c.HeadDim, ctx)
		s.ropeGGML = s.rope.GGML
	case PosLearned:
		s.learned = &posenc.Learned{MaxPos: m.PosEmbed.Rows, Dim: c.Dim, Weight: m.PosEmbed.F32}
	case PosSinusoidal:
		s.sinus = &posenc.Sinusoidal{Dim: c.Dim}
	case PosALiBi:
		s.alibi, _ = posenc.NewALiBi(c.NHeads, c.ALiBiMaxBias) // validated at load
	}
	return s
}

// SessionBytes returns an upper bound of the memory a session of ctx
// positions allocates (ctx clamped as NewSession does), computed without
// overflow, and false if it does not fit in an int64:
//
//	K and V caches   2 · layers · ctx · kvHeads · headDim · 4 bytes
//	RoPE cos/sin     2 · ctx · ropeDim/2 · 4
//	batch buffers    maxBatch · (dim·5 + q·3 + kv·2 + hidden·2 + 2) · 4 (+ logits)
//	attention scores threads · (tileQ·tileK + 2·tileQ) · 4 (+ a scratch row each)
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
	row, ok3 := sysmem.Add(5*int64(c.Dim), 3*q, 2*kvd, 2*int64(c.HiddenDim), int64(c.VocabSize), 2)
	batch, ok4 := sysmem.Mul(B, row, 4)
	scores, ok5 := sysmem.Mul(threads, int64(tileScratch()), 4)
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
		s.ao = make([]float32, 2*T*c.Dim)
		s.hb = make([]float32, T*c.HiddenDim)
		s.hb2 = make([]float32, T*c.HiddenDim)
		s.pos = make([]int, T)
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
	return s.forward(tokens, pos, false)
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
	c := &m.Config
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
	for i := range s.pos[:T] {
		s.pos[i] = pos + i
	}
	logits := s.run(tokens, pos, all)
	s.Pos = pos + T
	V := c.VocabSize
	if err := finite(logits[len(logits)-V:], pos+T-1); err != nil {
		return nil, err
	}
	return logits, nil
}

// finite reports a NaN or infinite logit. A NaN or infinite weight that
// the load-time scan does not cover (large or quantized matrices) shows
// here: say so instead of letting the sampler turn it into empty or
// arbitrary text.
func finite(logits []float32, pos int) error {
	for i, l := range logits {
		if l != l || l > math.MaxFloat32 || l < -math.MaxFloat32 {
			return fmt.Errorf("model: logit %d of position %d is %v: a weight or activation is not finite (corrupt model file?)", i, pos, l)
		}
	}
	return nil
}

// run computes the rows of tokens at the positions in s.pos (pos, pos+1,
// ... for one sequence; one position per sequence in a batch, see
// ForwardBatch) and returns the logits of the last row, or of every row
// with all.
func (s *Session) run(tokens []int, pos int, all bool) []float32 {
	m := s.m
	c := &m.Config
	T := len(tokens)
	D := c.Dim
	x := s.x[:T*D]
	ps := s.pos[:T]
	es := float32(c.EmbedScale)
	for i, t := range tokens {
		row := x[i*D : (i+1)*D]
		m.Embed.Row(t, row)
		if es != 0 && es != 1 {
			kernel.Scale(es, row) // float32 s times float32 E, as ggml_scale and the trainer
		}
	}
	// Positions are checked against the context above, so Add cannot fail.
	switch {
	case s.learned != nil:
		_ = s.learned.Add(x, ps)
	case s.sinus != nil:
		_ = s.sinus.Add(x, ps)
	}
	if m.EmbedNorm.Present() {
		m.EmbedNorm.forward(x, x)
	}
	for _, b := range m.Blocks {
		b.forward(s, T, pos)
	}
	first := T - 1
	if all {
		first = 0
	}
	n := T - first
	src := x[first*D:]
	if s.seqs != nil { // a batch pass: the logits of outRows only
		n = len(s.outRows)
		src = s.ao[:n*D]
		for k, r := range s.outRows {
			copy(src[k*D:(k+1)*D], x[r*D:(r+1)*D])
		}
	}
	xb := s.xb[:n*D]
	m.FinalNorm.forward(xb, src)
	V := c.VocabSize
	if cap(s.logits) < n*V {
		s.logits = make([]float32, n*V)
	}
	logits := s.logits[:n*V]
	s.matmul(m.Output, logits, xb, n, false)
	addBias(logits, m.OutputBias)
	if cp := c.FinalSoftcap; cp > 0 {
		kernel.Softcap(logits, float32(cp), 1)
	}
	return logits
}

// addBias adds b to every row of y (nothing when b is nil).
func addBias(y, b []float32) {
	if b == nil {
		return
	}
	for r := 0; r+len(b) <= len(y); r += len(b) {
		kernel.Add(y[r:r+len(b)], y[r:r+len(b)], b)
	}
}

// forward runs the block on the session's residual stream x: the rows of
// T tokens at positions pos..pos+T−1 (already embedded), storing the
// tokens' keys and values in the session's cache. Sequential layout:
//
//	x += post₁(W_o·Attention(RoPE(W_q·h), RoPE(W_k·h), W_v·h) + b_o),  h = pre₁(x)
//	x += post₂(MLP(pre₂(x)))
//
// with absent norms skipped; parallel layout: x += attn(pre₁(x)) +
// MLP(pre₂(x)), pre₂ = pre₁ when the block has no FFN norm.
func (b *Block) forward(s *Session, T, pos int) {
	c := &s.m.Config
	D := c.Dim
	x, xb := s.x[:T*D], s.xb[:T*D]
	in := x
	if b.AttnNorm.Present() {
		b.AttnNorm.forward(xb, x)
		in = xb
	}
	att := s.attention(b, in, T, pos)
	ao := s.ao[:T*D]
	if !c.Parallel && !b.AttnPostNorm.Present() {
		s.matmul(b.WO, x, att, T, true)
		addBias(x, b.BO)
	} else {
		s.matmul(b.WO, ao, att, T, false)
		addBias(ao, b.BO)
		if b.AttnPostNorm.Present() {
			b.AttnPostNorm.forward(ao, ao)
		}
		if !c.Parallel {
			kernel.Add(x, x, ao)
		}
	}
	// MLP input: in parallel blocks the residual x is still the block's
	// input, and xb still holds the attention norm's output.
	if c.Parallel {
		if b.FFNNorm.Present() {
			b.FFNNorm.forward(xb, x)
		}
		if b.AttnNorm.Present() || b.FFNNorm.Present() {
			in = xb
		}
	} else {
		in = x
		if b.FFNNorm.Present() {
			b.FFNNorm.forward(xb, x)
			in = xb
		}
	}
	hb := s.mlp(b, in, T)
	if b.FFNPostNorm.Present() {
		mo := s.ao[T*D : 2*T*D]
		s.matmul(b.Down, mo, hb, T, false)
		addBias(mo, b.BDown)
		b.FFNPostNorm.forward(mo, mo)
		kernel.Add(x, x, mo)
	} else {
		s.matmul(b.Down, x, hb, T, true)
		addBias(x, b.BDown)
	}
	if c.Parallel {
		kernel.Add(x, x, ao)
	}
}

// mlp returns the MLP's hidden activations [T][HiddenDim] for input rows
// in: silu(gate)⊙up, gelu(gate)⊙up or gelu(up + b).
func (s *Session) mlp(b *Block, in []float32, T int) []float32 {
	H := s.m.Config.HiddenDim
	hb := s.hb[:T*H]
	if b.Gate == nil {
		s.matmul(b.Up, hb, in, T, false)
		addBias(hb, b.BUp)
		kernel.GELU(hb, hb)
		return hb
	}
	g := s.hb2[:T*H]
	if T == 1 && s.seqs == nil {
		s.gemv(in, matPart{w: b.Up, y: hb}, matPart{w: b.Gate, y: g})
	} else {
		s.matmul(b.Up, hb, in, T, false)
		s.matmul(b.Gate, g, in, T, false)
	}
	addBias(hb, b.BUp)
	switch {
	case s.m.Config.MLP == GeGLU:
		kernel.GELUMul(hb, g, hb)
	case s.m.MatchGGML:
		kernel.SiLUMulGGML(hb, g, hb)
	default:
		kernel.SiLUMul(hb, g, hb)
	}
	return hb
}
