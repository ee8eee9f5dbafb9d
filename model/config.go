package model

import (
	"fmt"
	"math"
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

// RoPE describes rotary position embedding. For pair i of a head
// (i < Dim/2) and position p the angle is p·θ_i with
//
//	θ_i = Base^(−2i/Dim) / FreqFactors[i]
//
// (FreqFactors from Llama 3 scaling or a rope_freqs tensor; 1 when nil),
// further divided by Factor for linear scaling. Neox selects the
// half-split layout (x[i], x[i+Dim/2]); otherwise pairs are interleaved
// (x[2i], x[2i+1]) as in Meta's and llama.cpp's "normal" layout.
type RoPE struct {
	Base        float64
	Dim         int // rotated dimensions per head (≤ head size)
	Neox        bool
	ScalingType string // "", "none", "linear" or "llama3"
	Factor      float64
	// Llama 3 scaling parameters (used to build FreqFactors).
	LowFreqFactor, HighFreqFactor float64
	OriginalContext               int
	FreqFactors                   []float32
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
	if c.NHeads%c.NKVHeads != 0 {
		return fmt.Errorf("%s: %d heads is not a multiple of %d kv heads", file, c.NHeads, c.NKVHeads)
	}
	if c.Pos == PosRoPE {
		if c.RoPE.Dim <= 0 || c.RoPE.Dim > c.HeadDim || c.RoPE.Dim%2 != 0 {
			return fmt.Errorf("%s: RoPE dimension %d does not fit head size %d", file, c.RoPE.Dim, c.HeadDim)
		}
		if c.RoPE.Base <= 0 {
			c.RoPE.Base = 10000
		}
	}
	if c.ContextLen <= 0 {
		c.ContextLen = 2048
	}
	if c.NormEps <= 0 {
		c.NormEps = 1e-5
	}
	return nil
}

// ropeFreqs returns θ_i for the RoPE pairs, applying freq factors and
// scaling.
func (r *RoPE) freqs() []float64 {
	n := r.Dim / 2
	out := make([]float64, n)
	factors := r.FreqFactors
	if factors == nil && r.ScalingType == "llama3" && r.Factor > 0 {
		factors = llama3Factors(r, n)
	}
	for i := range out {
		th := math.Pow(r.Base, -2*float64(i)/float64(r.Dim))
		if factors != nil && i < len(factors) && factors[i] != 0 {
			th /= float64(factors[i])
		}
		if r.ScalingType == "linear" && r.Factor > 0 {
			th /= r.Factor
		}
		out[i] = th
	}
	return out
}

// llama3Factors computes Llama 3.1 frequency factors: long wavelengths are
// divided by Factor, short ones kept, and the band between interpolated.
func llama3Factors(r *RoPE, n int) []float32 {
	lo, hi := r.LowFreqFactor, r.HighFreqFactor
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		hi = 4
	}
	oc := float64(r.OriginalContext)
	if oc == 0 {
		oc = 8192
	}
	lowWave, highWave := oc/lo, oc/hi
	f := make([]float32, n)
	for i := range f {
		th := math.Pow(r.Base, -2*float64(i)/float64(r.Dim))
		wave := 2 * math.Pi / th
		switch {
		case wave < highWave:
			f[i] = 1
		case wave > lowWave:
			f[i] = float32(r.Factor)
		default:
			s := (oc/wave - lo) / (hi - lo)
			f[i] = float32(1 / ((1-s)/r.Factor + s))
		}
	}
	return f
}
