package model

// GPT-2: LayerNorm with bias, learned absolute positions added to the
// embeddings, fused [Q;K;V] with bias, tanh-GELU MLP with biases. Hugging
// Face stores its projections as Conv1D weights [in][out].
func init() {
	register(&Family{
		Arch: "gpt2", HFModelTypes: []string{"gpt2"},
		Summary: "pre-norm LayerNorm with bias; learned absolute positions; GELU MLP; biases everywhere",
		Norm:    LayerNorm, Pos: PosLearned, MLP: GELU, Residual: Sequential,
		Required: []Role{AttnNorm, FFNNorm},
		HF: map[Role]string{
			TokenEmbd: "transformer.wte", PosEmbd: "transformer.wpe", OutputNorm: "transformer.ln_f", Output: "lm_head",
			AttnNorm: "transformer.h.{i}.ln_1", AttnQKV: "transformer.h.{i}.attn.c_attn",
			AttnOut: "transformer.h.{i}.attn.c_proj", FFNNorm: "transformer.h.{i}.ln_2",
			FFNUp: "transformer.h.{i}.mlp.c_fc", FFNDown: "transformer.h.{i}.mlp.c_proj",
		},
		HFLayout: HFLayout{Transposed: []Role{AttnQKV, AttnOut, FFNUp, FFNDown}},
	})
}
