package train

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/posenc"
)

// layerView holds slices of one transformer block's tensors inside a flat
// parameter (or gradient) vector. Absent tensors are nil.
type layerView struct {
	ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, wg, wu, wd []float32
	// wqkv is [wq; wk; wv] and wgu is [wg; wu] (SwiGLU only): adjacent
	// in the layout, so one matrix product computes all of them.
	wqkv, wgu []float32
}

// modelView is the whole model seen through a flat vector.
type modelView struct {
	emb, pos, lnfw, lnfb, lm []float32
	layers                   []layerView
}

func (c *Config) view(flat []float32, ps []ParamTensor) modelView {
	byName := make(map[string][]float32, len(ps))
	offset := make(map[string]int, len(ps))
	for _, p := range ps {
		byName[p.Name] = flat[p.Offset : p.Offset+p.Size]
		offset[p.Name] = p.Offset
	}
	// span returns the tensors from first to last, adjacent in the layout.
	span := func(first, last string) []float32 {
		return flat[offset[first] : offset[last]+len(byName[last])]
	}
	w := func(r spec.Role, l int) []float32 { return byName[weightName(r, l)] }
	b := func(r spec.Role, l int) []float32 { return byName[biasName(r, l)] }
	mv := modelView{
		emb:  w(spec.TokenEmbd, 0),
		pos:  w(spec.PosEmbd, 0),
		lnfw: w(spec.OutputNorm, 0),
		lnfb: b(spec.OutputNorm, 0),
		lm:   w(spec.Output, 0),
	}
	if c.Tied {
		mv.lm = mv.emb
	}
	for l := 0; l < c.Layers; l++ {
		mv.layers = append(mv.layers, layerView{
			ln1w: w(spec.AttnNorm, l), ln1b: b(spec.AttnNorm, l),
			wq: w(spec.AttnQ, l), wk: w(spec.AttnK, l), wv: w(spec.AttnV, l), wo: w(spec.AttnOut, l),
			ln2w: w(spec.FFNNorm, l), ln2b: b(spec.FFNNorm, l),
			wg: w(spec.FFNGate, l), wu: w(spec.FFNUp, l), wd: w(spec.FFNDown, l),
			wqkv: span(weightName(spec.AttnQ, l), weightName(spec.AttnV, l)),
		})
		if c.MLP == MLPSwiGLU {
			mv.layers[l].wgu = span(weightName(spec.FFNGate, l), weightName(spec.FFNUp, l))
		}
	}
	return mv
}

// layerActs are the activations of one block that the backward pass needs.
type layerActs struct {
	h1, st1, q, k, v, att, ao, xm, h2, st2, sg, a []float32
	gu                                            []float32 // SwiGLU: rows [gate | up] (N × 2F)
	u                                             []float32 // GELU: the up projection (N × F)
}

// Model is a Llama-style decoder-only transformer with a flat parameter
// vector, its gradient, and activation buffers for batches of B sequences
// of Config.Ctx tokens.
type Model struct {
	Config  Config
	Tensors []ParamTensor // layout of Params and Grads
	Params  []float32
	Grads   []float32

	p, gr  modelView
	rope   *posenc.Table
	sinPE  []float32
	alibi  []float64 // ALiBi slope per query head (PosALiBi)
	posIDs []int     // position of each row of the batch (row mod Ctx)

	// activations for batch size B
	B       int
	tokens  []int
	targets []int
	x       [][]float32 // residual stream entering each block, plus the final one
	acts    []layerActs
	hf, stf []float32
	logits  []float32
	// gradient scratch
	dres, dtmp, dh, dq, dk, dv, dao, dF1, dF2, dF3 []float32
	qkv                                            []float32 // rows [q | k | v]: forward output, backward gradient

	// The batch is cut into nc chunks of whole sequences (a number that
	// depends only on B), each run forward and backward on its own
	// goroutine with its own gradient vector cg[c]; Backward adds them
	// into Grads in chunk order.
	nc     int
	cg     [][]float32
	cgv    []modelView
	closs  []float64
	dP     [][]float32 // attention scratch per chunk
	ones   []float32
	zeroed [][2]int // offset, size of the chunk-gradient tensors Backward adds into
}

