// Package train trains small Llama-style language models on the CPU, in
// pure Go, and measures what the normalisation and position choices do.
//
// # The model
//
// A decoder-only transformer over B sequences of T tokens, activations
// kept as [B·T × D] row-major matrices:
//
//	x₀ = s·E[tokens] (+ P[t] for learned or sinusoidal positions)
//	     (s = √D with sinusoidal positions, else 1: llmparts_embed_scale)
//	for each of the L blocks (pre-norm):
//	    h  = norm(x)
//	    q, k, v = h·W_qᵀ, h·W_kᵀ, h·W_vᵀ      (RoPE rotates q and k)
//	    x  = x + attn(q, k, v)·W_oᵀ            (causal softmax, GQA allowed)
//	    h  = norm(x)
//	    x  = x + (silu(h·W_gᵀ) ⊙ h·W_uᵀ)·W_dᵀ  (SwiGLU; or gelu(h·W_uᵀ)·W_dᵀ)
//	logits = norm(x)·W_lmᵀ                       (W_lm = E when tied)
//	loss   = mean −log softmax(logits)[target]
//
// Weights use PyTorch's [out, in] layout and Hugging Face Llama names, so
// a checkpoint is a Hugging Face folder (config.json + model.safetensors).
//
// # Forward beside backward
//
// Every layer's forward function sits next to its backward function (as in
// llm.c). Backward passes follow the chain rule for each op:
//
//	linear  y = x·Wᵀ:        dx = dy·W,   dW += dyᵀ·x
//	RMSNorm y = w⊙x·r,       r = (mean(x²)+ε)^(−½):
//	                          dx_i = r·w_i·dy_i − x_i·r³·Σ_j(dy_j·w_j·x_j)/d
//	pRMSNorm: the same with the mean over the first k = ⌈p·d⌉ elements
//	          (only those x_i get the second term, divided by k)
//	LayerNorm x̂ = (x−μ)·r, g = dy⊙w:  dx = r·(g − mean(g) − x̂·mean(g⊙x̂))
//	RoPE: a rotation R_t per position, so dx = R_tᵀ·dy (rotate by −θ)
//	softmax attention: ds_tu = p_tu·(dp_tu − Σ_w p_tw·dp_tw)
//	SwiGLU a = silu(g)⊙u: dg = da·u·σ(g)·(1+g·(1−σ(g))), du = da·silu(g)
//	cross-entropy: dlogits = (softmax − onehot)/N
//
// TestGradientCheck compares the whole model's gradient with central
// finite differences (Richardson-extrapolated) for every norm × position
// combination.
//
// # Speed
//
// A batch is cut into up to four chunks of whole sequences; each chunk runs
// the whole forward and backward pass on one goroutine (one fork-join per
// pass, not per op) with single-threaded kernels, writing its own weight
// gradient, and Backward adds the chunk gradients into Grads in chunk
// order. Every matrix product runs on kernel.MatMulT and kernel.Sgemm;
// attention is four small products per (sequence, head) on strided
// [T × hd] blocks (S = Q·Kᵀ, O = P·V, and their transposes backward), the
// softmaxes, SwiGLU and norms use the kernel package's SIMD rows
// (norm.ArithFast), and nothing is allocated per step. The norm is the
// only thing that differs between the norm variants, so its share of the
// step is what RMSNorm can save.
//
// # Optimisation
//
// AdamW with decoupled weight decay on matrices only, global-norm
// gradient clipping, linear warm-up then cosine decay to a minimum
// learning rate, gradient accumulation. Runs are deterministic: the same
// seed gives the same losses bit for bit, whatever the thread count,
// because every sum has a fixed order (the chunks depend on the batch
// size only, no shared accumulators across goroutines, no map iteration
// in the arithmetic).
//
// # Data and checkpoints
//
// The corpus is a text file, a folder of text files (sorted by path), or by
// default the Go standard library sources. The last 10 % of the token
// stream is the validation set. Batches are drawn at random offsets by a
// seeded SplitMix64 generator whose state is saved, so --resume continues
// exactly. Checkpoints are complete folders OUT/step-NNNNNN (config.json,
// model.safetensors, optimizer.safetensors, tokenizer.json, state.json),
// made current by atomically replacing the pointer file OUT/current.
package train
