package model

// Qwen2: Llama with the half-split RoPE layout and biases on the q, k and
// v projections (bound because the file has them).
func init() {
	register(&Family{
		Arch: "qwen2", HFModelTypes: []string{"qwen2"},
		Summary: "pre-norm RMSNorm; RoPE (half-split); SwiGLU; q/k/v biases; GQA",
		Norm:    RMSNorm, Pos: PosRoPE, Neox: true, MLP: SwiGLU, Residual: Sequential,
		Required: []Role{AttnNorm, FFNNorm},
		HF:       hfLlamaNames(),
	})
}
