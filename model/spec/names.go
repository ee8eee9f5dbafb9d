package spec

import (
	"fmt"
	"strings"
)

// Role names one kind of weight of a decoder. Its GGUF name is the same in
// every family (llama.cpp's tensor names); its Hugging Face name is the
// family's (model.Family.HF); the trainer writes the Hugging Face Llama
// names (HFLlamaNames, TrainerName).
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
	NumRoles                     // the number of roles
)

// ggufNames are llama.cpp's tensor names, shared by every architecture;
// ".weight" or ".bias" is appended.
var ggufNames = [NumRoles]string{
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
func (r Role) GGUFName(i int) string { return LayerName(ggufNames[r], i) }

// LayerName puts layer i into a name pattern's "{i}".
func LayerName(pattern string, i int) string {
	return strings.ReplaceAll(pattern, "{i}", fmt.Sprint(i))
}

// hfLlama are the Hugging Face names of Llama-style checkpoints
// (LlamaForCausalLM and the many families that copied it), without
// ".weight"/".bias".
var hfLlama = map[Role]string{
	TokenEmbd: "model.embed_tokens", OutputNorm: "model.norm", Output: "lm_head",
	AttnNorm: "model.layers.{i}.input_layernorm", AttnQ: "model.layers.{i}.self_attn.q_proj",
	AttnK: "model.layers.{i}.self_attn.k_proj", AttnV: "model.layers.{i}.self_attn.v_proj",
	AttnOut: "model.layers.{i}.self_attn.o_proj", FFNNorm: "model.layers.{i}.post_attention_layernorm",
	FFNGate: "model.layers.{i}.mlp.gate_proj", FFNUp: "model.layers.{i}.mlp.up_proj",
	FFNDown: "model.layers.{i}.mlp.down_proj",
}

// HFLlamaNames returns a copy of the Hugging Face Llama names by role.
func HFLlamaNames() map[Role]string {
	m := make(map[Role]string, len(hfLlama))
	for k, v := range hfLlama {
		m[k] = v
	}
	return m
}

// TrainerPosEmbd is the name of the learned position table in a trainer
// checkpoint (Hugging Face Llama has none).
const TrainerPosEmbd = "model.embed_positions"

// TrainerName returns the name of a role's tensor in layer i of a trainer
// checkpoint, without ".weight"/".bias": the Hugging Face Llama name, or
// TrainerPosEmbd; "" for roles the trainer does not have.
func TrainerName(r Role, i int) string {
	if r == PosEmbd {
		return TrainerPosEmbd
	}
	p, ok := hfLlama[r]
	if !ok {
		return ""
	}
	return LayerName(p, i)
}
