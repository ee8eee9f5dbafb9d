// Package posenc holds the position encodings of transformer language
// models, of three kinds: rotary embeddings (RoPE) with every common
// frequency scaling, the absolute sinusoidal and learned embeddings, and
// ALiBi's linear biases on the attention scores.
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
// Positions are explicit integers in any order; a negative position
// rotates backwards (R_{−m} = R_mᵀ, which is also the backward pass) and
// |m| may reach [MaxPosition]. A [Table] caches float32 cos/sin (scale
// folded in) for positions [0, MaxPos) and is shared by all layers.
//
// Hugging Face and ggml agree exactly (tested) where they describe the same
// rotation: HF "linear" factor f is ggml freq_scale 1/f; HF "yarn" factor f
// over original context L (truncate true, beta 32/1, no attention_factor,
// mscale or original_max_position_embeddings keys) is ggml freq_scale 1/f,
// ext_factor 1, attn_factor 1, beta_fast 32, beta_slow 1, n_ctx_orig L —
// both give magnitude 1 + 0.1·ln f; HF "llama3" is ggml with the
// freq_factors of [Llama3FreqFactors]. Known differences: ggml always
// floors/ceils the YaRN range (HF truncate=false does not), ggml guards a
// reversed range hi < lo with max(0.001, hi−lo) where HF divides by the
// negative width, HF's mscale/mscale_all_dim and attention_factor must be
// folded into ggml's attn_factor by the caller (llama.cpp does this), and
// transformers itself computes inv_freq and the angles in float32, so at
// long positions its own outputs drift from the exact values computed here.
//
// Absolute encodings are added to token embeddings instead: the
// sinusoidal table PE[p][2i] = sin(p·ω_i), PE[p][2i+1] = cos(p·ω_i) with
// ω_i = base^(−2i/d) ([Sinusoidal]), or a trained [maxPos × dim] table
// ([Learned]).
//
// ALiBi (Press et al., used by BLOOM and MPT) touches neither embeddings nor
// queries and keys: head h adds m_h·(j − i) to the scaled score of query
// position i and key position j, a penalty linear in the distance. With H
// heads a power of two the slopes are m_h = 2^(−8h/H), h = 1..H, a
// geometric sequence from 2^(−8/H) down to 2^(−8); otherwise the first
// n = 2^⌊log₂H⌋ heads take the n-head sequence and the other H − n take the
// odd-indexed slopes of the 2n-head one. ggml generalises 8 to a max_bias
// parameter b: m_h = 2^(−b·h/n). See [ALiBiSlopes] and [ALiBi].
package posenc
