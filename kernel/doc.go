// Package kernel holds the numeric inner loops of llmparts: vector
// primitives (Dot, Axpy, SumSq, ...), matrix products (Sgemv, SgemvStream,
// SgemvMulti, MatMulT, Sgemm, and MatMulPacked with weights packed once by
// PackB), matrix-vector products with quantized or half-precision weights
// (GemvQ8_0, GemvQ4_0, GemvQ8_0Q8, GemvQ4_0Q8, GemvF16, GemvBF16), row-wise
// normalisations (RMSNorm, LayerNorm, forward and backward), rotary position
// embedding, softmax, SwiGLU and half-precision conversion.
//
// # The idea
//
// A transformer spends nearly all its time in a handful of loops. Each loop
// here exists twice: a plain Go version (4-way unrolled so the compiler keeps
// four independent accumulators in registers, but otherwise obvious) and,
// on amd64 with AVX2 and FMA (and AVX-512 for the SGEMM micro-kernel,
// SgemvStream and the eight-vector SgemvMulti; AVX-512 VNNI for the Q8_0
// and Q4_0 four-token integer GEMMs, whose VPDPBUSD gives the same lane
// sums as VPMADDUBSW + VPMADDWD), a Go-assembly version generated with avo from
// the generator in the separate module under asm/ (go generate ./kernel).
// The version is picked once at start-up from the CPU's feature bits
// (golang.org/x/sys/cpu); Impl reports which. Building with -tags purego
// (or on another architecture) uses only the Go versions.
//
// Two regimes matter:
//
//   - Memory-bound loops (Dot, Sgemv at decode time, the GEMV of quantized
//     weights, norms, RoPE) touch each byte once. They are fast when they
//     stream memory at the machine's bandwidth: several independent vector
//     accumulators hide the FMA latency, and rows are split over goroutines
//     only when a call moves more than about 1 MiB (below that the
//     hand-off costs more than it saves). Sgemv (eight rows with AVX-512),
//     GemvF16, GemvBF16 and GemvQ8_0Q8 compute four rows at a time, loading
//     each piece of x once for all of them; the one-row GemvQ8_0 and
//     GemvQ4_0 kernels prefetch their row 2 KiB ahead (which choice is
//     faster was measured from memory on 4096×4096, not in cache, where it
//     can differ). A model's decode step calls SgemvStream for its large
//     F32 matrices with rows of up to 2048 floats instead: one row at a
//     time, a single stream per core, which read memory faster than four
//     rows side by side on such rows (slower on rows of 4096; measured
//     before Sgemv took eight). With AVX-512, GemvQ4_0 looks each
//     block's nibbles up in a 16-entry table d·(q−8) (VPERMPS) instead of
//     converting them to float, a third fewer vector instructions per block.
//   - Compute-bound loops (Sgemm, MatMulT) reuse each byte many times. They
//     are fast when operands come from cache: the matrices are cut into
//     blocks that fit the caches (KC×NR panels of B in L1, MC×KC blocks of A
//     in L2), the blocks are copied ("packed") into contiguous panels, and a
//     small register-blocked micro-kernel does all the arithmetic: an MR×NR
//     tile of C in registers, C[i][j] += Σ_p A[i][p]·B[p][j] over a KC
//     block, one fused multiply-add chain per element. This is the
//     BLIS/GotoBLAS design. The kernel families (GemmImpl names the one in
//     use) are 8×32 with 16 AVX-512 accumulators, 6×16 with 12 AVX2
//     accumulators, and pure Go; with the same KC they give the same bits.
//     A weight matrix multiplied by many prompts is packed once (PackB, in
//     the layout of B's panels) so MatMulPacked copies only the
//     activations.
//
// # Precision
//
// All arithmetic is float32. Vector reductions use several partial sums and
// so reassociate the sum: against a float64 reference, the error of Dot is
// bounded by about n·eps·Σ|x_i·y_i| with eps = 2⁻²⁴ (in practice far below,
// since the partial sums are short). Tests check exactly this bound. The
// vectorised exp used by Softmax and SiLUMul (Cephes-style range reduction
// and a degree-6 polynomial) is accurate to within 2 ulp on its range;
// arguments below about -87.3 give 0. GemvQ8_0 and GemvQ4_0 dequantise the
// weights exactly (d·q is exact in float32) and keep x in float32, so their
// only error is the reassociation of the sum plus the rounding of d·q·x.
// GemvQ8_0Q8 and GemvQ4_0Q8 are llama.cpp's faster CPU path: x is first
// quantized to Q8_0 (QuantizeQ8_0, 8 bits per value plus a scale per 32),
// then each block is an exact integer dot product scaled by d_w·d_x.
//
// # Every quant type
//
// kquant.go registers, for every weight type of quant's table of types
// (quant.RegisterKernels), a float-activation GEMV (each block decoded by
// the type's reference dequantizer and dotted with x), an integer-path
// GEMV (activations quantized by QuantizeActivations to the type's VecDot
// format, Q8_0, Q8_1 or Q8_K) and a matrix-matrix product over T tokens.
// The integer kernels follow llama.cpp's AVX2 float arithmetic lane by
// lane (eight lanes of 4-element integer sums, fused multiply-adds,
// llama.cpp's horizontal sum), so a value that lands on an activation
// rounding boundary in llama.cpp lands there here too; the assembly (Q4_K,
// Q5_K, Q6_K with a four-token GEMM, IQ4_XS, IQ4_NL, Q8_0; one-token Q6_K
// on AVX-512 VNNI, which does the integer work 64 elements at a time and
// folds it to the same eight lanes) is tested bit for bit against the
// generic Go.
//
// Tests compare every kernel with a plain float64 reference (ref_test.go)
// on lengths that are not multiples of the vector width, on unaligned
// slices and with NaN/Inf, with the bound above; fuzz targets (FuzzDot,
// FuzzSgemm, FuzzF32ToF16) run their seeds in every go test and explore
// with go test -fuzz.
//
// # Shapes and errors
//
// Kernels are hot paths, so they do not allocate and do not return errors.
// Every exported function checks the lengths of its arguments against the
// shape it is given and panics with a message naming the function and the
// mismatch ("kernel: Dot: len(x)=3 != len(y)=4"): a wrong shape is a
// programming error, like an index out of range. Slices may be longer than
// needed only where a doc comment says so; they may start anywhere (no
// alignment is required). Output slices must not overlap inputs unless the
// doc comment says the operation is in place.
//
// # Threads and memory
//
// Sgemv, MatMulT, Sgemm and the quantized GEMVs split their work over up to
// Threads() goroutines (default runtime.NumCPU()); SetThreads changes it.
// The other kernels run on the calling goroutine; callers split batches
// themselves if they want to. Packing buffers come from a sync.Pool, so the
// kernels do not allocate in steady state. RMSNormRows and LayerNormRows
// write outputs of 16 MiB or more with non-temporal stores, which bypass the
// caches: such an output cannot stay in the L3 anyway.
//
// # Regenerating the assembly
//
// asm_amd64.s and asm_amd64.go are generated; edit ../asm/*.go and run
// go generate ./kernel (needs the avo module, fetched by the Go toolchain).
package kernel
