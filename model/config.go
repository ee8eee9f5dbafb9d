package model

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/posenc"
)

// NormKind, PosKind and MLPKind are the layer kinds of spec, the
// description model shares with train.
type (
	NormKind = spec.NormKind
	PosKind  = spec.PosKind
	MLPKind  = spec.MLPKind
)

// QKNormKind selects a normalisation of the projected queries and keys.
type QKNormKind string

// Supported layer kinds.
const (
	RMSNorm   = spec.RMSNorm
	PRMSNorm  = spec.PRMSNorm
	LayerNorm = spec.LayerNorm

	PosRoPE       = spec.PosRoPE
	PosSinusoidal = spec.PosSinusoidal
	PosLearned    = spec.PosLearned
	PosALiBi      = spec.PosALiBi
	PosNone       = spec.PosNone

	SwiGLU = spec.SwiGLU
	GeGLU  = spec.GeGLU
	GELU   = spec.GELU

	QKNormNone    QKNormKind = ""        // no q/k norm
	QKNormWhole   QKNormKind = "whole"   // RMSNorm over the whole projected q (and k) vector (OLMo 2)
	QKNormPerHead QKNormKind = "perhead" // the model's norm over each head (StableLM 2 12B)
)

// RoPE describes rotary position embedding, with ggml's rope_ext
// semantics (computed by the posenc package). For pair i of a head
// (i < Dim/2) and position p the angle is p·θ_i with
//
//	θ_i = Base^(−2i/Dim) / FreqFactors[i]      (factor 1 when nil)
//
// divided by Factor for linear scaling; YaRN blends that interpolated
// angle with the unscaled one per pair (ExtFactor, BetaFast/BetaSlow,
// OriginalContext) and multiplies cos and sin by 1+0.1·ln Factor; cos and
// sin are always multiplied by AttnFactor (0 means 1).
// Neox selects the half-split layout (x[i], x[i+Dim/2]); otherwise pairs
// are interleaved (x[2i], x[2i+1]) as in Meta's and llama.cpp's "normal"
// layout.
type RoPE struct {
	Base        float64
	Dim         int // rotated dimensions per head (≤ head size)
	Neox        bool
	ScalingType string  // "", "none", "linear", "yarn" or "longrope"
	Factor      float64 // context scaling factor (linear, yarn)
	// YaRN parameters (zero values mean ggml's defaults: ext_factor 1,
	// beta_fast 32, beta_slow 1, original context = the model's context
	// length).
	ExtFactor, AttnFactor, BetaFast, BetaSlow float64
	OriginalContext                           int
	// FreqFactors divide θ_i: Llama 3.1's rope_freqs, or LongRoPE's
	// short factors.
	FreqFactors []float32
	// LongFactors are LongRoPE's long factors (Phi-3): a session whose
	// context exceeds OriginalContext uses them instead of FreqFactors,
	// as llama.cpp does with its context size (for a session of at most
	// OriginalContext positions this is also Hugging Face's choice).
	LongFactors []float32
}

// ForContext returns the rotation a session of ctx positions uses: with
// LongRoPE factors, the long ones when ctx > OriginalContext.
func (r RoPE) ForContext(ctx int) RoPE {
	if r.LongFactors != nil && ctx > r.OriginalContext {
		r.FreqFactors = r.LongFactors
	}
	return r
}

