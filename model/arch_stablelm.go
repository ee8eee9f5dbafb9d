package model

// StableLM: LayerNorm with bias, partial half-split RoPE, q/k/v biases,
// SwiGLU. Without FFN norms (StableLM 2 12B) the MLP reads the attention
// norm's output in parallel with attention; with q/k norm tensors each
// head is LayerNormed with its own weights.
func init() {
	register(&Family{
		Arch: "stablelm", HFModelTypes: []string{"stablelm"},
		Summary: "pre-norm LayerNorm with bias; partial RoPE (half-split); SwiGLU; q/k/v biases; optional per-head q/k LayerNorm",
		Norm:    LayerNorm, Pos: PosRoPE, Neox: true, MLP: SwiGLU, Residual: Sequential,
		Configure: func(c *Config, _ Meta, has func(string) bool) error {
			if !has(FFNNorm.GGUFName(0) + ".weight") {
				c.Parallel = true
			}
			if has(AttnQNorm.GGUFName(0) + ".weight") {
				c.QKNorm = QKNormPerHead
			}
			return nil
		},
		Required: []Role{AttnNorm},
		HF:       hfLlamaNames(),
	})
}
