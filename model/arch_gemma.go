package model

// Gemma: RMSNorm whose weights act as 1+w (GGUF stores 1+w, Hugging Face
// stores w), embeddings scaled by √dim, half-split RoPE, GeGLU MLP
// gelu(gate)⊙up with the tanh GELU, LM head tied to the embedding.
func init() {
	register(&Family{
		Arch: "gemma", HFModelTypes: []string{"gemma"},
		Summary: "pre-norm RMSNorm (1+w); RoPE (half-split); GeGLU; embeddings ×√dim; tied head",
		Norm:    RMSNorm, Pos: PosRoPE, Neox: true, MLP: GeGLU, Residual: Sequential,
		EmbedScaleSqrtDim: true,
		Required:          []Role{AttnNorm, FFNNorm},
		HF:                hfLlamaNames(),
		HFLayout:          HFLayout{NormWeightOffset: 1},
	})
}
