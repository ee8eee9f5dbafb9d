package spec

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

// The layer kinds. A trainer checkpoint's config.json names one of each
// (llmparts_norm, llmparts_pos, llmparts_mlp); GeGLU occurs only in
// families loaded from GGUF and Hugging Face folders.
const (
	RMSNorm   NormKind = "rmsnorm"   // y = x/√(mean(x²)+ε)·w
	PRMSNorm  NormKind = "prmsnorm"  // RMS over the first k = max(1, ⌊p·n⌋) elements only
	LayerNorm NormKind = "layernorm" // y = (x−μ)/√(σ²+ε)·w (+ b)

	PosRoPE       PosKind = "rope"       // rotate q and k
	PosSinusoidal PosKind = "sinusoidal" // add sin/cos table to the embedding
	PosLearned    PosKind = "learned"    // add a learned row per position
	PosALiBi      PosKind = "alibi"      // add −slope_h·(i−j) to the attention scores
	PosNone       PosKind = "none"       // no position information (causal mask only)

	SwiGLU MLPKind = "swiglu" // down(silu(gate·x) ⊙ up·x)
	GeGLU  MLPKind = "geglu"  // down(gelu(gate·x) ⊙ up·x)
	GELU   MLPKind = "gelu"   // down(gelu(up·x + b_up)) + b_down
)

// Defaults of a config.json that leaves the key out.
const (
	DefaultNormEps   = 1e-5  // rms_norm_eps
	DefaultRopeTheta = 10000 // rope_theta
)

// Config is config.json of a trainer checkpoint: the Hugging Face Llama
// fields plus llmparts_* fields saying which norm, positions and MLP were
// trained. train writes it (train.Config.ToHF) and reads it back for
// resuming; model reads it to run the checkpoint. Checkpoints written
// before a key existed leave it out: Check gives it its default.
type Config struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"` // absent: NumAttentionHeads
	HeadDim               int      `json:"head_dim,omitempty"`  // absent: HiddenSize/NumAttentionHeads
	VocabSize             int      `json:"vocab_size"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RMSNormEps            *float64 `json:"rms_norm_eps"` // absent: DefaultNormEps
	RopeTheta             *float64 `json:"rope_theta"`   // absent: DefaultRopeTheta
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	HiddenAct             string   `json:"hidden_act"`                     // "silu" or "gelu_pytorch_tanh" (informative)
	TorchDtype            string   `json:"torch_dtype"`                    // "float32"
	Norm                  NormKind `json:"llmparts_norm"`                  // absent: RMSNorm
	NormP                 float64  `json:"llmparts_norm_p"`                // pRMSNorm's fraction p
	Pos                   PosKind  `json:"llmparts_pos"`                   // absent: PosRoPE
	MLP                   MLPKind  `json:"llmparts_mlp"`                   // absent: SwiGLU
	RopeLayout            string   `json:"llmparts_rope_layout"`           // "neox" (half-split) or "normal" (interleaved); absent: neox
	EmbedScale            float64  `json:"llmparts_embed_scale,omitempty"` // x₀ = s·E[tok] (+ PE[t]); absent: 1
}

// Check returns c with every absent key set to its default, or the first
// value no executor can use; file (the config.json path) is named in
// errors. Sizes are checked by each executor against its own limits.
func (c Config) Check(file string) (Config, error) {
	if c.RMSNormEps == nil {
		eps := DefaultNormEps
		c.RMSNormEps = &eps
	}
	if eps := *c.RMSNormEps; !(eps > 0) || math.IsInf(eps, 0) {
		return c, fmt.Errorf("%s: rms_norm_eps %v must be a finite number > 0", file, eps)
	}
	if c.RopeTheta == nil {
		th := float64(DefaultRopeTheta)
		c.RopeTheta = &th
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if c.HeadDim == 0 && c.NumAttentionHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.Norm == "" {
		c.Norm = RMSNorm
	}
	if c.Pos == "" {
		c.Pos = PosRoPE
	}
	if c.MLP == "" {
		c.MLP = SwiGLU
	}
	if c.RopeLayout == "" {
		c.RopeLayout = "neox"
	}
	if c.MaxPositionEmbeddings < 0 {
		return c, fmt.Errorf("%s: max_position_embeddings %d is negative", file, c.MaxPositionEmbeddings)
	}
	switch c.Norm {
	case RMSNorm, PRMSNorm, LayerNorm:
	default:
		return c, fmt.Errorf("%s: unknown llmparts_norm %q (want rmsnorm, prmsnorm or layernorm)", file, c.Norm)
	}
	switch c.Pos {
	case PosRoPE, PosSinusoidal, PosLearned, PosALiBi, PosNone:
	default:
		return c, fmt.Errorf("%s: unknown llmparts_pos %q (want rope, sinusoidal, learned, alibi or none)", file, c.Pos)
	}
	if c.MLP != SwiGLU && c.MLP != GELU {
		return c, fmt.Errorf("%s: unknown llmparts_mlp %q (want swiglu or gelu)", file, c.MLP)
	}
	if c.RopeLayout != "neox" && c.RopeLayout != "normal" {
		return c, fmt.Errorf("%s: unknown llmparts_rope_layout %q (want neox or normal)", file, c.RopeLayout)
	}
	if s := c.EmbedScale; s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return c, fmt.Errorf("%s: llmparts_embed_scale %v must be finite and ≥ 0", file, s)
	}
	return c, nil
}
