package train

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/posenc"
)

// layerView holds slices of one transformer block's tensors inside a flat
// parameter (or gradient) vector. Absent tensors are nil.
type layerView struct {
	ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, wg, wu, wd []float32
}

// modelView is the whole model seen through a flat vector.
type modelView struct {
	emb, pos, lnfw, lnfb, lm []float32
	layers                   []layerView
}

func (c *Config) view(flat []float32, ps []ParamTensor) modelView {
	byName := make(map[string][]float32, len(ps))
	for _, p := range ps {
		byName[p.Name] = flat[p.Offset : p.Offset+p.Size]
	}
	mv := modelView{
		emb:  byName["model.embed_tokens.weight"],
		pos:  byName["model.embed_positions.weight"],
		lnfw: byName["model.norm.weight"],
		lnfb: byName["model.norm.bias"],
		lm:   byName["lm_head.weight"],
	}
	if c.Tied {
		mv.lm = mv.emb
	}
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		mv.layers = append(mv.layers, layerView{
			ln1w: byName[p+"input_layernorm.weight"], ln1b: byName[p+"input_layernorm.bias"],
			wq: byName[p+"self_attn.q_proj.weight"], wk: byName[p+"self_attn.k_proj.weight"],
			wv: byName[p+"self_attn.v_proj.weight"], wo: byName[p+"self_attn.o_proj.weight"],
			ln2w: byName[p+"post_attention_layernorm.weight"], ln2b: byName[p+"post_attention_layernorm.bias"],
			wg: byName[p+"mlp.gate_proj.weight"], wu: byName[p+"mlp.up_proj.weight"], wd: byName[p+"mlp.down_proj.weight"],
		})
	}
	return mv
}

// layerActs are the activations of one block that the backward pass needs.
type layerActs struct {
	h1, st1, q, k, v, att, ao, xm, h2, st2, g, sig, u, a []float32
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
	posIDs []int // position of each row of the batch (row mod Ctx)

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
		a.u, a.a = f(N*F), f(N*F)
		if c.MLP == MLPSwiGLU {
			a.g, a.sig = f(N*F), f(N*F)
		}
	}
	m.hf, m.stf, m.logits = f(N*D), f(2*N), f(N*c.Vocab)
	m.dres, m.dtmp, m.dh, m.dq, m.dk, m.dv, m.dao = f(N*D), f(N*D), f(N*D), f(N*D), f(N*kvd), f(N*kvd), f(N*D)
	m.dF1, m.dF2, m.dF3 = f(N*F), f(N*F), f(N*F)
}

// Forward runs B sequences (tokens has B·Ctx ids, row-major) through the
// model and returns the mean cross-entropy against targets. It keeps the
// activations and the softmax probabilities for Backward.
func (m *Model) Forward(tokens, targets []int, B int) (float64, error) {
	c := &m.Config
	T, D, F, H, KH, hd := c.Ctx, c.Dim, c.Hidden, c.Heads, c.KVHeads, c.HeadDim()
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
	kvd := KH * hd

	// Embedding (+ absolute positions).
	x := m.x[0]
	for r, tok := range tokens {
		xr := x[r*D : r*D+D]
		copy(xr, m.p.emb[tok*D:tok*D+D])
		t := r % T
		switch c.Pos {
		case PosLearned:
			for i, v := range m.p.pos[t*D : t*D+D] {
				xr[i] += v
			}
		case PosSinusoidal:
			for i, v := range m.sinPE[t*D : t*D+D] {
				xr[i] += v
			}
		}
	}
	for l := 0; l < c.Layers; l++ {
		w := &m.p.layers[l]
		a := &m.acts[l]
		xin, xout := m.x[l], m.x[l+1]
		// Attention sub-block: xm = x + Wo·attn(rope(Wq·h), rope(Wk·h), Wv·h), h = norm(x).
		normForward(c, a.h1, a.st1, xin, w.ln1w, w.ln1b)
		linearForward(a.q, a.h1, w.wq, N, D, D)
		linearForward(a.k, a.h1, w.wk, N, kvd, D)
		linearForward(a.v, a.h1, w.wv, N, kvd, D)
		if m.rope != nil {
			must(m.rope.Apply(a.q, N, H, m.posIDs))
			must(m.rope.Apply(a.k, N, KH, m.posIDs))
		}
		attentionForward(a.ao, a.att, a.q, a.k, a.v, B, T, H, KH, hd)
		linearForward(a.xm, a.ao, w.wo, N, D, D)
		for i, v := range xin {
			a.xm[i] += v
		}
		// MLP sub-block: xout = xm + Wd·act(h2), h2 = norm(xm).
		normForward(c, a.h2, a.st2, a.xm, w.ln2w, w.ln2b)
		linearForward(a.u, a.h2, w.wu, N, F, D)
		if c.MLP == MLPSwiGLU {
			linearForward(a.g, a.h2, w.wg, N, F, D)
			swigluForward(a.a, a.sig, a.g, a.u)
		} else {
			geluForward(a.a, a.u)
		}
		linearForward(xout, a.a, w.wd, N, D, F)
		for i, v := range a.xm {
			xout[i] += v
		}
	}
	normForward(c, m.hf, m.stf, m.x[c.Layers], m.p.lnfw, m.p.lnfb)
	linearForward(m.logits, m.hf, m.p.lm, N, c.Vocab, D)
	loss := crossEntropyForward(m.logits, targets, N, c.Vocab)
	return loss / float64(N), nil
}

