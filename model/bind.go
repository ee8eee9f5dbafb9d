package model

import (
	"fmt"

	"github.com/llmparts/llmparts/norm"
)

// source hands the binder a checkpoint's tensors by name, whatever the
// file format (GGUF, llama2.c, safetensors).
type source interface {
	// get returns the tensor called name as [rows][cols] (a vector as
	// 1×n), or nil when the file has no such tensor.
	get(name string) (*Tensor, error)
}

// binder attaches a source's tensors to a model: the one place that knows
// which weight goes where, for every family and every format. name maps
// a role and layer to the format's tensor name ("" when the format has
// none).
type binder struct {
	f    *Family
	c    *Config
	src  source
	file string
	name func(r Role, layer int) string
	seen map[string]*Tensor // tensors already read (a dequantized one is converted once)
}

func (b *binder) get(r Role, layer int, suffix string) (*Tensor, string, error) {
	n := b.name(r, layer)
	if n == "" {
		return nil, "", nil
	}
	n += suffix
	if t, ok := b.seen[n]; ok {
		return t, n, nil
	}
	t, err := b.src.get(n)
	if err != nil {
		return nil, n, fmt.Errorf("%s: tensor %s: %v", b.file, n, err)
	}
	if b.seen == nil {
		b.seen = map[string]*Tensor{}
	}
	b.seen[n] = t
	return t, n, nil
}

// has reports whether the weight of a role is present.
func (b *binder) has(r Role, layer int) bool {
	t, _, err := b.get(r, layer, ".weight")
	return err == nil && t != nil
}

// mat returns the weight of a role with the given shape (nil when absent
// and not required).
func (b *binder) mat(r Role, layer, rows, cols int, required bool) (*Tensor, error) {
	t, n, err := b.get(r, layer, ".weight")
	if err != nil {
		return nil, err
	}
	if t == nil {
		if required {
			if n == "" {
				n = fmt.Sprintf("for role %d of layer %d", r, layer)
			}
			return nil, fmt.Errorf("%s: tensor %s is missing", b.file, n)
		}
		return nil, nil
	}
	if t.Rows != rows || t.Cols != cols {
		return nil, fmt.Errorf("%s: tensor %s has shape [%d][%d], want [%d][%d] from the hyper-parameters", b.file, n, t.Rows, t.Cols, rows, cols)
	}
	return t, nil
}

// vec returns the values of a role's weight or bias (suffix) with n
// values, or nil when absent.
func (b *binder) vec(r Role, layer int, suffix string, n int) ([]float32, error) {
	t, name, err := b.get(r, layer, suffix)
	if err != nil || t == nil {
		return nil, err
	}
	if t.Rows*t.Cols != n {
		return nil, fmt.Errorf("%s: tensor %s has %d values, want %d", b.file, name, t.Rows*t.Cols, n)
	}
	return t.Float32(), nil
}

// norm returns the norm of a role over rows of width (absent unless
// required); a bias is used when present.
func (b *binder) norm(r Role, layer, width int, required bool) (Norm, error) {
	w, err := b.vec(r, layer, ".weight", width)
	if err != nil {
		return Norm{}, err
	}
	if w == nil {
		if required {
			return Norm{}, fmt.Errorf("%s: tensor %s.weight is missing", b.file, b.name(r, layer))
		}
		return Norm{}, nil
	}
	bias, err := b.vec(r, layer, ".bias", width)
	if err != nil {
		return Norm{}, err
	}
	l, err := b.c.newNorm(width, w, bias)
	return Norm{Layer: l}, err
}

// headNorm returns a q or k norm of nHeads heads: one weight vector for
// the whole projection (QKNormWhole), or per head, shared (hd values) or
// one per head (nHeads·hd values).
func (b *binder) headNorm(r Role, layer, nHeads int) (Norm, error) {
	hd := b.c.HeadDim
	if b.c.QKNorm == QKNormWhole {
		return b.norm(r, layer, nHeads*hd, true)
	}
	t, n, err := b.get(r, layer, ".weight")
	if err != nil || t == nil {
		return Norm{}, err
	}
	switch t.Rows * t.Cols {
	case hd:
		return b.norm(r, layer, hd, true)
	case nHeads * hd:
		w := t.Float32()
		bias, err := b.vec(r, layer, ".bias", nHeads*hd)
		if err != nil {
			return Norm{}, err
		}
		var nm Norm
		for h := 0; h < nHeads; h++ {
			var bh []float32
			if bias != nil {
				bh = bias[h*hd : (h+1)*hd]
			}
			l, err := b.c.newNorm(hd, w[h*hd:(h+1)*hd], bh)
			if err != nil {
				return Norm{}, err
			}
			nm.Heads = append(nm.Heads, l)
		}
		return nm, nil
	}
	return Norm{}, fmt.Errorf("%s: tensor %s has %d values, want %d or %d", b.file, n, t.Rows*t.Cols, hd, nHeads*hd)
}

