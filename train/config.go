package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/llmparts/llmparts/model/spec"
)

// Norm, position and MLP kinds accepted in Config: the values of spec's
// kinds (the description train shares with model), as plain strings.
const (
	NormRMS   = string(spec.RMSNorm)
	NormPRMS  = string(spec.PRMSNorm)
	NormLayer = string(spec.LayerNorm)

	PosRoPE       = string(spec.PosRoPE)
	PosSinusoidal = string(spec.PosSinusoidal)
	PosLearned    = string(spec.PosLearned)
	PosNone       = string(spec.PosNone)
	PosALiBi      = string(spec.PosALiBi) // linear biases on the attention scores (Press et al. 2022), max bias 8

	MLPSwiGLU = string(spec.SwiGLU)
	MLPGELU   = string(spec.GELU)
)

// Config is the shape of a model.
type Config struct {
	Vocab     int     // vocabulary size V
	Dim       int     // model width D
	Layers    int     // number of transformer blocks L
	Heads     int     // query heads H (D must be a multiple of H)
	KVHeads   int     // key/value heads (H must be a multiple of it)
	Hidden    int     // MLP hidden width F
	Ctx       int     // context length T (also max_position_embeddings)
	Norm      string  // NormRMS, NormPRMS or NormLayer
	NormP     float64 // pRMSNorm's fraction p in (0, 1): the RMS uses the first max(1, ⌊p·D⌋) elements
	Eps       float64 // norm epsilon
	Pos       string  // PosRoPE, PosSinusoidal, PosLearned, PosALiBi or PosNone
	RopeTheta float64 // RoPE base θ
	MLP       string  // MLPSwiGLU or MLPGELU
	Tied      bool    // LM head shares the embedding matrix
	// EmbedScale multiplies the token embeddings entering the first block,
	// x₀ = EmbedScale·E[tok] (+ P[t]); 0 means 1. Options.Config sets √Dim
	// for sinusoidal positions (as "Attention is all you need" does) and 1
	// otherwise. Saved as llmparts_embed_scale in config.json.
	EmbedScale float64
}

// embedScale returns the effective EmbedScale (0 means 1).
func (c *Config) embedScale() float64 {
	if c.EmbedScale == 0 {
		return 1
	}
	return c.EmbedScale
}

// HeadDim returns D/H.
func (c *Config) HeadDim() int { return c.Dim / c.Heads }

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("train: invalid configuration")

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrConfig}, a...)...) }
	switch {
	case c.Vocab < 2:
		return bad("vocab %d < 2", c.Vocab)
	case c.Dim < 2 || c.Layers < 1 || c.Heads < 1 || c.Hidden < 1 || c.Ctx < 1:
		return bad("dim %d, layers %d, heads %d, hidden %d, ctx %d must all be positive", c.Dim, c.Layers, c.Heads, c.Hidden, c.Ctx)
	case max(c.Vocab, c.Dim, c.Layers, c.Heads, c.KVHeads, c.Hidden, c.Ctx) > maxDimension:
		return bad("vocab %d, dim %d, layers %d, heads %d, kv-heads %d, hidden %d, ctx %d: each must be ≤ %d",
			c.Vocab, c.Dim, c.Layers, c.Heads, c.KVHeads, c.Hidden, c.Ctx, maxDimension)
	case c.Dim%c.Heads != 0:
		return bad("dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.KVHeads < 1 || c.Heads%c.KVHeads != 0:
		return bad("heads %d is not a multiple of kv-heads %d", c.Heads, c.KVHeads)
	case c.Pos == PosRoPE && c.HeadDim()%2 != 0:
		return bad("RoPE needs an even head dimension, got %d", c.HeadDim())
	case c.Pos == PosSinusoidal && c.Dim%2 != 0:
		return bad("sinusoidal positions need an even dim, got %d", c.Dim)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return bad("eps %v must be positive", c.Eps)
	case c.EmbedScale < 0 || math.IsNaN(c.EmbedScale) || math.IsInf(c.EmbedScale, 0):
		return bad("embed scale %v must be finite and ≥ 0", c.EmbedScale)
	}
	switch c.Norm {
	case NormRMS, NormLayer:
	case NormPRMS:
		if !(c.NormP > 0 && c.NormP < 1) {
			return bad("pRMSNorm p = %v must be in (0, 1) (p = 1 is rmsnorm)", c.NormP)
		}
	default:
		return bad("norm %q (want rmsnorm, prmsnorm or layernorm)", c.Norm)
	}
	switch c.Pos {
	case PosRoPE:
		if !(c.RopeTheta > 1) {
			return bad("rope theta %v must be > 1", c.RopeTheta)
		}
	case PosSinusoidal, PosLearned, PosNone, PosALiBi:
	default:
		return bad("pos %q (want rope, sinusoidal, learned, alibi or none)", c.Pos)
	}
	if c.MLP != MLPSwiGLU && c.MLP != MLPGELU {
		return bad("mlp %q (want swiglu or gelu)", c.MLP)
	}
	if _, ok := c.ParamCount(); !ok {
		return bad("dim %d, hidden %d, layers %d, vocab %d: the parameter count overflows 64 bits", c.Dim, c.Hidden, c.Layers, c.Vocab)
	}
	return nil
}