// Config holds a model's hyper-parameters and the variations of its
// family (see Family), everything the forward pass needs to know.
type Config struct {
	Arch       string // "llama", "qwen2", "gemma2", ... (GGUF general.architecture)
	Dim        int    // embedding width
	HiddenDim  int    // MLP width
	NLayers    int
	NHeads     int
	NKVHeads   int
	HeadDim    int
	VocabSize  int
	ContextLen int // maximum positions the model was trained with
	NormEps    float64
	Norm       NormKind
	NormP      float64 // fraction of elements for PRMSNorm
	// NormWeightOffset is added to every norm weight: 1 for Gemma
	// checkpoints in Hugging Face layout, which store w where the layer
	// multiplies by 1+w (GGUF files store 1+w already).
	NormWeightOffset float32
	Pos              PosKind
	MLP              MLPKind
	RoPE             RoPE
	QKNorm           QKNormKind
	Tied             bool // LM head shares the token embedding
	QKVBias          bool // q, k, v projections have biases
	// Parallel computes attention and MLP from the same residual input,
	// x' = x + attn(n₁(x)) + mlp(n₂(x)) (n₂ = n₁ when the block has no
	// FFN norm), instead of one after the other.
	Parallel bool
	// EmbedScale multiplies the token embedding rows entering the first
	// block, x₀ = s·E[tok] (+ positions), not the tied LM head; 0 means 1.
	// Gemma uses √Dim; the trainer sets √Dim with sinusoidal positions
	// (llmparts_embed_scale in config.json).
	EmbedScale float64
	// AttnScale multiplies q·k before the softmax; 0 means 1/√HeadDim.
	AttnScale float64
	// AttnSoftcap and FinalSoftcap, when > 0, squash attention scores and
	// logits: s ← c·tanh(s/c) (Gemma 2).
	AttnSoftcap, FinalSoftcap float64
	// SlidingWindow, when > 0, lets a query at position i see only keys
	// j with i − j < SlidingWindow, on the layers SlidingLayers selects.
	SlidingWindow int
	SlidingLayers SlidingLayers
	// ALiBiMaxBias is the m of ALiBi's slopes 2^(−m·h/H) (8 for BLOOM).
	ALiBiMaxBias float64
}

// SlidingLayers says which layers use the sliding window.
type SlidingLayers string

// Sliding-window layer patterns.
const (
	SlidingAll  SlidingLayers = "all"  // every layer (Phi-3)
	SlidingEven SlidingLayers = "even" // layers 0, 2, 4, ... (Gemma 2)
)

// window returns the sliding window of layer l (0: none).
func (c *Config) window(l int) int {
	if c.SlidingWindow <= 0 || (c.SlidingLayers == SlidingEven && l%2 != 0) {
		return 0
	}
	return c.SlidingWindow
}

// attnScale returns the factor applied to q·k.
func (c *Config) attnScale() float32 {
	if c.AttnScale != 0 {
		return float32(c.AttnScale)
	}
	return 1 / float32(math.Sqrt(float64(c.HeadDim))) // 1.0f/sqrtf(hd), as llama.cpp
}

func (c *Config) validate(file string) error {
	for _, f := range []struct {
		n string
		v int
	}{{"dim", c.Dim}, {"hidden_dim", c.HiddenDim}, {"layers", c.NLayers}, {"heads", c.NHeads}, {"kv heads", c.NKVHeads}, {"head dim", c.HeadDim}, {"vocab", c.VocabSize}} {
		if f.v <= 0 || f.v > 1<<24 {
			return fmt.Errorf("%s: %s = %d is out of range", file, f.n, f.v)
		}
	}
	for _, f := range []struct {
		n string
		v float64
	}{{"embedding scale", c.EmbedScale}, {"attention scale", c.AttnScale}, {"attention soft-cap", c.AttnSoftcap}, {"final soft-cap", c.FinalSoftcap}, {"ALiBi max bias", c.ALiBiMaxBias}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%s: %s %v must be finite and ≥ 0", file, f.n, f.v)
		}
	}
	if c.SlidingWindow < 0 {
		return fmt.Errorf("%s: sliding window %d is negative", file, c.SlidingWindow)
	}
	if c.NHeads%c.NKVHeads != 0 {
		return fmt.Errorf("%s: %d heads is not a multiple of %d kv heads", file, c.NHeads, c.NKVHeads)
	}
	switch c.Norm {
	case RMSNorm, PRMSNorm, LayerNorm:
	default:
		return fmt.Errorf("%s: unknown norm %q", file, c.Norm)
	}
	switch c.MLP {
	case SwiGLU, GeGLU, GELU:
	default:
		return fmt.Errorf("%s: unknown MLP %q", file, c.MLP)
	}
	switch c.Pos {
	case PosRoPE, PosSinusoidal, PosLearned, PosALiBi, PosNone:
	default:
		return fmt.Errorf("%s: unknown position encoding %q", file, c.Pos)
	}
	if c.Pos == PosALiBi {
		if c.ALiBiMaxBias == 0 {
			c.ALiBiMaxBias = posenc.DefaultALiBiMaxBias
		}
		if _, err := posenc.NewALiBi(c.NHeads, c.ALiBiMaxBias); err != nil {
			return fmt.Errorf("%s: ALiBi: %v", file, err)
		}
	}
	if c.ContextLen <= 0 {
		c.ContextLen = 2048
	}
	if c.ContextLen > 1<<24 {
		return fmt.Errorf("%s: context length %d is out of range", file, c.ContextLen)
	}
	if !(c.NormEps > 0) || math.IsInf(c.NormEps, 0) {
		return fmt.Errorf("%s: norm epsilon %v must be a finite number > 0", file, c.NormEps)
	}
	if c.Norm == PRMSNorm && !(c.NormP > 0 && c.NormP < 1) {
		return fmt.Errorf("%s: pRMSNorm fraction p = %v must be in (0, 1) (p = 1 is plain RMSNorm)", file, c.NormP)
	}
	if c.Pos == PosRoPE {
		if c.RoPE.Dim <= 0 || c.RoPE.Dim > c.HeadDim || c.RoPE.Dim%2 != 0 {
			return fmt.Errorf("%s: RoPE dimension %d does not fit head size %d", file, c.RoPE.Dim, c.HeadDim)
		}
		if err := c.RoPE.check(); err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		if _, err := c.RoPE.posenc(c.HeadDim, c.ContextLen); err != nil {
			return fmt.Errorf("%s: RoPE: %v", file, err)
		}
	}
	return nil
}

