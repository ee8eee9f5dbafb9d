// Package export writes a checkpoint of this repository's trainer in the
// formats other programs read: GGUF (llama.cpp), a Hugging Face folder
// (transformers) and llama2.c's .bin.
//
// The trainer has one tensor layout (Hugging Face Llama names, the q and
// k rows of each head in the half-split RoPE order) and several variants
// (norm × positions × MLP). Each variant that a well-known architecture
// computes exactly goes out as that architecture; the rest are refused,
// because a file labelled with an architecture it does not follow loads
// without complaint and computes something else:
//
//	RMSNorm   + RoPE    + SwiGLU → llama    (GGUF llama, LlamaForCausalLM, llama2.c)
//	LayerNorm + RoPE    + SwiGLU → stablelm (GGUF stablelm, StableLmForCausalLM)
//	LayerNorm + RoPE    + GELU   → gptneox  (GGUF gptneox, GPTNeoXForCausalLM; sequential residual)
//	LayerNorm + learned + GELU   → gpt2     (GGUF gpt2, GPT2LMHeadModel)
//	pRMSNorm, sinusoidal or no positions, other mixes → refused
//
// The trainer has no bias vectors; GPT-2 and GPT-NeoX always have them, so
// they are written as zeros (x·W + 0 = x·W: the same function). GPT-2 and
// GPT-NeoX have no grouped-query attention, so those need kv-heads = heads.
//
// RoPE layout. Rotary embeddings turn pairs of a head's query/key
// dimensions by the angle p·θ_i, θ_i = base^(−2i/d). The trainer pairs
// (x_i, x_{i+d/2}) (half-split, as Hugging Face and GPT-NeoX do); llama.cpp's
// llama architecture pairs (x_{2i}, x_{2i+1}) (interleaved, Meta's layout).
// Both give the same attention scores when the rows of W_q and W_k are
// permuted within each head, row j → 2j and row d/2+j → 2j+1
// (posenc.PermuteHalfToInterleaved): the GGUF llama export does that; the
// NeoX-style families and the Hugging Face folder keep the rows as they are.
//
// Tensor names and Hugging Face layouts come from package model's family
// descriptions (model.Family: roles, GGUF names, HF names, HFLayout), the
// same tables the runtime loads these files with; this package adds what
// only a writer needs (config keys, zero biases llama.cpp requires).
//
// GPT-2's Conv1D stores W transposed ([in][out], y = x·W + b) and fuses
// q, k, v as [q | k | v] columns; GPT-NeoX fuses them per head
// ([h][q_h | k_h | v_h] rows). llama.cpp's attn_qkv is [q; k; v] rows for
// both.
package export