// maxChunks is the number of pieces a batch is cut into (fewer when it has
// fewer sequences). Results depend on it (the weight gradients are summed
// per chunk, then across chunks) but not on the thread count.
const maxChunks = 4

// chunkRows returns the rows [r0, r1) of chunk c.
func (m *Model) chunkRows(c int) (r0, r1 int) {
	T := m.Config.Ctx
	return c * m.B / m.nc * T, (c + 1) * m.B / m.nc * T
}

// NewModel allocates a model for cfg and initialises it from seed: matrices
// and embeddings ~ N(0, 0.02²), output projections (o_proj, down_proj)
// ~ N(0, (0.02/√(2L))²) as in GPT-2, norm weights 1 and biases 0.
func NewModel(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Tensors: cfg.layout()}
	n := 0
	for _, p := range m.Tensors {
		n += p.Size
	}
	m.Params = make([]float32, n)
	m.Grads = make([]float32, n)
	m.p = cfg.view(m.Params, m.Tensors)
	m.gr = cfg.view(m.Grads, m.Tensors)
	rng := RNG{State: seed}
	projStd := 0.02 / math.Sqrt(2*float64(cfg.Layers))
	for _, p := range m.Tensors {
		d := m.Params[p.Offset : p.Offset+p.Size]
		for i := range d {
			switch p.Init {
			case "one":
				d[i] = 1
			case "zero":
				d[i] = 0
			case "proj":
				d[i] = float32(rng.Normal() * projStd)
			default:
				d[i] = float32(rng.Normal() * 0.02)
			}
		}
	}
	var err error
	switch cfg.Pos {
	case PosRoPE:
		m.rope, err = newRope(cfg.Ctx, cfg.HeadDim(), cfg.RopeTheta)
	case PosSinusoidal:
		m.sinPE, err = sinusoidalTable(cfg.Ctx, cfg.Dim)
	case PosALiBi:
		m.alibi, err = posenc.ALiBiSlopes(cfg.Heads, posenc.DefaultALiBiMaxBias)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Tensor returns the parameter slice called name (nil if absent).
func (m *Model) Tensor(name string) []float32 {
	for _, p := range m.Tensors {
		if p.Name == name {
			return m.Params[p.Offset : p.Offset+p.Size]
		}
	}
	return nil
}

func (m *Model) alloc(B int) {
	if m.B == B {
		return
	}
	c := &m.Config
	T, D, F, H := c.Ctx, c.Dim, c.Hidden, c.Heads
	N := B * T
	kvd := c.KVHeads * c.HeadDim()
	f := func(n int) []float32 { return make([]float32, n) }
	m.B = B
	m.tokens = make([]int, N)
	m.posIDs = make([]int, N)
	for i := range m.posIDs {
		m.posIDs[i] = i % T
	}
	m.targets = make([]int, N)
	m.x = make([][]float32, c.Layers+1)
	for i := range m.x {
		m.x[i] = f(N * D)
	}
	m.acts = make([]layerActs, c.Layers)
	for l := range m.acts {
		a := &m.acts[l]
		a.h1, a.st1, a.q, a.k, a.v = f(N*D), f(2*N), f(N*D), f(N*kvd), f(N*kvd)
		a.att, a.ao, a.xm, a.h2, a.st2 = f(B*H*T*T), f(N*D), f(N*D), f(N*D), f(2*N)
		a.a = f(N * F)
		if c.MLP == MLPSwiGLU {
			a.gu, a.sg = f(2*N*F), f(N*F)
		} else {
			a.u = f(N * F)
		}
	}
	m.nc = min(B, maxChunks)
	m.cg, m.cgv, m.dP = make([][]float32, m.nc), make([]modelView, m.nc), make([][]float32, m.nc)
	m.closs = make([]float64, m.nc)
	for i := range m.cg {
		m.cg[i] = f(len(m.Params))
		m.cgv[i] = c.view(m.cg[i], m.Tensors)
		m.dP[i] = f(T * T)
	}
	m.ones = f(F)
	for i := range m.ones {
		m.ones[i] = 1
	}
	m.zeroed = nil
	for _, p := range m.Tensors {
		// Matrices are written (not added to) by their one linearBackward;
		// with a tied head that includes the embedding.
		if !p.Decay && !(c.Tied && p.Name == weightName(spec.TokenEmbd, 0)) {
			m.zeroed = append(m.zeroed, [2]int{p.Offset, p.Size})
		}
	}
	m.hf, m.stf, m.logits = f(N*D), f(2*N), f(N*c.Vocab)
	m.dres, m.dtmp, m.dh, m.dq, m.dk, m.dv, m.dao = f(N*D), f(N*D), f(N*D), f(N*D), f(N*kvd), f(N*kvd), f(N*D)
	m.dF1, m.dF2, m.dF3 = f(N*F), f(2*N*F), f(N*F)
	m.qkv = f(N * (D + 2*kvd))
}

// Forward runs B sequences (tokens has B·Ctx ids, row-major) through the
// model and returns the mean cross-entropy against targets. It keeps the
// activations and the softmax probabilities for Backward.
func (m *Model) Forward(tokens, targets []int, B int) (float64, error) {
	c := &m.Config
	T := c.Ctx
	N := B * T
	if B < 1 || len(tokens) != N || len(targets) != N {
		return 0, fmt.Errorf("train: Forward: %d tokens and %d targets for batch %d × ctx %d", len(tokens), len(targets), B, T)
	}
	for i := range tokens {
		if tokens[i] < 0 || tokens[i] >= c.Vocab || targets[i] < 0 || targets[i] >= c.Vocab {
			return 0, fmt.Errorf("train: Forward: token id out of range [0, %d) at %d", c.Vocab, i)
		}
	}
	m.alloc(B)
	copy(m.tokens, tokens)
	copy(m.targets, targets)
	runParallel(m.nc, m.forwardChunk)
	var loss float64
	for _, l := range m.closs {
		loss += l
	}
	return loss / float64(N), nil
}

// forwardChunk runs chunk c's sequences through the model, leaving its
// summed loss in m.closs[c].
func (m *Model) forwardChunk(ch int) {
	c := &m.Config
	T, D, F, H, KH, hd := c.Ctx, c.Dim, c.Hidden, c.Heads, c.KVHeads, c.HeadDim()
	kvd := KH * hd
	r0, r1 := m.chunkRows(ch)
	N, nb := r1-r0, (r1-r0)/T
	rows := func(buf []float32, w int) []float32 { return buf[r0*w : r1*w] }

	// Embedding (+ absolute positions).
	x := rows(m.x[0], D)
	es := float32(c.embedScale())
	for r, tok := range m.tokens[r0:r1] {
		xr := x[r*D : r*D+D]
		copy(xr, m.p.emb[tok*D:tok*D+D])
		if es != 1 {
			kernel.Scale(es, xr)
		}
		t := r % T
		switch c.Pos {
		case PosLearned:
			kernel.Add(xr, xr, m.p.pos[t*D:t*D+D])
		case PosSinusoidal:
			kernel.Add(xr, xr, m.sinPE[t*D:t*D+D])
		}
	}
	posIDs := m.posIDs[r0:r1]
	for l := 0; l < c.Layers; l++ {
		w := &m.p.layers[l]
		a := &m.acts[l]
		xin, xout := rows(m.x[l], D), rows(m.x[l+1], D)
		h1, q, k, v := rows(a.h1, D), rows(a.q, D), rows(a.k, kvd), rows(a.v, kvd)
		ao, xm, h2 := rows(a.ao, D), rows(a.xm, D), rows(a.h2, D)
		act := rows(a.a, F)
		// Attention sub-block: xm = x + Wo·attn(rope(Wq·h), rope(Wk·h), Wv·h), h = norm(x).
		normForward(c, h1, rows(a.st1, 2), xin, w.ln1w, w.ln1b)
		qkv := rows(m.qkv, D+2*kvd)
		linearForward(qkv, h1, w.wqkv, N, D+2*kvd, D)
		for r := 0; r < N; r++ {
			row := qkv[r*(D+2*kvd):]
			copy(q[r*D:r*D+D], row[:D])
			copy(k[r*kvd:r*kvd+kvd], row[D:D+kvd])
			copy(v[r*kvd:r*kvd+kvd], row[D+kvd:D+2*kvd])
		}
		if m.rope != nil {
			must(m.rope.Apply(q, N, H, posIDs))
			must(m.rope.Apply(k, N, KH, posIDs))
		}
		attentionForward(ao, a.att[r0/T*H*T*T:r1/T*H*T*T], q, k, v, nb, T, H, KH, hd, m.alibi)
		linearForward(xm, ao, w.wo, N, D, D)
		kernel.Add(xm, xm, xin)
		// MLP sub-block: xout = xm + Wd·act(h2), h2 = norm(xm).
		normForward(c, h2, rows(a.st2, 2), xm, w.ln2w, w.ln2b)
		if c.MLP == MLPSwiGLU {
			gu := rows(a.gu, 2*F)
			linearForward(gu, h2, w.wgu, N, 2*F, D)
			swigluForward(act, rows(a.sg, F), gu, m.ones, F)
		} else {
			u := rows(a.u, F)
			linearForward(u, h2, w.wu, N, F, D)
			geluForward(act, u)
		}
		linearForward(xout, act, w.wd, N, D, F)
		kernel.Add(xout, xout, xm)
	}
	hf := rows(m.hf, D)
	normForward(c, hf, rows(m.stf, 2), rows(m.x[c.Layers], D), m.p.lnfw, m.p.lnfb)
	logits := rows(m.logits, c.Vocab)
	linearForward(logits, hf, m.p.lm, N, c.Vocab, D)
	m.closs[ch] = crossEntropyForward(logits, m.targets[r0:r1], N, c.Vocab)
}

// Backward adds the gradient of scale × (the mean loss of the last
// Forward) to Grads. Use scale = 1/accumulation steps.
func (m *Model) Backward(scale float32) {
	scale /= float32(m.B * m.Config.Ctx)
	runParallel(m.nc, func(c int) { m.backwardChunk(c, scale) })
	// Grads += Σ_c cg[c], chunk by chunk in order, in blocks that depend
	// only on the parameter count.
	const block = 1 << 15
	n := len(m.Grads)
	runParallel((n+block-1)/block, func(i int) {
		lo, hi := i*block, min(i*block+block, n)
		g := m.Grads[lo:hi]
		for _, cg := range m.cg {
			kernel.Add(g, g, cg[lo:hi])
		}
	})
}

// backwardChunk writes chunk c's gradient of scale × its summed loss into
// m.cg[c].
func (m *Model) backwardChunk(ch int, scale float32) {
	c := &m.Config
	T, D, F, H, KH, hd, V := c.Ctx, c.Dim, c.Hidden, c.Heads, c.KVHeads, c.HeadDim(), c.Vocab
	kvd := KH * hd
	r0, r1 := m.chunkRows(ch)
	N, nb := r1-r0, (r1-r0)/T
	rows := func(buf []float32, w int) []float32 { return buf[r0*w : r1*w] }
	gr := &m.cgv[ch]
	for _, z := range m.zeroed {
		clear(m.cg[ch][z[0] : z[0]+z[1]])
	}
	posIDs := m.posIDs[r0:r1]
	dres, dtmp, dh := rows(m.dres, D), rows(m.dtmp, D), rows(m.dh, D)
	dq, dk, dv, dao := rows(m.dq, D), rows(m.dk, kvd), rows(m.dv, kvd), rows(m.dao, D)
	dF1, dF2, dF3 := rows(m.dF1, F), rows(m.dF2, 2*F), rows(m.dF3, F)

	logits := rows(m.logits, V)
	crossEntropyBackward(logits, m.targets[r0:r1], N, V, scale)
	dlm := gr.lm
	if c.Tied {
		dlm = gr.emb
	}
	linearBackward(dh, dlm, logits, rows(m.hf, D), m.p.lm, N, V, D, false, false)
	normBackward(c, dres, gr.lnfw, gr.lnfb, dh, rows(m.x[c.Layers], D), m.p.lnfw, rows(m.stf, 2))
	// dres now holds dL/dx for the residual stream leaving the last block.
	for l := c.Layers - 1; l >= 0; l-- {
		w := &m.p.layers[l]
		g := &gr.layers[l]
		a := &m.acts[l]
		h1, q, k, v := rows(a.h1, D), rows(a.q, D), rows(a.k, kvd), rows(a.v, kvd)
		ao, xm, h2 := rows(a.ao, D), rows(a.xm, D), rows(a.h2, D)
		act := rows(a.a, F)
		// MLP sub-block.
		linearBackward(dF1, g.wd, dres, act, w.wd, N, D, F, false, false)
		if c.MLP == MLPSwiGLU {
			swigluBackward(dF2, dF1, rows(a.sg, F), rows(a.gu, 2*F), F)
			linearBackward(dh, g.wgu, dF2, h2, w.wgu, N, 2*F, D, false, false)
		} else {
			u := rows(a.u, F)
			geluBackward(dF3, dF1, u)
			linearBackward(dh, g.wu, dF3, h2, w.wu, N, F, D, false, false)
		}
		normBackward(c, dtmp, g.ln2w, g.ln2b, dh, xm, w.ln2w, rows(a.st2, 2))
		kernel.Add(dres, dres, dtmp)
		// Attention sub-block.
		linearBackward(dao, g.wo, dres, ao, w.wo, N, D, D, false, false)
		attentionBackward(dq, dk, dv, dao, a.att[r0/T*H*T*T:r1/T*H*T*T], q, k, v, m.dP[ch], nb, T, H, KH, hd)
		if m.rope != nil {
			must(m.rope.Backward(dq, N, H, posIDs))
			must(m.rope.Backward(dk, N, KH, posIDs))
		}
		dqkv := rows(m.qkv, D+2*kvd)
		for r := 0; r < N; r++ {
			row := dqkv[r*(D+2*kvd):]
			copy(row[:D], dq[r*D:r*D+D])
			copy(row[D:D+kvd], dk[r*kvd:r*kvd+kvd])
			copy(row[D+kvd:D+2*kvd], dv[r*kvd:r*kvd+kvd])
		}
		linearBackward(dh, g.wqkv, dqkv, h1, w.wqkv, N, D+2*kvd, D, false, false)
		normBackward(c, dtmp, g.ln1w, g.ln1b, dh, rows(m.x[l], D), w.ln1w, rows(a.st1, 2))
		kernel.Add(dres, dres, dtmp)
	}
	// Embedding (and learned positions): scatter-add in token order.
	es := float32(c.embedScale())
	for r, tok := range m.tokens[r0:r1] {
		dr := dres[r*D : r*D+D]
		e := gr.emb[tok*D : tok*D+D]
		if es != 1 {
			kernel.Axpy(es, dr, e)
		} else {
			kernel.Add(e, e, dr)
		}
		if c.Pos == PosLearned {
			t := r % T
			p := gr.pos[t*D : t*D+D]
			kernel.Add(p, p, dr)
		}
	}
}

// ZeroGrads clears Grads.
func (m *Model) ZeroGrads() { clear(m.Grads) }

// must panics on an error that can only come from the model's own shapes
// (a bug, not bad input).
func must(err error) {
	if err != nil {
		panic("train: " + err.Error())
	}
}
