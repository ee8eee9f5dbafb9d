// Package sample picks the next token from a model's logits.
//
// The steps follow llama.cpp's default chain, in this order:
//
//  1. Repetition penalty over the last N tokens: every distinct recent
//     token t gets ℓ_t ← ℓ_t/r if ℓ_t > 0, else ℓ_t ← ℓ_t·r (r > 1 makes
//     repeats less likely whatever the sign of the logit).
//  2. Greedy (temperature ≤ 0): return argmax ℓ.
//  3. Top-k: keep the k largest logits.
//  4. Top-p (nucleus): with p_i = softmax(ℓ)_i sorted descending, keep the
//     shortest prefix whose cumulative probability reaches p.
//  5. Min-p: keep tokens with p_i ≥ min_p · p_max.
//  6. Temperature: p_i = exp(ℓ_i/T) / Σ_j exp(ℓ_j/T) over the survivors.
//  7. Draw u ~ U[0,1) from a PCG generator seeded with Seed and return the
//     first token whose cumulative probability exceeds u.
//
// The same seed and the same logits always give the same tokens.
package sample
