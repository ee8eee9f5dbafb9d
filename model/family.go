package model

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Role names one kind of weight of a decoder. Its GGUF name is the same in
// every family (llama.cpp's tensor names); its Hugging Face name is the
// family's (Family.HF).
type Role int

// The weights a family may have. Per-layer roles have "{i}" in their names.
const (
	TokenEmbd        Role = iota // [vocab][dim]
	PosEmbd                      // learned positions [ctx][dim]
	TokenEmbdNorm                // norm of the embeddings (BLOOM)
	OutputNorm                   // final norm
	Output                       // LM head [vocab][dim] (absent: tied to TokenEmbd)
	RopeFreqs                    // Llama 3.1 frequency factors [rot/2]
	RopeFactorsLong              // LongRoPE factors (Phi-3) [rot/2]
	RopeFactorsShort             // LongRoPE factors [rot/2]
	AttnNorm                     // pre-attention norm
	AttnQ                        // [heads·hd][dim]
	AttnK                        // [kv·hd][dim]
	AttnV                        // [kv·hd][dim]
	AttnQKV                      // fused [Q;K;V] rows
	AttnOut                      // [dim][heads·hd]
	AttnQNorm                    // q norm (whole vector or per head)
	AttnKNorm                    // k norm
	AttnPostNorm                 // norm of the attention output (Gemma 2, OLMo 2)
	FFNNorm                      // pre-MLP norm
	FFNGate                      // [hidden][dim]
	FFNUp                        // [hidden][dim]
	FFNGateUp                    // fused [gate;up] rows (Phi-3)
	FFNDown                      // [dim][hidden]
	FFNPostNorm                  // norm of the MLP output (Gemma 2, OLMo 2)
	numRoles
)

// ggufNames are llama.cpp's tensor names, shared by every architecture;
// ".weight" or ".bias" is appended.
var ggufNames = [numRoles]string{
	TokenEmbd: "token_embd", PosEmbd: "position_embd", TokenEmbdNorm: "token_embd_norm",
	OutputNorm: "output_norm", Output: "output", RopeFreqs: "rope_freqs",
	RopeFactorsLong: "rope_factors_long", RopeFactorsShort: "rope_factors_short",
	AttnNorm: "blk.{i}.attn_norm", AttnQ: "blk.{i}.attn_q", AttnK: "blk.{i}.attn_k", AttnV: "blk.{i}.attn_v",
	AttnQKV: "blk.{i}.attn_qkv", AttnOut: "blk.{i}.attn_output", AttnQNorm: "blk.{i}.attn_q_norm",
	AttnKNorm: "blk.{i}.attn_k_norm", AttnPostNorm: "blk.{i}.post_attention_norm",
	FFNNorm: "blk.{i}.ffn_norm", FFNGate: "blk.{i}.ffn_gate", FFNUp: "blk.{i}.ffn_up",
	FFNGateUp: "blk.{i}.ffn_up", FFNDown: "blk.{i}.ffn_down", FFNPostNorm: "blk.{i}.post_ffw_norm",
}

// GGUFName returns the GGUF name of a role's weight in layer i (without
// ".weight"/".bias").
func (r Role) GGUFName(i int) string { return layerName(ggufNames[r], i) }

func layerName(pattern string, i int) string {
	return strings.ReplaceAll(pattern, "{i}", fmt.Sprint(i))
}

// Residual says how a block adds its attention and MLP to the residual
// stream.
type Residual string

// Residual layouts.
const (
	// Sequential: x += post(attn(pre(x))); x += post(mlp(pre(x))), each
	// norm optional (Llama: pre only; OLMo 2: post only; Gemma 2: both).
	Sequential Residual = "sequential"
	// Parallel: x += attn(n₁(x)) + mlp(n₂(x)) (GPT-NeoX); with one norm
	// (Phi-2) both branches read n₁(x).
	Parallel Residual = "parallel"
)

// HFLayout lists how a Hugging Face checkpoint's tensors differ from the
// GGUF layout the runtime uses, for a loader of Hugging Face folders.
type HFLayout struct {
	// Transposed roles are stored [in][out] (GPT-2's Conv1D).
	Transposed []Role
	// QKVPerHead: the fused qkv rows are grouped per head [q_h;k_h;v_h]
	// (BLOOM, GPT-NeoX) where GGUF has [Q;K;V].
	QKVPerHead bool
	// NormWeightOffset is added to every norm weight (Gemma stores w, the
	// layer multiplies by 1+w; GGUF stores 1+w).
	NormWeightOffset float32
	// QKPermuted: q and k rows are in half-split order, so a family whose
	// GGUF uses interleaved RoPE (llama) must run the half-split layout
	// (or permute the rows back, as llama.cpp's converter does).
	QKPermuted bool
}

