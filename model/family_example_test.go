package model_test

import (
	"fmt"

	"github.com/llmparts/llmparts/model"
)

// The families the runtime runs, and what one of them states as data.
func ExampleLookupFamily() {
	fmt.Println(model.Families())
	f, _ := model.LookupFamily("gemma2")
	fmt.Println(f.Norm, f.Pos, f.MLP, f.Residual, f.SlidingLayers, f.AttnSoftcap, f.FinalSoftcap)
	// One role, its GGUF name (the same in every family) and its Hugging
	// Face name (the family's).
	fmt.Println(model.FFNPostNorm.GGUFName(3), f.HFName(model.FFNPostNorm, 3))
	g, _ := model.FamilyForHF("gpt_neox")
	fmt.Println(g.Arch, g.HFName(model.AttnQKV, 0), g.HFLayout.QKVPerHead)
	// Output:
	// [bloom gemma gemma2 gpt2 gptneox llama olmo2 phi2 phi3 qwen2 stablelm starcoder2]
	// rmsnorm rope geglu sequential even 50 30
	// blk.3.post_ffw_norm model.layers.3.post_feedforward_layernorm
	// gptneox gpt_neox.layers.0.attention.query_key_value true
}
