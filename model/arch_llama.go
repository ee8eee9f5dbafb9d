package model

// Llama (Llama 2/3.x, Mistral, TinyLlama, SmolLM; also llama2.c files and
// this repository's trainer checkpoints): pre-norm RMSNorm, RoPE in the
// interleaved layout (llama.cpp's converter permutes Hugging Face's q/k
// rows back to it), SwiGLU, optional q/k/v/o biases, grouped-query
// attention. Frequency factors (rope_freqs, Llama 3.1) and linear or YaRN
// scaling come from the file.
func init() {
	register(&Family{
		Arch: "llama", HFModelTypes: []string{"llama", "mistral"},
		Summary: "pre-norm RMSNorm; RoPE (interleaved pairs; rope_freqs, linear, YaRN); SwiGLU; GQA",
		Norm:    RMSNorm, Pos: PosRoPE, MLP: SwiGLU, Residual: Sequential,
		Required: []Role{AttnNorm, FFNNorm},
		HF:       hfLlamaNames(),
		HFLayout: HFLayout{QKPermuted: true},
	})
}
