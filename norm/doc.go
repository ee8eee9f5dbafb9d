// Package norm implements the normalisation layers of transformer language
// models over the rows of a [rows × d] matrix, forward and backward, in
// float32 (the fast path models use) and float64 (a plain reference).
//
// RMSNorm (Zhang & Sennrich 2019) rescales each row by its root mean square:
//
//	y = x / sqrt(mean(x²) + eps) ⊙ (offset + g) + b
//
// with options for eps added to the RMS instead (x / (rms + eps)), Gemma's
// weight offset of 1, a bias, and pRMSNorm, which estimates the RMS from the
// first k = max(1, floor(d·p)) elements only. LayerNorm (Ba et al. 2016) also
// removes the mean:
//
//	y = (x − μ) / sqrt(σ² + eps) ⊙ g + b,   σ² = mean((x − μ)²)  (biased)
//
// A row whose RMS (or variance) is 0 with eps = 0 gives zeros plus bias,
// never NaN; NaN or Inf in the data propagate as the formula says.
//
// Accuracy: sums of squares, means and variances are accumulated in float64
// and each output is formed in float64 and rounded once to float32, so the
// float32 Forward agrees with an exact float64 evaluation to within about
// one float32 ulp (tests use 1e-6·(1+|y|)); Backward agrees to within
// 1e-5·(1+|dx|).
//
// For speed, set Arith to ArithFast on either layer: Forward and Backward
// then run the SIMD row kernels of package kernel (float32 accumulation),
// about 10–20× faster and within about 1e-6 relative of the exact path on
// ordinary data; rows the kernels cannot handle fall back to the exact path.
//
// To compare activations bit for bit with llama.cpp or llama2.c, set
// RMSNorm.Arith to ArithGGML or ArithLlama2C: Forward then performs their
// float32 operations in their order (tested against a C transcription).
//
// Backward overwrites dx and ADDS to dWeight and dBias, so a trainer can sum
// the parameter gradients over several batches before a step. Within one
// call the parameter gradients are summed over the rows in float64 and
// added once, so a long batch keeps float32 precision.
package norm
