package model

// StarCoder2: LayerNorm with bias, half-split RoPE, biases on q, k, v and
// o, a GELU MLP with biases (c_fc, c_proj), grouped-query attention.
func init() {
	register(&Family{
		Arch: "starcoder2", HFModelTypes: []string{"starcoder2"},
		Summary: "pre-norm LayerNorm with bias; RoPE (half-split); GELU MLP with biases; q/k/v/o biases; GQA",
		Norm:    LayerNorm, Pos: PosRoPE, Neox: true, MLP: GELU, Residual: Sequential,
		Required: []Role{AttnNorm, FFNNorm},
		HF: with(hfLlamaNames(), FFNGate, "",
			FFNUp, "model.layers.{i}.mlp.c_fc", FFNDown, "model.layers.{i}.mlp.c_proj"),
	})
}
