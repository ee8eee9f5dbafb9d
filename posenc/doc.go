// Package posenc holds the position encodings of transformer language
// models: rotary embeddings (RoPE) with every common frequency scaling,
// and the absolute sinusoidal and learned embeddings.
//
// RoPE rotates each pair of query/key coordinates (a, b) of a head by the
// angle m·θ_i, where m is the token position and θ_i = base^(−2i/n) is the
// inverse frequency of pair i (n = rotary dimensions):
//
//	a' = s·(a·cos(mθ_i) − b·sin(mθ_i)),  b' = s·(a·sin(mθ_i) + b·cos(mθ_i))
//
// so that the dot product of a rotated query at m and a rotated key at n
// depends only on m − n. Scalings (linear, dynamic NTK, YaRN, LongRoPE,
// Llama 3) only change the θ_i and the magnitude s; [HFConfig] computes
// them with Hugging Face transformers semantics and [GGMLParams] with
// ggml's rope_ext semantics. Angles and cos/sin are computed in float64, so
// results stay exact to float32 rounding even at positions near 2²⁰.
//
// Absolute encodings are added to token embeddings instead: the
// sinusoidal table PE[p][2i] = sin(p·ω_i), PE[p][2i+1] = cos(p·ω_i) with
// ω_i = base^(−2i/d) ([Sinusoidal]), or a trained [maxPos × dim] table
// ([Learned]).
package posenc