// Family describes an architecture as data: how its GGUF metadata maps
// onto a Config, the names of its tensors in GGUF and Hugging Face
// checkpoints, and its variations. The runtime has no per-family code
// path; adding a family is one arch_*.go file that registers a Family.
type Family struct {
	// Arch is the GGUF general.architecture, as llama.cpp spells it.
	Arch string
	// HFModelTypes are the Hugging Face config.json model_type values.
	HFModelTypes []string
	// Summary describes the family in one line for `llmparts info`.
	Summary string

	Norm     NormKind // RMSNorm or LayerNorm
	Pos      PosKind  // PosRoPE, PosLearned, PosALiBi or PosNone
	Neox     bool     // RoPE in the half-split layout
	MLP      MLPKind
	Residual Residual
	QKNorm   QKNormKind
	// EmbedScaleSqrtDim multiplies the embeddings by √dim (Gemma).
	EmbedScaleSqrtDim bool
	// SlidingLayers is the sliding-window pattern when the window is set
	// (metadata attention.sliding_window, else DefaultSlidingWindow).
	SlidingLayers        SlidingLayers
	DefaultSlidingWindow int
	// Softcaps: attention and final logit soft-capping defaults (the
	// metadata keys attn_logit_softcapping / final_logit_softcapping win).
	AttnSoftcap, FinalSoftcap float64
	// ALiBiMaxBias is the ALiBi maximum bias (BLOOM: 8, hard-coded by
	// llama.cpp).
	ALiBiMaxBias float64
	// QScale returns the factor applied to q·k (nil: 1/√head_dim).
	QScale func(c *Config) float64
	// Configure adjusts the config from family-specific metadata (nil:
	// nothing); has reports whether a GGUF tensor is present.
	Configure func(c *Config, meta Meta, has func(string) bool) error

	// Required roles must be present; the others are bound when present
	// (biases always optional).
	Required []Role
	// HF names each role's Hugging Face tensor ("{i}" = layer), without
	// ".weight"/".bias"; HFLayout says how those tensors are laid out.
	HF       map[Role]string
	HFLayout HFLayout
}

// Meta reads an architecture's metadata (GGUF keys without the "ARCH."
// prefix). A missing key gives the default (def < 0: required); a
// present key of the wrong type or out of range is an error.
type Meta interface {
	Has(key string) bool
	Int(key string, def int) (int, error)   // 1 ≤ v ≤ 2²⁴
	Count(key string, def int) (int, error) // 0 ≤ v ≤ 2²⁴
	Float(key string, def float64) (float64, error)
	Bool(key string, def bool) (bool, error)
	String(key string) (v string, present bool, err error)
}

var families = map[string]*Family{}

// register adds a family (called from the arch_*.go files).
func register(f *Family) {
	if _, dup := families[f.Arch]; dup {
		panic("model: family " + f.Arch + " registered twice")
	}
	families[f.Arch] = f
}

// LookupFamily returns the family of a GGUF architecture name.
func LookupFamily(arch string) (*Family, bool) {
	f, ok := families[arch]
	return f, ok
}

// FamilyForHF returns the family whose HFModelTypes include modelType.
func FamilyForHF(modelType string) (*Family, bool) {
	for _, f := range families {
		for _, t := range f.HFModelTypes {
			if t == modelType {
				return f, true
			}
		}
	}
	return nil, false
}

// Families returns the GGUF architecture names the runtime runs, sorted.
func Families() []string {
	var out []string
	for a := range families {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// HFName returns the Hugging Face name of a role in layer i ("" if the
// family has none).
func (f *Family) HFName(r Role, i int) string {
	p, ok := f.HF[r]
	if !ok {
		return ""
	}
	return layerName(p, i)
}

// qScale is the default attention scale 1/√head_dim.
func (f *Family) qScale(c *Config) float64 {
	if f.QScale != nil {
		return f.QScale(c)
	}
	return 1 / math.Sqrt(float64(c.HeadDim))
}

// hfLlamaNames are the Hugging Face names of Llama-style checkpoints
// (LlamaForCausalLM and the many families that copied it).
func hfLlamaNames() map[Role]string {
	return map[Role]string{
		TokenEmbd: "model.embed_tokens", OutputNorm: "model.norm", Output: "lm_head",
		AttnNorm: "model.layers.{i}.input_layernorm", AttnQ: "model.layers.{i}.self_attn.q_proj",
		AttnK: "model.layers.{i}.self_attn.k_proj", AttnV: "model.layers.{i}.self_attn.v_proj",
		AttnOut: "model.layers.{i}.self_attn.o_proj", FFNNorm: "model.layers.{i}.post_attention_layernorm",
		FFNGate: "model.layers.{i}.mlp.gate_proj", FFNUp: "model.layers.{i}.mlp.up_proj",
		FFNDown: "model.layers.{i}.mlp.down_proj",
	}
}

// with returns a copy of m with the given entries changed ("" deletes).
func with(m map[Role]string, kv ...any) map[Role]string {
	out := map[Role]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r, s := kv[i].(Role), kv[i+1].(string)
		if s == "" {
			delete(out, r)
		} else {
			out[r] = s
		}
	}
	return out
}
