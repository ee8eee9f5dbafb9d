// Package llama2c reads model checkpoints written by Andrej Karpathy's
// llama2.c (run.c / export.py).
//
// # Legacy format
//
// The file starts with seven little-endian int32 values
//
//	dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//
// followed by float32 weights in this order (L = n_layers, d = dim,
// h = hidden_dim, V = |vocab_size|, kv = d·n_kv_heads/n_heads,
// hs = d/n_heads):
//
//	token_embedding [V][d]
//	rms_att [L][d]      wq [L][d][d]   wk [L][kv][d]   wv [L][kv][d]   wo [L][d][d]
//	rms_ffn [L][d]      w1 [L][h][d]   w2 [L][d][h]    w3 [L][h][d]
//	rms_final [d]
//	freq_cis_real [seq_len][hs/2]  freq_cis_imag [seq_len][hs/2]   (skipped)
//	wcls [V][d]         only when vocab_size < 0 (unshared classifier)
//
// Every matrix is row-major [out][in], like a PyTorch Linear weight, so
// y = W·x is y[i] = Σ_j W[i][j]·x[j]. The RoPE tables are ignored (run.c
// recomputes θ_i = 10000^(−2i/hs)); the q and k weights use Meta's layout in
// which RoPE rotates interleaved pairs (x[2i], x[2i+1]).
//
// # Versioned format ("ak42")
//
// export.py's newer files start with a 256-byte header: uint32 magic
// 0x616b3432, int32 version, the seven int32 above (vocab_size positive), a
// uint8 shared-classifier flag, and for version 2 an int32 group size. Then:
//
//	version 1 (float32): rms_att[L], rms_ffn[L], rms_final, token_embedding,
//	                     wq[L], wk[L], wv[L], wo[L], w1[L], w2[L], w3[L], [wcls]
//	version 2 (Q8_0):    rms_att[L], rms_ffn[L], rms_final in float32, then
//	                     for each of token_embedding, wq[L], ..., w3[L], [wcls]:
//	                     int8 values followed by one float32 scale per group
//
// A Q8_0 group of G consecutive weights stores q_j = round(w_j/s) with
// s = max_j |w_j| / 127, and w_j ≈ q_j·s.
//
// Open memory-maps the file where it can and returns float32 slices that
// point straight into the mapping (no copy); the size implied by the header
// is checked against the file length before anything is allocated.
package llama2c