// Backward adds the gradient of scale × (the mean loss of the last
// Forward) to Grads. Use scale = 1/accumulation steps.
func (m *Model) Backward(scale float32) {
	c := &m.Config
	B := m.B
	T, D, F, H, KH, hd, V := c.Ctx, c.Dim, c.Hidden, c.Heads, c.KVHeads, c.HeadDim(), c.Vocab
	N := B * T
	kvd := KH * hd

	crossEntropyBackward(m.logits, m.targets, N, V, scale/float32(N))
	dlm := m.gr.lm
	if c.Tied {
		dlm = m.gr.emb
	}
	linearBackward(m.dh, dlm, m.logits, m.hf, m.p.lm, N, V, D, false)
	normBackward(c, m.dres, m.gr.lnfw, m.gr.lnfb, m.dh, m.x[c.Layers], m.p.lnfw, m.stf)
	// m.dres now holds dL/dx for the residual stream leaving the last block.
	for l := c.Layers - 1; l >= 0; l-- {
		w := &m.p.layers[l]
		g := &m.gr.layers[l]
		a := &m.acts[l]
		// MLP sub-block.
		linearBackward(m.dF1, g.wd, m.dres, a.a, w.wd, N, D, F, false)
		if c.MLP == MLPSwiGLU {
			swigluBackward(m.dF2, m.dF3, m.dF1, a.sig, a.g, a.u)
			linearBackward(m.dh, g.wg, m.dF2, a.h2, w.wg, N, F, D, false)
			linearBackward(m.dh, g.wu, m.dF3, a.h2, w.wu, N, F, D, true)
		} else {
			geluBackward(m.dF3, m.dF1, a.u)
			linearBackward(m.dh, g.wu, m.dF3, a.h2, w.wu, N, F, D, false)
		}
		normBackward(c, m.dtmp, g.ln2w, g.ln2b, m.dh, a.xm, w.ln2w, a.st2)
		for i, v := range m.dtmp {
			m.dres[i] += v
		}
		// Attention sub-block.
		linearBackward(m.dao, g.wo, m.dres, a.ao, w.wo, N, D, D, false)
		attentionBackward(m.dq, m.dk, m.dv, m.dao, a.att, a.q, a.k, a.v, B, T, H, KH, hd)
		if m.rope != nil {
			must(m.rope.Backward(m.dq, N, H, m.posIDs))
			must(m.rope.Backward(m.dk, N, KH, m.posIDs))
		}
		linearBackward(m.dh, g.wq, m.dq, a.h1, w.wq, N, D, D, false)
		linearBackward(m.dh, g.wk, m.dk, a.h1, w.wk, N, kvd, D, true)
		linearBackward(m.dh, g.wv, m.dv, a.h1, w.wv, N, kvd, D, true)
		xin := m.x[l]
		normBackward(c, m.dtmp, g.ln1w, g.ln1b, m.dh, xin, w.ln1w, a.st1)
		for i, v := range m.dtmp {
			m.dres[i] += v
		}
	}
	// Embedding (and learned positions): scatter-add in token order.
	for r, tok := range m.tokens {
		dr := m.dres[r*D : r*D+D]
		e := m.gr.emb[tok*D : tok*D+D]
		for i, v := range dr {
			e[i] += v
		}
		if c.Pos == PosLearned {
			t := r % T
			p := m.gr.pos[t*D : t*D+D]
			for i, v := range dr {
				p[i] += v
			}
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
