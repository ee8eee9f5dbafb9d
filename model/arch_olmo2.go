package model

// OLMo 2: no norm before attention or MLP but an RMSNorm after each
// (x += norm(attn(x)), x += norm(mlp(x))), and RMSNorm over the whole
// projected q and k vectors (not per head) before the half-split RoPE.
func init() {
	register(&Family{
		Arch: "olmo2", HFModelTypes: []string{"olmo2"},
		Summary: "post-norm RMSNorm on attention and MLP outputs; q/k RMSNorm over the whole vector; RoPE (half-split); SwiGLU",
		Norm:    RMSNorm, Pos: PosRoPE, Neox: true, MLP: SwiGLU, Residual: Sequential, QKNorm: QKNormWhole,
		Required: []Role{AttnPostNorm, FFNPostNorm, AttnQNorm, AttnKNorm},
		HF: with(hfLlamaNames(), AttnNorm, "", FFNNorm, "",
			AttnPostNorm, "model.layers.{i}.post_attention_layernorm",
			FFNPostNorm, "model.layers.{i}.post_feedforward_layernorm",
			AttnQNorm, "model.layers.{i}.self_attn.q_norm", AttnKNorm, "model.layers.{i}.self_attn.k_norm"),
	})
}
