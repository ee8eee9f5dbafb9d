// Package quant implements the ggml tensor element types and their block
// formats, with plain reference code to dequantize them to float32 and to
// quantize float32 to the 32-element formats Q8_0, Q4_0, Q4_1, Q5_0 and
// Q5_1 exactly as ggml's reference code does (and, with a simpler encoder
// than llama-quantize's, to Q4_K, Q5_K and Q6_K).
//
// A quantized tensor row is a sequence of fixed-size blocks. The 32-element
// "legacy" formats store one float16 scale d per block (and for the "_1"
// variants a float16 minimum m) followed by packed integer quants:
// Q8_0 is d + 32 int8 (x = d·q); Q4_0 is d + 16 bytes of nibbles
// (x = d·(q−8), low nibbles are elements 0–15, high nibbles 16–31);
// Q4_1 is x = d·q + m; Q5_0/Q5_1 add a 32-bit mask holding each quant's
// fifth bit. The K-quants (Q2_K … Q6_K) group 256 elements in a super-block
// with a float16 super-scale (and super-min) and 6- or 8-bit sub-block
// scales for 16 or 8 sub-blocks. F16 and BF16 are the IEEE half and
// "brain float" 16-bit formats; conversions here are exact (round to
// nearest even, subnormals, infinities and NaN). IQ4_NL and IQ4_XS replace
// the linear 4-bit levels by a fixed 16-entry non-linear codebook.
//
// All multi-byte fields are little-endian, as in GGUF files.
package quant
