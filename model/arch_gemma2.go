package model

import "math"

// Gemma 2: Gemma with norms before and after both attention and MLP
// ("sandwich"), soft-capping of attention scores and logits
// (s ← c·tanh(s/c); defaults 50 and 30 unless the file says), and a
// sliding window (default 4096) on the even layers. The query scale is
// 1/√head_dim, except for the 46-layer 27B model, which uses
// 1/√(dim/heads) (llama.cpp keys this on the layer count).
func init() {
	register(&Family{
		Arch: "gemma2", HFModelTypes: []string{"gemma2"},
		Summary: "RMSNorm (1+w) before and after attention and MLP; RoPE (half-split); GeGLU; ×√dim; soft-capping; sliding window on even layers",
		Norm:    RMSNorm, Pos: PosRoPE, Neox: true, MLP: GeGLU, Residual: Sequential,
		EmbedScaleSqrtDim: true,
		SlidingLayers:     SlidingEven, DefaultSlidingWindow: 4096,
		AttnSoftcap: 50, FinalSoftcap: 30,
		QScale: func(c *Config) float64 {
			if c.NLayers == 46 {
				return 1 / math.Sqrt(float64(c.Dim/c.NHeads))
			}
			return 1 / math.Sqrt(float64(c.HeadDim))
		},
		Required: []Role{AttnNorm, AttnPostNorm, FFNNorm, FFNPostNorm},
		HF: with(hfLlamaNames(),
			AttnPostNorm, "model.layers.{i}.post_attention_layernorm",
			FFNNorm, "model.layers.{i}.pre_feedforward_layernorm",
			FFNPostNorm, "model.layers.{i}.post_feedforward_layernorm"),
		HFLayout: HFLayout{NormWeightOffset: 1},
	})
}
