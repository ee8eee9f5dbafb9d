package model

import (
	"fmt"
	"math"
	"strings"
)

// Description is a model's architecture in words: one line each for its
// norm, positions, MLP and the extras of its family (for `llmparts info`).
type Description struct {
	Family    string // GGUF architecture and the family's one-line summary
	Norm      string // kind, placement, epsilon
	Positions string
	MLP       string
	Extras    []string
}

// Describe returns the model's architecture in words.
func (m *Model) Describe() Description {
	c := &m.Config
	var d Description
	d.Family = c.Arch
	switch {
	case m.Info.Format == "checkpoint":
		d.Family += "-style trainer checkpoint: norm, positions and MLP as its config.json says"
	case m.Family != nil:
		d.Family += ": " + m.Family.Summary
	}
	// Norm kind and where the blocks put it (from the norms present).
	kind := map[NormKind]string{RMSNorm: "RMSNorm", PRMSNorm: fmt.Sprintf("pRMSNorm p=%g", c.NormP), LayerNorm: "LayerNorm"}[c.Norm]
	if c.NormWeightOffset != 0 {
		kind += fmt.Sprintf(" (weights %g+w)", c.NormWeightOffset)
	}
	if len(m.Blocks) > 0 {
		b := m.Blocks[0]
		if b.AttnNorm.Layer != nil {
			if _, bias := b.AttnNorm.params(); bias[0] != nil {
				kind += " with bias"
			}
		}
		var where []string
		if b.AttnNorm.Present() || b.FFNNorm.Present() {
			where = append(where, "before attention and MLP")
		}
		if b.AttnPostNorm.Present() || b.FFNPostNorm.Present() {
			where = append(where, "after attention and MLP")
		}
		if m.EmbedNorm.Present() {
			where = append(where, "on the embeddings")
		}
		kind += ", " + strings.Join(where, ", ")
	}
	d.Norm = fmt.Sprintf("%s; eps %g", kind, float32(c.NormEps))
	switch c.Pos {
	case PosRoPE:
		r := c.RoPE
		layout := "interleaved pairs (normal)"
		if r.Neox {
			layout = "half-split pairs (neox)"
		}
		d.Positions = fmt.Sprintf("RoPE, base %g, %d of %d dims, %s", r.Base, r.Dim, c.HeadDim, layout)
		switch {
		case r.LongFactors != nil:
			d.Positions += fmt.Sprintf(", LongRoPE factors (long beyond %d positions)", r.OriginalContext)
		case r.FreqFactors != nil:
			d.Positions += fmt.Sprintf(", %d frequency factors (rope_freqs)", len(r.FreqFactors))
		}
		if r.ScalingType == "linear" || r.ScalingType == "yarn" {
			d.Positions += fmt.Sprintf(", %s scaling factor %g", r.ScalingType, r.Factor)
		}
		if r.AttnFactor != 0 && r.AttnFactor != 1 {
			d.Positions += fmt.Sprintf(", attention factor %g", float32(r.AttnFactor))
		}
	case PosLearned:
		d.Positions = fmt.Sprintf("learned absolute, %d positions", m.PosEmbed.Rows)
	case PosSinusoidal:
		d.Positions = "sinusoidal absolute (base 10000)"
	case PosALiBi:
		d.Positions = fmt.Sprintf("ALiBi, max bias %g", c.ALiBiMaxBias)
	default:
		d.Positions = "none (causal mask only)"
	}
	d.MLP = map[MLPKind]string{SwiGLU: "SwiGLU down(silu(gate)⊙up)", GeGLU: "GeGLU down(gelu(gate)⊙up)", GELU: "GELU down(gelu(up))"}[c.MLP]
	d.MLP += fmt.Sprintf(", hidden %d", c.HiddenDim)
	if len(m.Blocks) > 0 && m.Blocks[0].BUp != nil {
		d.MLP += ", biases"
	}
	x := func(f string, a ...any) { d.Extras = append(d.Extras, fmt.Sprintf(f, a...)) }
	if c.Parallel {
		if len(m.Blocks) > 0 && !m.Blocks[0].FFNNorm.Present() {
			x("parallel attention and MLP from one norm: x + attn(n(x)) + mlp(n(x))")
		} else {
			x("parallel residual: x + attn(n₁(x)) + mlp(n₂(x))")
		}
	}
	if len(m.Blocks) > 0 {
		b := m.Blocks[0]
		if b.QNorm.Present() {
			x("q/k norm (%s)", map[QKNormKind]string{QKNormWhole: "whole vector", QKNormPerHead: "per head"}[c.QKNorm])
		}
		var bs []string
		for _, v := range []struct {
			n string
			b []float32
		}{{"q", b.BQ}, {"k", b.BK}, {"v", b.BV}, {"o", b.BO}} {
			if v.b != nil {
				bs = append(bs, v.n)
			}
		}
		if bs != nil {
			x("attention biases: %s", strings.Join(bs, ", "))
		}
	}
	if c.NHeads != c.NKVHeads {
		x("grouped-query attention: %d query heads share %d key/value heads", c.NHeads, c.NKVHeads)
	}
	if c.EmbedScale != 0 && c.EmbedScale != 1 {
		x("embeddings scaled by %g", float32(c.EmbedScale))
	}
	if s := c.attnScale(); s != float32(1/math.Sqrt(float64(c.HeadDim))) {
		x("attention scale %g", s)
	}
	if c.AttnSoftcap > 0 {
		x("attention soft-cap %g", c.AttnSoftcap)
	}
	if c.FinalSoftcap > 0 {
		x("final logit soft-cap %g", c.FinalSoftcap)
	}
	if c.SlidingWindow > 0 {
		x("sliding window %d on %s layers", c.SlidingWindow, c.SlidingLayers)
	}
	if m.OutputBias != nil {
		x("LM head bias")
	}
	return d
}
