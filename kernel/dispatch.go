package kernel

//go:generate go run -C ../asm . -out ../kernel/asm_amd64.s -stubs ../kernel/asm_amd64.go -pkg kernel

// The implementation of every kernel is reached through these variables,
// set to the pure-Go versions here and replaced at start-up (init in
// dispatch_amd64.go) by assembly versions when the CPU supports them.
var (
	impl = "generic"

	dotImpl       = dotGeneric
	axpyImpl      = axpyGeneric
	scaleImpl     = scaleGeneric
	addImpl       = addGeneric
	mulImpl       = mulGeneric
	sumSqImpl     = sumSqGeneric
	maxImpl       = maxGeneric
	expSubImpl    = expSubGeneric
	siluMulImpl   = siluMulGeneric
	sumImpl       = sumGeneric
	sumSqDiffImpl = sumSqDiffGeneric
	scaleMulImpl  = scaleMulGeneric

	// Non-temporal-store variants (nil: not available).
	scaleMulNTImpl   func(y, x, w []float32, s float32)
	normAffineNTImpl func(y, x, w, b []float32, mu, inv float32)

	dot3Impl            = dot3Generic
	axpyMulImpl         = axpyMulGeneric
	rmsBwdImpl          = rmsBwdGeneric
	rmsBwdFusedImpl     = rmsBwdFusedGeneric
	normAffineImpl      = normAffineGeneric
	lnBwdSumsImpl       = lnBwdSumsGeneric
	lnBwdParamImpl      = lnBwdParamGeneric
	lnBwdDxImpl         = lnBwdDxGeneric
	lnBwdFusedImpl      = lnBwdFusedGeneric
	ropeHalfImpl        = ropeHalfGeneric
	ropeInterleavedImpl = ropeInterleavedGeneric

	// ropeHeadsImpl, if set, rotates all heads of one token and reports
	// whether it could (false: the caller falls back to per-head code).
	ropeHeadsImpl func(x, c, s []float32, nHeads, headDim, nDims int, halfSplit, inverse bool) bool
	sgemvRowsImpl = sgemvRowsGeneric
	sgemvName     = "generic"
	// sgemvStreamImpl is SgemvStream's kernel: row dots (dotImpl), or
	// the AVX-512 one-row kernel.
	sgemvStreamImpl = sgemvRowsGeneric
	// transpose8Impl, if set, transposes 8-row strips for the GEMM's
	// packing (see interleave8).
	transpose8Impl func(dst []float32, stride int, src []float32, ld, kc int)
	sgemvMultiImpl = sgemvMultiGeneric
	gemvQ8Impl     = gemvQ8Generic
	gemvQ4Impl     = gemvQ4Generic

	// gemvQ4SumImpl, if set, is a Q4_0 GEMV given the block sums sx of x.
	gemvQ4SumImpl func(y []float32, w []byte, x, sx []float32)

	gemvQ8Q8Impl = gemvQ8Q8Generic
	// gemvQ8Q8RowImpl is the one-row, one-accumulator Q8_0·Q8_0 kernel
	// whose float sums round as llama.cpp's (quant's table uses it).
	gemvQ8Q8RowImpl = gemvQ8Q8Generic
	gemvQ4Q8Impl    = gemvQ4Q8Generic
	f16ToF32Impl    = f16ToF32Generic
	f32ToF16Impl    = f32ToF16Generic
	dotF16Impl      = dotF16Generic
	dotBF16Impl     = dotBF16Generic

	// gemvF16RowsImpl and gemvBF16RowsImpl, if set, compute four rows at
	// a time over whole 8-element vectors (see gemvHalfRows).
	gemvF16RowsImpl, gemvBF16RowsImpl func(y []float32, w []uint16, x []float32, ldw int)
)

// Impl names the implementation chosen at start-up: "avx2" (AVX2 + FMA
// assembly, amd64), or "generic" (pure Go: other architectures, older
// CPUs, or the purego build tag).
func Impl() string { return impl }