// newNorm builds the config's norm layer over rows of width.
func (c *Config) newNorm(width int, w, bias []float32) (norm.Layer, error) {
	var l norm.Layer
	switch c.Norm {
	case LayerNorm:
		l = &norm.LayerNorm{Dim: width, Weight: w, Bias: bias, Eps: c.NormEps}
	default:
		n := &norm.RMSNorm{Dim: width, Weight: w, Bias: bias, Eps: c.NormEps, WeightOffset: c.NormWeightOffset, Arith: norm.ArithGGML}
		if c.Norm == PRMSNorm && c.NormP > 0 && c.NormP < 1 {
			n.P = c.NormP
		}
		l = n
	}
	type validator interface{ Validate() error }
	if err := l.(validator).Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// bind builds the model's weights from the source. The config must be
// complete except VocabSize (read from the embedding) and the RoPE
// frequency factors (read from rope_freqs or the LongRoPE factors).
func (b *binder) bind() (*Model, error) {
	c := b.c
	m := &Model{Family: b.f}
	emb, n, err := b.get(TokenEmbd, 0, ".weight")
	if err != nil {
		return nil, err
	}
	if emb == nil {
		return nil, fmt.Errorf("%s: tensor %s is missing", b.file, n)
	}
	if c.VocabSize == 0 {
		c.VocabSize = emb.Rows
	}
	if err := c.validate(b.file); err != nil {
		return nil, err
	}
	D, H, V := c.Dim, c.HiddenDim, c.VocabSize
	Q, KV := c.NHeads*c.HeadDim, c.NKVHeads*c.HeadDim
	if m.Embed, err = b.mat(TokenEmbd, 0, V, D, true); err != nil {
		return nil, err
	}
	if m.Output, err = b.mat(Output, 0, V, D, false); err != nil {
		return nil, err
	}
	if m.Output == nil || c.Tied {
		m.Output, c.Tied = m.Embed, true
	}
	if m.OutputBias, err = b.vec(Output, 0, ".bias", V); err != nil {
		return nil, err
	}
	if c.Pos == PosLearned {
		t, n, err := b.get(PosEmbd, 0, ".weight")
		if err != nil {
			return nil, err
		}
		if t == nil || t.Cols != D || t.Rows <= 0 {
			return nil, fmt.Errorf("%s: learned position embedding %s missing or not [ctx][%d]", b.file, n, D)
		}
		m.PosEmbed = NewF32(t.Name, t.Rows, D, t.Float32())
		c.ContextLen = min(c.ContextLen, t.Rows)
	}
	if m.EmbedNorm, err = b.norm(TokenEmbdNorm, 0, D, false); err != nil {
		return nil, err
	}
	if m.FinalNorm, err = b.norm(OutputNorm, 0, D, true); err != nil {
		return nil, err
	}
	if c.Pos == PosRoPE {
		if err := b.ropeFactors(); err != nil {
			return nil, err
		}
		if err := c.validate(b.file); err != nil { // the factors' RoPE
			return nil, err
		}
	}
	req := map[Role]bool{}
	for _, r := range b.f.Required {
		req[r] = true
	}
	for i := 0; i < c.NLayers; i++ {
		blk := &Block{Index: i}
		var err error
		step := func(f func() error) {
			if err == nil {
				err = f()
			}
		}
		nrm := func(dst *Norm, r Role) func() error {
			return func() (e error) { *dst, e = b.norm(r, i, D, req[r]); return }
		}
		step(nrm(&blk.AttnNorm, AttnNorm))
		step(nrm(&blk.AttnPostNorm, AttnPostNorm))
		step(nrm(&blk.FFNNorm, FFNNorm))
		step(nrm(&blk.FFNPostNorm, FFNPostNorm))
		step(func() error { return b.attention(blk, i, Q, KV) })
		if c.QKNorm != QKNormNone {
			step(func() (e error) { blk.QNorm, e = b.headNorm(AttnQNorm, i, c.NHeads); return })
			step(func() (e error) { blk.KNorm, e = b.headNorm(AttnKNorm, i, c.NKVHeads); return })
		}
		step(func() (e error) { blk.WO, e = b.mat(AttnOut, i, D, Q, true); return })
		step(func() (e error) { blk.BO, e = b.vec(AttnOut, i, ".bias", D); return })
		step(func() error { return b.mlp(blk, i) })
		step(func() (e error) { blk.Down, e = b.mat(FFNDown, i, D, H, true); return })
		step(func() (e error) { blk.BDown, e = b.vec(FFNDown, i, ".bias", D); return })
		if err != nil {
			return nil, err
		}
		if blk.BQ != nil {
			c.QKVBias = true
		}
		m.Blocks = append(m.Blocks, blk)
	}
	m.Config = *c
	return m, nil
}

// attention binds q, k, v: separate, or one fused [Q;K;V] matrix whose
// row ranges become three views.
func (b *binder) attention(blk *Block, i, Q, KV int) error {
	D := b.c.Dim
	var err error
	if b.has(AttnQKV, i) {
		qkv, err := b.mat(AttnQKV, i, Q+2*KV, D, true)
		if err != nil {
			return err
		}
		blk.WQ, blk.WK, blk.WV = qkv.rows(0, Q), qkv.rows(Q, Q+KV), qkv.rows(Q+KV, Q+2*KV)
		bias, err := b.vec(AttnQKV, i, ".bias", Q+2*KV)
		if err != nil {
			return err
		}
		if bias != nil {
			blk.BQ, blk.BK, blk.BV = bias[:Q], bias[Q:Q+KV], bias[Q+KV:]
		}
		return nil
	}
	if blk.WQ, err = b.mat(AttnQ, i, Q, D, true); err != nil {
		return err
	}
	if blk.WK, err = b.mat(AttnK, i, KV, D, true); err != nil {
		return err
	}
	if blk.WV, err = b.mat(AttnV, i, KV, D, true); err != nil {
		return err
	}
	if blk.BQ, err = b.vec(AttnQ, i, ".bias", Q); err != nil {
		return err
	}
	if blk.BK, err = b.vec(AttnK, i, ".bias", KV); err != nil {
		return err
	}
	blk.BV, err = b.vec(AttnV, i, ".bias", KV)
	return err
}

// mlp binds the up (and gate) projections: a gated MLP without a gate
// tensor has them fused, [gate; up] (Phi-3).
func (b *binder) mlp(blk *Block, i int) error {
	D, H := b.c.Dim, b.c.HiddenDim
	var err error
	if b.c.MLP == GELU {
		if blk.Up, err = b.mat(FFNUp, i, H, D, true); err != nil {
			return err
		}
		blk.BUp, err = b.vec(FFNUp, i, ".bias", H)
		return err
	}
	if !b.has(FFNGate, i) && b.has(FFNGateUp, i) {
		gu, err := b.mat(FFNGateUp, i, 2*H, D, true)
		if err != nil {
			return err
		}
		blk.Gate, blk.Up = gu.rows(0, H), gu.rows(H, 2*H)
		return nil
	}
	if blk.Gate, err = b.mat(FFNGate, i, H, D, true); err != nil {
		return err
	}
	if blk.Up, err = b.mat(FFNUp, i, H, D, true); err != nil {
		return err
	}
	blk.BUp, err = b.vec(FFNUp, i, ".bias", H)
	return err
}

// ropeFactors reads rope_freqs (Llama 3.1) or the LongRoPE short and long
// factors (RoPE.ForContext picks one set per session).
func (b *binder) ropeFactors() error {
	r := &b.c.RoPE
	n := r.Dim / 2
	f, err := b.vec(RopeFreqs, 0, ".weight", n)
	if err != nil {
		return err
	}
	if f != nil {
		r.FreqFactors = f
		return nil
	}
	short, err := b.vec(RopeFactorsShort, 0, ".weight", n)
	if err != nil {
		return err
	}
	long, err := b.vec(RopeFactorsLong, 0, ".weight", n)
	if err != nil {
		return err
	}
	switch {
	case short != nil && long != nil:
		r.FreqFactors, r.LongFactors = short, long
		r.ScalingType = "longrope"
	case short != nil || long != nil:
		return fmt.Errorf("%s: LongRoPE needs both %s.weight and %s.weight", b.file, b.name(RopeFactorsShort, 0), b.name(RopeFactorsLong, 0))
	case r.ScalingType == "longrope":
		return fmt.Errorf("%s: RoPE scaling longrope without %s.weight", b.file, b.name(RopeFactorsLong, 0))
	}
	return nil
}
