// Package model runs Llama-style decoder-only transformers: llama2.c
// checkpoints, GGUF files (architectures llama and qwen2) and the
// checkpoint folders written by this repository's trainer.
//
// # The computation
//
// For tokens t_1..t_T at positions p, p+1, ... the model computes
//
//	x   = s·E[t]                        (+ P[pos] for learned or sinusoidal positions;
//	                                     s = Config.EmbedScale, 1 unless a trainer
//	                                     checkpoint's llmparts_embed_scale sets it)
//	for each block l = 1..L:
//	    h   = norm(x; g_att)            RMSNorm: x/√(mean(x²)+ε)⊙g  (or pRMSNorm, LayerNorm)
//	    q   = W_q·h (+b_q), k = W_k·h (+b_k), v = W_v·h (+b_v)
//	    q,k ← RoPE(q, pos), RoPE(k, pos)
//	    a_i = Σ_{j≤i} softmax_j(q_i·k_j/√d_h)·v_j     per head; causal
//	    x   = x + W_o·a
//	    h   = norm(x; g_ffn)
//	    x   = x + W_down·(silu(W_gate·h) ⊙ W_up·h)     (SwiGLU; GELU: W_down·gelu(W_up·h))
//	logits = W_out·norm(x; g_final)     W_out = E when the head is tied
//
// with silu(z) = z/(1+e^−z). With grouped-query attention (GQA) the H query
// heads share H_kv key/value heads: query head h reads kv head
// ⌊h/(H/H_kv)⌋ (multi-query attention is H_kv = 1).
//
// RoPE rotates pairs of a head's coordinates by the angle pos·θ_i with
// θ_i = base^(−2i/d_rot):
//
//	(x_a, x_b) ← (x_a cos φ − x_b sin φ,  x_a sin φ + x_b cos φ)
//
// where the pair is (x_2i, x_2i+1) in the interleaved ("normal") layout of
// Meta's weights, llama2.c and GGUF llama files, and (x_i, x_{i+d/2}) in the
// half-split ("neox") layout of Hugging Face checkpoints and qwen2. Only
// the first d_rot coordinates rotate; rope_freqs factors divide θ_i and
// linear scaling divides every angle by its factor.
//
// # Running it fast
//
// A Session holds a key/value cache: the k and v rows of every position
// already seen, so a new token costs one pass over the weights plus a
// pass over the cache, instead of recomputing the whole sequence. The
// prompt goes through as a matrix (T tokens at once): each projection is
// one GEMM, Y = X·Wᵀ, which reads each weight once for all T tokens, while
// decoding one token is a matrix-vector product and is bound by memory
// bandwidth (every weight byte is read once per token).
//
// Weights are Tensors stored as F32, F16, Q8_0 or Q4_0 and computed on
// in place from the memory-mapped file (Q8_0: blocks of 32 int8 values
// with one float16 scale d, w = d·q; Q4_0: 4-bit values, w = d·(q−8));
// other GGUF types are dequantized to F32 when the model loads. The
// matrix-vector products are cut into chunks of rows that a fixed pool of
// worker goroutines claims from a shared counter (a core that another
// process holds takes fewer; workers spin briefly between the dispatches
// of a token instead of sleeping) and run the kernel package's SIMD loops.
// On Linux the weight matrices of a mapped file are copied at load into
// memory advised for transparent huge pages (Options.KeepMapped keeps the
// mapping), which spares a TLB miss per 4 KiB of weights streamed; all buffers are
// allocated with the session (the kernel's GEMVs allocate one small
// closure per call, a few hundred bytes per layer and token).
//
// A plain float64 forward pass in the tests (no cache, straight from the
// formulas above) checks every path: batched, cached, every weight type,
// every norm/position/MLP variant.
package model
