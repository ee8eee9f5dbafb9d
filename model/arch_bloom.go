package model

// BLOOM: no position embedding but ALiBi, a bias −m_h·(i−j) on the
// attention scores with slopes m_h = 2^(−8(h+1)/H) (max bias 8; H not a
// power of two interleaves a second series); a LayerNorm on the
// embeddings; LayerNorm with bias; fused qkv with bias; GELU MLP.
func init() {
	register(&Family{
		Arch: "bloom", HFModelTypes: []string{"bloom"},
		Summary: "LayerNorm with bias, also on the embeddings; ALiBi (max bias 8); GELU MLP; biases",
		Norm:    LayerNorm, Pos: PosALiBi, MLP: GELU, Residual: Sequential,
		ALiBiMaxBias: 8,
		Required:     []Role{AttnNorm, FFNNorm},
		HF: map[Role]string{
			TokenEmbd: "transformer.word_embeddings", TokenEmbdNorm: "transformer.word_embeddings_layernorm",
			OutputNorm: "transformer.ln_f", Output: "lm_head",
			AttnNorm: "transformer.h.{i}.input_layernorm", AttnQKV: "transformer.h.{i}.self_attention.query_key_value",
			AttnOut: "transformer.h.{i}.self_attention.dense", FFNNorm: "transformer.h.{i}.post_attention_layernorm",
			FFNUp: "transformer.h.{i}.mlp.dense_h_to_4h", FFNDown: "transformer.h.{i}.mlp.dense_4h_to_h",
		},
		HFLayout: HFLayout{QKVPerHead: true},
	})
}
