package model

// GPT-NeoX (Pythia): LayerNorm with bias, partial half-split RoPE (the
// first rope.dimension_count of each head), fused qkv with bias, GELU MLP
// with biases, and by default (use_parallel_residual) the parallel
// residual x += attn(n₁(x)) + mlp(n₂(x)).
func init() {
	register(&Family{
		Arch: "gptneox", HFModelTypes: []string{"gpt_neox"},
		Summary: "LayerNorm with bias; partial RoPE (half-split); GELU MLP; parallel residual x + attn(ln1 x) + mlp(ln2 x)",
		Norm:    LayerNorm, Pos: PosRoPE, Neox: true, MLP: GELU, Residual: Parallel,
		Configure: func(c *Config, meta Meta, _ func(string) bool) error {
			par, err := meta.Bool("use_parallel_residual", true)
			c.Parallel = par
			return err
		},
		Required: []Role{AttnNorm, FFNNorm},
		HF: map[Role]string{
			TokenEmbd: "gpt_neox.embed_in", OutputNorm: "gpt_neox.final_layer_norm", Output: "embed_out",
			AttnNorm: "gpt_neox.layers.{i}.input_layernorm", AttnQKV: "gpt_neox.layers.{i}.attention.query_key_value",
			AttnOut: "gpt_neox.layers.{i}.attention.dense", FFNNorm: "gpt_neox.layers.{i}.post_attention_layernorm",
			FFNUp: "gpt_neox.layers.{i}.mlp.dense_h_to_4h", FFNDown: "gpt_neox.layers.{i}.mlp.dense_4h_to_h",
		},
		HFLayout: HFLayout{QKVPerHead: true},
	})
}
