package model

import "fmt"

// Phi-3: pre-norm RMSNorm, half-split RoPE with LongRoPE frequency
// factors (rope_factors_long/short; llama.cpp takes the long ones when
// the context it runs with exceeds rope.scaling.original_context_length)
// and rope.scaling.attn_factor on cos and sin, fused [Q;K;V] and
// [gate;up] projections, a sliding window on every layer.
func init() {
	register(&Family{
		Arch: "phi3", HFModelTypes: []string{"phi3"},
		Summary: "pre-norm RMSNorm; RoPE (half-split) with LongRoPE factors; SwiGLU (fused gate_up); fused qkv; sliding window",
		Norm:    RMSNorm, Pos: PosRoPE, Neox: true, MLP: SwiGLU, Residual: Sequential,
		SlidingLayers: SlidingAll,
		Configure: func(c *Config, meta Meta, _ func(string) bool) error {
			if meta.Has("attention.sliding_window") {
				return nil
			}
			// Files converted before the key existed (llama.cpp's defaults).
			switch {
			case (c.NLayers == 32 || c.NLayers == 40) && c.ContextLen == 4096:
				c.SlidingWindow = 2047
			case c.NLayers == 32 && c.NKVHeads == 32 && c.ContextLen == 131072:
				c.SlidingWindow = 262144
			case c.NLayers == 40 && c.ContextLen == 131072:
				c.SlidingWindow = 131072
			default:
				return fmt.Errorf("metadata phi3.attention.sliding_window is missing")
			}
			return nil
		},
		Required: []Role{AttnNorm, FFNNorm},
		HF: with(hfLlamaNames(), AttnQ, "", AttnK, "", AttnV, "", FFNGate, "", FFNUp, "",
			AttnQKV, "model.layers.{i}.self_attn.qkv_proj", FFNGateUp, "model.layers.{i}.mlp.gate_up_proj"),
	})
}
