package quant

import "fmt"

// Type is a ggml tensor element type. The numeric values are the official
// ggml_type numbers stored in GGUF tensor infos (gguf-py
// GGMLQuantizationType); numbers 4, 5 and 31–33 belong to removed formats.
type Type uint32

// The ggml tensor types.
const (
	F32     Type = 0
	F16     Type = 1
	Q4_0    Type = 2
	Q4_1    Type = 3
	Q5_0    Type = 6
	Q5_1    Type = 7
	Q8_0    Type = 8
	Q8_1    Type = 9
	Q2_K    Type = 10
	Q3_K    Type = 11
	Q4_K    Type = 12
	Q5_K    Type = 13
	Q6_K    Type = 14
	Q8_K    Type = 15
	IQ2_XXS Type = 16
	IQ2_XS  Type = 17
	IQ3_XXS Type = 18
	IQ1_S   Type = 19
	IQ4_NL  Type = 20
	IQ3_S   Type = 21
	IQ2_S   Type = 22
	IQ4_XS  Type = 23
	I8      Type = 24
	I16     Type = 25
	I32     Type = 26
	I64     Type = 27
	F64     Type = 28
	IQ1_M   Type = 29
	BF16    Type = 30
	TQ1_0   Type = 34
	TQ2_0   Type = 35
	MXFP4   Type = 39
)

// QK is the number of elements in a block of the 32-element formats
// (Q4_0 … Q8_1); QKK is the super-block size of the K-quants.
const (
	QK  = 32
	QKK = 256
)

// Info is one entry of the table of types: the block layout, the
// reference codecs, and the compute kernels of one ggml type. A new type is
// one entry here plus its kernels, registered by package kernel.
type Info struct {
	Name       string
	BlockSize  int // elements per block (1 for the element-wise types)
	BlockBytes int // bytes per block

	// Dequantize decodes one block (BlockBytes bytes) into BlockSize
	// floats; nil if the type cannot be decoded.
	Dequantize func(src []byte, dst []float32)
	// Quantize encodes a whole number of blocks; nil if there is no
	// encoder.
	Quantize func(src []float32, dst []byte) error
	// VecDot is the type that activations are quantized to on the integer
	// path, as in llama.cpp: Q8_0 or Q8_1 for the 32-element formats,
	// Q8_K for the K-quants and IQ4_XS, the weight type itself for F16
	// and BF16 (activations rounded to half precision).
	VecDot Type

	Kernels // registered by package kernel; zero until it is linked in
}

// Kernels are the compute routines of one weight type. W is m rows of n
// elements stored as t (n a multiple of the block size), rows contiguous.
// Package kernel registers them (RegisterKernels) at start-up, choosing the
// fastest variant the CPU supports; they panic on shape mismatch.
type Kernels struct {
	// Gemv computes y = W·x with float32 x: equal to the float32 product
	// of the dequantized matrix up to the order of the additions.
	Gemv func(y []float32, w []byte, x []float32, m, n int)
	// GemvQ computes y = W·x̃ where xq holds x quantized to VecDot
	// (QuantizeActivations): integer block dot products, llama.cpp's CPU
	// arithmetic.
	GemvQ func(y []float32, w, xq []byte, m, n int)
	// GemmQ computes Y[t][r] = W_r·x̃_t for T rows of activations each
	// quantized to VecDot (xq holds T quantized rows one after another),
	// y[t*ldy+r], reusing each piece of W for all T tokens.
	GemmQ func(y []float32, ldy int, w, xq []byte, m, n, T int)
	// Variant names the implementation of Gemv and GemvQ ("avx2",
	// "generic", …), for `llmparts info` and `bench kernels`.
	Variant string
	// PreferInt reports that GemvQ (with the cost of quantizing the
	// activations) measured faster than Gemv on this machine, so callers
	// use the integer path for this type unless told otherwise.
	PreferInt bool
	// PreferIntGemm reports that GemmQ, for several tokens (a prompt),
	// measured faster than the float path's dequantize-and-SGEMM, so
	// prompts use the integer path for this type even where PreferInt
	// (one token) does not.
	PreferIntGemm bool
}

var table [40]Info

