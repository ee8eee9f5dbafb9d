// Package model runs decoder-only transformers built from this
// repository's parts: every norm is computed by package norm, every
// position encoding by package posenc, the loops by package kernel. It
// loads llama2.c checkpoints, GGUF files of twelve families (llama, qwen2,
// gemma, gemma2, phi3, olmo2, gpt2, gptneox, phi2, stablelm, starcoder2,
// bloom; Families lists them) and the checkpoint folders of this
// repository's trainer, and gives llama.cpp's logits (tested at every
// position of one model per family: within 1e-4, 5e-3 with GELU, whose
// llama.cpp CPU version goes through a float16 table).
//
// # One computation, many families
//
// For tokens t_1..t_T at positions p, p+1, ... every family computes
//
//	x   = n_emb(s·E[t] + P[pos])        s: √dim (Gemma) or 1; P: learned or sinusoidal
//	                                    positions or none; n_emb: BLOOM's LayerNorm
//	for each block:
//	    h   = n_att(x)                  pre-norm (absent in OLMo 2)
//	    q,k = n_q(W_q·h + b_q), n_k(W_k·h + b_k)      q/k norm: OLMo 2, StableLM 2
//	    v   = W_v·h + b_v
//	    q,k ← RoPE(q, pos), RoPE(k, pos)              RoPE families
//	    s_ij = c·tanh(α·q_i·k_j/c) − m_h·(i−j)         α = 1/√d_h; c: Gemma 2's soft-cap;
//	                                                 m_h: ALiBi slope (BLOOM)
//	    a_i = Σ_{j≤i, i−j<w} softmax_j(s_ij)·v_j      w: sliding window (Gemma 2, Phi-3)
//	    o   = n_post(W_o·a + b_o)                     post-norm: Gemma 2, OLMo 2
//	    sequential:  x += o;  x += n_post'(MLP(n_ffn(x)))
//	    parallel:    x += o + MLP(n_ffn(x_in))         GPT-NeoX; Phi-2 uses h for both
//	logits = c'·tanh((W_out·n_final(x) + b_out)/c')   W_out = E when tied; c': Gemma 2
//
// with the MLP one of
//
//	SwiGLU  W_down·(silu(W_gate·h) ⊙ W_up·h)           silu(z) = z/(1+e^−z)
//	GeGLU   W_down·(gelu(W_gate·h) ⊙ W_up·h)           Gemma
//	GELU    W_down·gelu(W_up·h + b_up) + b_down       GPT-2, GPT-NeoX, Phi-2, StarCoder2, BLOOM
//
// gelu(z) = ½z(1+tanh(√(2/π)(z+0.044715z³))) in float32, the norms
//
//	RMSNorm    x/√(mean(x²)+ε)·w (+b)      w is 1+w' for Gemma (GGUF stores 1+w')
//	pRMSNorm   the RMS of the first ⌊p·n⌋ elements only (trainer checkpoints)
//	LayerNorm  (x−μ)/√(σ²+ε)·w (+b)
//
// and RoPE rotating pairs of a head's first d_rot coordinates by pos·θ_i,
// θ_i = base^(−2i/d_rot)/f_i, in the interleaved layout (x_2i, x_2i+1) of
// Meta's weights, llama2.c and GGUF llama files or the half-split layout
// (x_i, x_{i+d_rot/2}) of every other family; f_i are Llama 3.1's
// rope_freqs or Phi-3's LongRoPE factors (the long ones for a session
// longer than the original context, as llama.cpp decides with its context
// size), linear and YaRN scaling change θ_i and the magnitude of cos and
// sin. With grouped-query attention the H query heads share H_kv
// key/value heads: query head h reads kv head ⌊h/(H/H_kv)⌋.
//
// # Families as data
//
// A family is one arch_*.go file registering a Family: how its GGUF
// metadata (llama.cpp's keys) maps onto a Config, which norms, position
// encoding, MLP, residual layout and extras it has, and its tensor names
// in Hugging Face checkpoints with the layout notes a converter needs
// (GGUF names are the same for every family: Role.GGUFName). The runtime
// has no per-family code path: what a block computes follows from the
// Config and from which tensors are present (an absent norm is skipped, an
// absent bias is zero). One binder attaches weights by Role from any
// source (GGUF, llama2.c, safetensors), splitting fused [Q;K;V] and
// [gate;up] matrices into row views; adding a family is one file plus test
// data.
//
// # Hugging Face folders
//
// Load opens a folder with config.json (a model_type) and
// model.safetensors or shards: hf.go converts it as llama.cpp's converter
// would, but in memory — config.json to llama.cpp's metadata keys, the
// family's Hugging Face tensor names and layouts (Family.HF, HFLayout) to
// GGUF's — and binds it as a GGUF file. An unknown model_type, a config key
// the loader would ignore, an unused or missing tensor is an error.
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
// The prompt's attention runs in tiles (flash-attention style): a block
// of queries of a head against one block of keys at a time, S = Q_b·K_bᵀ
// and O += P·V_b as small GEMMs, the softmax kept as a running maximum
// and sum per row (online softmax), so no T×T score matrix is built and
// key blocks hidden by the causal mask or the window are skipped.
//
// Weights are Tensors whose Type is an entry of quant's table of types;
// every type with kernels there (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q2_K … Q6_K, IQ4_NL, IQ4_XS) is computed on in place from the
// memory-mapped file (Q8_0: blocks of 32 int8 values with one float16
// scale d, w = d·q; Q4_K: super-blocks of 256 with 6-bit sub-block scales
// and minimums, w = d·sc·q − dmin·m), the others (IQ1, IQ2, IQ3, TQ) are
// dequantized to F32 when the model loads and listed in Info.Dequantized.
// Weight matrices are multiplied in one place (matmul.go), which takes the
// kernel from the type's table entry: with float32 activations (exact up
// to rounding) or on llama.cpp's integer path (activations quantized per
// block to Q8_0, Q8_1 or Q8_K, integer block dot products), per type by
// its measured default or as Model.QuantizeActivations/FloatActivations
// force. The matrix-vector products are cut into chunks
// of rows that a fixed pool of worker goroutines claims from a shared
// counter (a core that another process holds takes fewer; workers spin
// briefly between the dispatches of a token instead of sleeping) and run
// the kernel package's SIMD loops. On Linux the weight matrices of a
// mapped file are copied at load into memory advised for transparent huge
// pages (Options.KeepMapped keeps the mapping), which spares a TLB miss
// per 4 KiB of weights streamed; all buffers are allocated with the
// session.
//
// A plain float64 forward pass in the tests (no cache, straight from the
// formulas above) checks every path: batched, cached, every weight type,
// every family's variations.
package model