func (r *RoPE) check() error {
	if !(r.Base > 0) || math.IsInf(r.Base, 0) {
		return fmt.Errorf("RoPE base (freq_base, rope_theta) %v must be a finite number > 0", r.Base)
	}
	if r.ScalingType == "linear" || r.ScalingType == "yarn" {
		if !(r.Factor > 0) || math.IsInf(r.Factor, 0) {
			return fmt.Errorf("RoPE %s scaling factor %v must be a finite number > 0", r.ScalingType, r.Factor)
		}
	}
	for _, v := range []struct {
		n string
		x float64
	}{{"ext_factor", r.ExtFactor}, {"attn_factor", r.AttnFactor}, {"yarn_beta_fast", r.BetaFast}, {"yarn_beta_slow", r.BetaSlow}} {
		if !(v.x >= 0) || math.IsInf(v.x, 0) {
			return fmt.Errorf("RoPE %s %v must be a finite number ≥ 0", v.n, v.x)
		}
	}
	if r.OriginalContext < 0 || r.OriginalContext > 1<<24 {
		return fmt.Errorf("RoPE original context length %d is out of range", r.OriginalContext)
	}
	for _, fs := range [][]float32{r.FreqFactors, r.LongFactors} {
		for i, f := range fs {
			if !(f > 0) || math.IsInf(float64(f), 0) {
				return fmt.Errorf("RoPE frequency factor %d = %v must be a finite number > 0", i, f)
			}
		}
	}
	return nil
}

// posenc returns the rotation ggml_rope_ext performs with these
// parameters (posenc computes it; ctx is the model's context, the default
// YaRN original context).
func (r *RoPE) posenc(headDim, ctx int) (*posenc.RoPE, error) {
	return r.ggml(ctx).RoPE(headDim)
}

// ggml returns the parameters of ggml_rope_ext for these settings (ctx
// as for posenc).
func (r *RoPE) ggml(ctx int) posenc.GGMLParams {
	layout := posenc.Interleaved
	if r.Neox {
		layout = posenc.HalfSplit
	}
	p := posenc.DefaultGGMLParams(r.Dim, layout)
	p.FreqBase = r.Base
	p.AttnFactor = or(r.AttnFactor, 1)
	if r.Factor > 0 && (r.ScalingType == "linear" || r.ScalingType == "yarn") {
		p.FreqScale = 1 / r.Factor
	}
	if r.ScalingType == "yarn" {
		p.ExtFactor = or(r.ExtFactor, 1)
		p.BetaFast = or(r.BetaFast, 32)
		p.BetaSlow = or(r.BetaSlow, 1)
		p.NCtxOrig = r.OriginalContext
		if p.NCtxOrig == 0 {
			p.NCtxOrig = ctx
		}
	}
	if r.FreqFactors != nil {
		p.FreqFactors = make([]float64, len(r.FreqFactors))
		for i, f := range r.FreqFactors {
			p.FreqFactors[i] = float64(f)
		}
	}
	return p
}

func or(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