func init() {
	for _, e := range []struct {
		t                Type
		name             string
		blockSize, bytes int
		vecDot           Type
	}{
		{F32, "F32", 1, 4, F32},
		{F16, "F16", 1, 2, F16},
		{Q4_0, "Q4_0", QK, 2 + QK/2, Q8_0},
		{Q4_1, "Q4_1", QK, 4 + QK/2, Q8_1},
		{Q5_0, "Q5_0", QK, 2 + 4 + QK/2, Q8_0},
		{Q5_1, "Q5_1", QK, 4 + 4 + QK/2, Q8_1},
		{Q8_0, "Q8_0", QK, 2 + QK, Q8_0},
		{Q8_1, "Q8_1", QK, 4 + QK, Q8_1},
		{Q2_K, "Q2_K", QKK, QKK/16 + QKK/4 + 4, Q8_K},
		{Q3_K, "Q3_K", QKK, QKK/8 + QKK/4 + 12 + 2, Q8_K},
		{Q4_K, "Q4_K", QKK, 4 + 12 + QKK/2, Q8_K},
		{Q5_K, "Q5_K", QKK, 4 + 12 + QKK/8 + QKK/2, Q8_K},
		{Q6_K, "Q6_K", QKK, QKK/2 + QKK/4 + QKK/16 + 2, Q8_K},
		{Q8_K, "Q8_K", QKK, 4 + QKK + QKK/16*2, Q8_K},
		{IQ2_XXS, "IQ2_XXS", QKK, 2 + QKK/8*2, Q8_K},
		{IQ2_XS, "IQ2_XS", QKK, 2 + QKK/8*2 + QKK/32, Q8_K},
		{IQ3_XXS, "IQ3_XXS", QKK, 2 + QKK/4 + QKK/8, Q8_K},
		{IQ1_S, "IQ1_S", QKK, 2 + QKK/8 + QKK/16, Q8_K},
		{IQ4_NL, "IQ4_NL", QK, 2 + QK/2, Q8_0},
		{IQ3_S, "IQ3_S", QKK, 2 + QKK/4 + QKK/32 + QKK/8 + QKK/64, Q8_K},
		{IQ2_S, "IQ2_S", QKK, 2 + QKK/4 + QKK/16, Q8_K},
		{IQ4_XS, "IQ4_XS", QKK, 2 + 2 + QKK/64 + QKK/2, Q8_K},
		{I8, "I8", 1, 1, 0},
		{I16, "I16", 1, 2, 0},
		{I32, "I32", 1, 4, 0},
		{I64, "I64", 1, 8, 0},
		{F64, "F64", 1, 8, 0},
		{IQ1_M, "IQ1_M", QKK, QKK/8 + QKK/16 + QKK/32, Q8_K},
		{BF16, "BF16", 1, 2, BF16},
		{TQ1_0, "TQ1_0", QKK, 2 + 4*13, Q8_K},
		{TQ2_0, "TQ2_0", QKK, 2 + QKK/4, Q8_K},
		{MXFP4, "MXFP4", QK, 1 + QK/2, Q8_0},
	} {
		table[e.t] = Info{Name: e.name, BlockSize: e.blockSize, BlockBytes: e.bytes, VecDot: e.vecDot,
			Dequantize: dequantizers[e.t], Quantize: quantizers[e.t]}
	}
}

// info returns t's entry, or nil if t is unknown.
func (t Type) info() *Info {
	if int(t) < len(table) && table[t].BlockSize > 0 {
		return &table[t]
	}
	return nil
}

// Info returns t's entry in the table of types (a copy; the zero Info if t
// is unknown).
func (t Type) Info() Info {
	if ti := t.info(); ti != nil {
		return *ti
	}
	return Info{}
}

// Types lists every known type in numeric order.
func Types() []Type {
	var ts []Type
	for t := range table {
		if table[t].BlockSize > 0 {
			ts = append(ts, Type(t))
		}
	}
	return ts
}

// RegisterKernels installs the kernels of t (called by package kernel at
// start-up; later calls replace earlier ones). It panics if t is unknown.
func RegisterKernels(t Type, k Kernels) {
	ti := t.info()
	if ti == nil {
		panic(fmt.Sprintf("quant: RegisterKernels: unknown type %d", uint32(t)))
	}
	ti.Kernels = k
}

// Kernels returns the kernels registered for t (zero fields where there
// are none: the type must then be dequantized to F32 to compute with it).
func (t Type) Kernels() Kernels {
	if ti := t.info(); ti != nil {
		return ti.Kernels
	}
	return Kernels{}
}

// VecDot returns the type activations are quantized to on the integer
// path for weights of type t (0 if none).
func (t Type) VecDot() Type {
	if ti := t.info(); ti != nil {
		return ti.VecDot
	}
	return 0
}

// Known reports whether t is a ggml type this package knows the block
// layout of (it may still lack a Dequantize implementation).
func (t Type) Known() bool { return t.info() != nil }

// String returns the ggml name of t ("Q4_K"), or "type(N)" if unknown.
func (t Type) String() string {
	if ti := t.info(); ti != nil {
		return ti.Name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// BlockSize returns the number of elements per block (1 for the plain
// types, 32 or 256 for the quantized ones), or 0 if t is unknown.
func (t Type) BlockSize() int {
	if ti := t.info(); ti != nil {
		return ti.BlockSize
	}
	return 0
}

// BlockBytes returns the number of bytes per block, or 0 if t is unknown.
func (t Type) BlockBytes() int {
	if ti := t.info(); ti != nil {
		return ti.BlockBytes
	}
	return 0
}

// Quantized reports whether t stores elements in multi-element blocks.
func (t Type) Quantized() bool { return t.BlockSize() > 1 }

// RowBytes returns the number of bytes that n elements of type t occupy.
// It fails if t is unknown or n is not a multiple of the block size.
func (t Type) RowBytes(n int) (int, error) {
	ti := t.info()
	if ti == nil {
		return 0, fmt.Errorf("unknown ggml type %d", uint32(t))
	}
	if n < 0 || n%ti.BlockSize != 0 {
		return 0, fmt.Errorf("%v: %d elements is not a multiple of the block size %d", t, n, ti.BlockSize)
	}
	return n / ti.BlockSize * ti.BlockBytes, nil
}

// MustRowBytes is RowBytes for callers that have already checked the shape;
// it panics where RowBytes fails.
func (t Type) MustRowBytes(n int) int {
	rb, err := t.RowBytes(n)
	if err != nil {
		panic("quant: " + err.Error())
	}
	return rb
}

// ParseType returns the type named s (case-insensitive, e.g. "q8_0").
func ParseType(s string) (Type, error) {
	for t := range table {
		if table[t].BlockSize > 0 && equalFold(table[t].Name, s) {
			return Type(t), nil
		}
	}
	return 0, fmt.Errorf("unknown ggml type %q", s)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
