package model

import (
	"math"
	"sort"

	"github.com/llmparts/llmparts/model/spec"
)

// Role names one kind of weight of a decoder (spec.Role: the one table of
// tensor names, GGUF and the trainer's Hugging Face Llama names, shared
// with train and export). Its Hugging Face name in other families is the
// family's (Family.HF).
type Role = spec.Role

// The weights a family may have (see spec.Role).
const (
	TokenEmbd        = spec.TokenEmbd
	PosEmbd          = spec.PosEmbd
	TokenEmbdNorm    = spec.TokenEmbdNorm
	OutputNorm       = spec.OutputNorm
	Output           = spec.Output
	RopeFreqs        = spec.RopeFreqs
	RopeFactorsLong  = spec.RopeFactorsLong
	RopeFactorsShort = spec.RopeFactorsShort
	AttnNorm         = spec.AttnNorm
	AttnQ            = spec.AttnQ
	AttnK            = spec.AttnK
	AttnV            = spec.AttnV
	AttnQKV          = spec.AttnQKV
	AttnOut          = spec.AttnOut
	AttnQNorm        = spec.AttnQNorm
	AttnKNorm        = spec.AttnKNorm
	AttnPostNorm     = spec.AttnPostNorm
	FFNNorm          = spec.FFNNorm
	FFNGate          = spec.FFNGate
	FFNUp            = spec.FFNUp
	FFNGateUp        = spec.FFNGateUp
	FFNDown          = spec.FFNDown
	FFNPostNorm      = spec.FFNPostNorm
	numRoles         = spec.NumRoles
)

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
	return spec.LayerName(p, i)
}

// qScale is the default attention scale 1/√head_dim.
func (f *Family) qScale(c *Config) float64 {
	if f.QScale != nil {
		return f.QScale(c)
	}
	return 1 / math.Sqrt(float64(c.HeadDim))
}

// hfLlamaNames are the Hugging Face names of Llama-style checkpoints
// (LlamaForCausalLM and the many families that copied it), spec's table.
func hfLlamaNames() map[Role]string { return spec.HFLlamaNames() }

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
