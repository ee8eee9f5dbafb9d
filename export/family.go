package export

import (
	"fmt"

	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/train"
)

// Family is the architecture a checkpoint goes out as.
type Family struct {
	Name        string // GGUF general.architecture: llama, stablelm, gptneox or gpt2
	HFArch      string // config.json architectures[0]
	HFModelType string // config.json model_type
	HFAct       string // config.json activation name for the MLP
}

// The families a trainer variant can be written as.
var (
	Llama    = Family{Name: "llama", HFArch: "LlamaForCausalLM", HFModelType: "llama", HFAct: "silu"}
	StableLM = Family{Name: "stablelm", HFArch: "StableLmForCausalLM", HFModelType: "stablelm", HFAct: "silu"}
	GPTNeoX  = Family{Name: "gptneox", HFArch: "GPTNeoXForCausalLM", HFModelType: "gpt_neox", HFAct: "gelu_pytorch_tanh"}
	GPT2     = Family{Name: "gpt2", HFArch: "GPT2LMHeadModel", HFModelType: "gpt2", HFAct: "gelu_new"}
)

// model returns the runtime's description of the family: its tensor
// roles, their GGUF and Hugging Face names and layouts.
func (f Family) model() *model.Family {
	m, ok := model.LookupFamily(f.Name)
	if !ok {
		panic("export: model has no family " + f.Name) // the four are registered by package model
	}
	return m
}

// FamilyOf returns the architecture that computes exactly what a model of
// configuration c computes, or an error saying why there is none.
func FamilyOf(c train.Config) (Family, error) {
	variant := fmt.Sprintf("%s + %s positions + %s", c.Norm, c.Pos, c.MLP)
	refuse := func(why string) (Family, error) {
		return Family{}, fmt.Errorf("export: a %s checkpoint cannot be exported: %s", variant, why)
	}
	if c.EmbedScale != 0 && c.EmbedScale != 1 {
		return refuse(fmt.Sprintf("its token embeddings are scaled by %g on input (not on output), which no supported architecture does", c.EmbedScale))
	}
	switch c.Norm {
	case train.NormPRMS:
		return refuse("pRMSNorm (the RMS of the first ⌊p·d⌋ elements only) is in no llama.cpp or transformers architecture")
	case train.NormRMS, train.NormLayer:
	default:
		return refuse("unknown norm")
	}
	switch c.Pos {
	case train.PosSinusoidal:
		return refuse("no llama.cpp architecture adds the fixed sinusoidal table of \"Attention is all you need\" to the embeddings")
	case train.PosNone:
		return refuse("no llama.cpp architecture runs attention without any position encoding")
	}
	var f Family
	switch {
	case c.Norm == train.NormRMS && c.Pos == train.PosRoPE && c.MLP == train.MLPSwiGLU:
		f = Llama
	case c.Norm == train.NormLayer && c.Pos == train.PosRoPE && c.MLP == train.MLPSwiGLU:
		f = StableLM
	case c.Norm == train.NormLayer && c.Pos == train.PosRoPE && c.MLP == train.MLPGELU:
		f = GPTNeoX
	case c.Norm == train.NormLayer && c.Pos == train.PosLearned && c.MLP == train.MLPGELU:
		f = GPT2
	default:
		return refuse("no llama.cpp architecture has this combination (supported: rmsnorm+rope+swiglu = llama, layernorm+rope+swiglu = stablelm, layernorm+rope+gelu = gptneox, layernorm+learned+gelu = gpt2)")
	}
	if (f == GPT2 || f == GPTNeoX) && c.KVHeads != c.Heads {
		return refuse(fmt.Sprintf("%s has no grouped-query attention (kv-heads %d ≠ heads %d)", f.Name, c.KVHeads, c.Heads))
	}
	return f, nil
}