// ParamTensor is one named parameter tensor inside the flat parameter
// vector: Data = params[Offset : Offset+Size].
type ParamTensor struct {
	Name   string // Hugging Face Llama name, e.g. "model.layers.0.self_attn.q_proj.weight"
	Shape  []int
	Offset int
	Size   int
	Decay  bool // AdamW applies weight decay (matrices only)
	Init   string
}

// weightName and biasName are the names of a role's tensors in layer l
// (spec.TrainerName: the Hugging Face Llama names).
func weightName(r spec.Role, l int) string { return spec.TrainerName(r, l) + ".weight" }
func biasName(r spec.Role, l int) string   { return spec.TrainerName(r, l) + ".bias" }

// layout lists the parameter tensors of c in a fixed order.
func (c *Config) layout() []ParamTensor {
	var ps []ParamTensor
	off := 0
	add := func(name string, decay bool, init string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		ps = append(ps, ParamTensor{Name: name, Shape: shape, Offset: off, Size: n, Decay: decay, Init: init})
		off += n
	}
	D, F, kvd := c.Dim, c.Hidden, c.KVHeads*c.HeadDim()
	add(weightName(spec.TokenEmbd, 0), false, "normal", c.Vocab, D)
	if c.Pos == PosLearned {
		add(weightName(spec.PosEmbd, 0), false, "normal", c.Ctx, D)
	}
	normParams := func(r spec.Role, l int) {
		add(weightName(r, l), false, "one", D)
		if c.Norm == NormLayer {
			add(biasName(r, l), false, "zero", D)
		}
	}
	for l := 0; l < c.Layers; l++ {
		normParams(spec.AttnNorm, l)
		add(weightName(spec.AttnQ, l), true, "normal", D, D)
		add(weightName(spec.AttnK, l), true, "normal", kvd, D)
		add(weightName(spec.AttnV, l), true, "normal", kvd, D)
		add(weightName(spec.AttnOut, l), true, "proj", D, D)
		normParams(spec.FFNNorm, l)
		if c.MLP == MLPSwiGLU {
			add(weightName(spec.FFNGate, l), true, "normal", F, D)
		}
		add(weightName(spec.FFNUp, l), true, "normal", F, D)
		add(weightName(spec.FFNDown, l), true, "proj", D, F)
	}
	normParams(spec.OutputNorm, 0)
	if !c.Tied {
		add(weightName(spec.Output, 0), true, "normal", c.Vocab, D)
	}
	return ps
}

// NumParams returns the number of trainable parameters.
func (c *Config) NumParams() int {
	n := 0
	for _, p := range c.layout() {
		n += p.Size
	}
	return n
}
