package model

// Phi-2: one LayerNorm per block feeding attention and MLP in parallel
// (x += attn(ln(x)) + mlp(ln(x))), partial half-split RoPE, biases on
// every projection and on the LM head, GELU MLP.
func init() {
	register(&Family{
		Arch: "phi2", HFModelTypes: []string{"phi"},
		Summary: "one LayerNorm per block, attention and MLP in parallel; partial RoPE (half-split); GELU MLP; biases incl. LM head",
		Norm:    LayerNorm, Pos: PosRoPE, Neox: true, MLP: GELU, Residual: Parallel,
		Required: []Role{AttnNorm},
		HF: map[Role]string{
			TokenEmbd: "model.embed_tokens", OutputNorm: "model.final_layernorm", Output: "lm_head",
			AttnNorm: "model.layers.{i}.input_layernorm", AttnQ: "model.layers.{i}.self_attn.q_proj",
			AttnK: "model.layers.{i}.self_attn.k_proj", AttnV: "model.layers.{i}.self_attn.v_proj",
			AttnOut: "model.layers.{i}.self_attn.dense",
			FFNUp:   "model.layers.{i}.mlp.fc1", FFNDown: "model.layers.{i}.mlp.fc2",
		},
	})
}
