package model

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/posenc"
)

// NormKind selects the normalisation layer.
type NormKind string

// PosKind selects how positions enter the model.
type PosKind string

// MLPKind selects the feed-forward block.
type MLPKind string

// Supported layer kinds.
const (
	RMSNorm   NormKind = "rmsnorm"   // y = x/√(mean(x²)+ε)·w
	PRMSNorm  NormKind = "prmsnorm"  // RMS over the first k = max(1, ⌊p·n⌋) elements only
	LayerNorm NormKind = "layernorm" // y = (x−μ)/√(σ²+ε)·w + b

	PosRoPE       PosKind = "rope"       // rotate q and k
	PosSinusoidal PosKind = "sinusoidal" // add sin/cos table to the embedding
	PosLearned    PosKind = "learned"    // add a learned row per position
	PosNone       PosKind = "none"       // no position information (causal mask only)

	SwiGLU MLPKind = "swiglu" // down(silu(gate·x) ⊙ up·x)
	GELU   MLPKind = "gelu"   // down(gelu(up·x))
)

// RoPE describes rotary position embedding, with ggml's rope_ext
// semantics (computed by the posenc package). For pair i of a head
// (i < Dim/2) and position p the angle is p·θ_i with
//
//	θ_i = Base^(−2i/Dim) / FreqFactors[i]      (factor 1 when nil)
//
// divided by Factor for linear scaling; YaRN blends that interpolated
// angle with the unscaled one per pair (ExtFactor, BetaFast/BetaSlow,
// OriginalContext) and multiplies cos and sin by AttnFactor·(1+0.1·ln Factor).
// Neox selects the half-split layout (x[i], x[i+Dim/2]); otherwise pairs
// are interleaved (x[2i], x[2i+1]) as in Meta's and llama.cpp's "normal"
// layout.
type RoPE struct {
	Base        float64
	Dim         int // rotated dimensions per head (≤ head size)
	Neox        bool
	ScalingType string  // "", "none", "linear" or "yarn"
	Factor      float64 // context scaling factor (linear, yarn)
	// YaRN parameters (zero values mean ggml's defaults: ext_factor 1,
	// attn_factor 1, beta_fast 32, beta_slow 1, original context = the
	// model's context length).
	ExtFactor, AttnFactor, BetaFast, BetaSlow float64
	OriginalContext                           int
	FreqFactors                               []float32
}

// Config holds a model's hyper-parameters.
type Config struct {
	Arch       string // "llama", "qwen2", ...
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
	Pos        PosKind
	MLP        MLPKind
	RoPE       RoPE
	Tied       bool // LM head shares the token embedding
	QKVBias    bool
	// EmbedScale multiplies the token embedding rows entering the first
	// block, x₀ = s·E[tok] (+ positions), not the tied LM head; 0 means 1.
	// The trainer sets √Dim with sinusoidal positions
	// (llmparts_embed_scale in config.json).
	EmbedScale float64
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
	if c.EmbedScale < 0 || math.IsNaN(c.EmbedScale) || math.IsInf(c.EmbedScale, 0) {
		return fmt.Errorf("%s: embedding scale %v must be finite and ≥ 0", file, c.EmbedScale)
	}
	if c.NHeads%c.NKVHeads != 0 {
		return fmt.Errorf("%s: %d heads is not a multiple of %d kv heads", file, c.NHeads, c.NKVHeads)
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
		if _, _, err := c.RoPE.freqs(max(c.ContextLen, 1)); err != nil {
			return fmt.Errorf("%s: RoPE: %v", file, err)
		}
	}
	if c.ContextLen <= 0 {
		c.ContextLen = 2048
	}
	if c.ContextLen > 1<<24 {
		return fmt.Errorf("%s: context length %d is out of range", file, c.ContextLen)
	}
	return nil
}

// check refuses RoPE values that would otherwise be replaced or run
// silently wrong: a base ≤ 0 or not finite, a scaling factor ≤ 0, and
// YaRN parameters that are negative or not finite (0 means the default).
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
	for i, f := range r.FreqFactors {
		if !(f > 0) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("RoPE frequency factor %d = %v must be a finite number > 0", i, f)
		}
	}
	return nil
}

// freqs returns θ_i for the RoPE pairs and the magnitude applied to cos
// and sin, from posenc's implementation of ggml_rope_ext.
func (r *RoPE) freqs(ctx int) ([]float64, float64, error) {
	layout := posenc.Interleaved
	if r.Neox {
		layout = posenc.HalfSplit
	}
	p := posenc.DefaultGGMLParams(r.Dim, layout)
	p.FreqBase = r.Base
	if r.Factor > 0 && (r.ScalingType == "linear" || r.ScalingType == "yarn") {
		p.FreqScale = 1 / r.Factor
	}
	if r.ScalingType == "yarn" {
		p.ExtFactor = or(r.ExtFactor, 1)
		p.AttnFactor = or(r.AttnFactor, 1)
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
	rp, err := p.RoPE(r.Dim)
	if err != nil {
		return nil, 0, err
	}
	return rp.InvFreq, rp.Magnitude(), nil
}

func or(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
