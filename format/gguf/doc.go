// Package gguf reads and writes GGUF files, the single-file model format of
// ggml and llama.cpp.
//
// A GGUF file is little-endian and has four parts:
//
//  1. a header: the magic "GGUF", a uint32 version (2 or 3 here; version 1
//     used 32-bit counts and is not supported), a uint64 tensor count and a
//     uint64 metadata key/value count;
//  2. the metadata: each entry is a key string (uint64 length + UTF-8 bytes),
//     a uint32 value type and the value. Value types are the integers
//     uint8 … int64, float32, float64, bool (one byte), string, and array
//     (uint32 element type, uint64 count, then the elements; arrays may
//     nest);
//  3. the tensor infos: name string, uint32 number of dimensions (≤ 4),
//     that many uint64 dimensions in ggml order (ne[0] is the row length,
//     the fastest-varying one), uint32 ggml type, and a uint64 offset
//     relative to the start of the data section;
//  4. padding up to general.alignment (default 32), then the data section,
//     where each tensor's bytes start at an aligned offset.
//
// Conventions used by llama.cpp: general.architecture names the model
// family ("llama", "qwen2"…) and prefixes its hyper-parameters
// ("llama.embedding_length", "llama.block_count",
// "llama.attention.head_count", "llama.attention.head_count_kv",
// "llama.rope.freq_base", "llama.rope.dimension_count",
// "llama.attention.layer_norm_rms_epsilon", "llama.context_length",
// "llama.feed_forward_length"; optional RoPE scaling in
// "llama.rope.scaling.type" ("linear", "yarn"), "llama.rope.scaling.factor"
// and "llama.rope.scaling.original_context_length"; a qwen2 model uses the
// same names with the "qwen2." prefix and has biases on attn_q/k/v). The
// vocabulary is in "tokenizer.ggml.model" ("llama" = SentencePiece,
// "gpt2" = byte-level BPE), "tokenizer.ggml.tokens" (string array),
// "tokenizer.ggml.scores" (float32 array), "tokenizer.ggml.token_type"
// (int32 array: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
// 6 byte), "tokenizer.ggml.merges" (BPE) and the special token ids
// "tokenizer.ggml.bos_token_id", "eos_token_id", "unknown_token_id"…
//
// Open memory-maps a file (on unix) so that TensorData returns slices of
// the mapping without copying. Every count, length and offset read from a
// file is checked against the bytes that remain, so a damaged or hostile
// file yields an error, never a panic or a huge allocation.
package gguf
