package model

import (
	"fmt"

	"github.com/llmparts/llmparts/internal/le"
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/quant"
)

// DType is the storage type of a weight tensor.
type DType int

// The storage types computed on directly. Other GGUF types are dequantized
// to F32 when the model is loaded.
const (
	F32  DType = iota // float32
	F16               // IEEE half precision, converted in the dot product
	Q8_0              // blocks of 32: float16 scale d, 32 int8 q; w = d·q
	Q4_0              // blocks of 32: float16 scale d, 16 bytes of nibbles; w = d·(nibble−8)
)

// String returns the ggml name of the type ("F32", "Q8_0", ...).
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case Q8_0:
		return "Q8_0"
	case Q4_0:
		return "Q4_0"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// quant returns the ggml type of d.
func (d DType) quant() quant.Type {
	switch d {
	case F16:
		return quant.F16
	case Q8_0:
		return quant.Q8_0
	case Q4_0:
		return quant.Q4_0
	}
	return quant.F32
}

// rowBytes returns the storage size of a row of cols values.
func (d DType) rowBytes(cols int) int {
	switch d {
	case F32:
		return 4 * cols
	case F16:
		return 2 * cols
	case Q8_0:
		return cols / 32 * 34
	case Q4_0:
		return cols / 32 * 18
	}
	return 0
}

// Tensor is a row-major weight matrix [Rows][Cols] (a vector has Cols = n,
// Rows = 1). F32 tensors keep their values in F32; the other types keep
// the raw GGUF bytes in Raw (blocks run along a row).
type Tensor struct {
	Name       string
	Type       DType
	Rows, Cols int
	F32        []float32
	Raw        []byte
}

// NewF32 wraps values as a rows×cols F32 tensor.
func NewF32(name string, rows, cols int, values []float32) *Tensor {
	return &Tensor{Name: name, Type: F32, Rows: rows, Cols: cols, F32: values}
}

// NewRaw wraps raw F16, Q8_0 or Q4_0 data as a rows×cols tensor, checking
// that the length and the block alignment agree with the shape.
func NewRaw(name string, typ DType, rows, cols int, raw []byte) (*Tensor, error) {
	if (typ == Q8_0 || typ == Q4_0) && cols%32 != 0 {
		return nil, fmt.Errorf("tensor %s: %d columns is not a multiple of the %v block size 32", name, cols, typ)
	}
	if typ == F32 {
		if len(raw) != rows*cols*4 {
			return nil, fmt.Errorf("tensor %s: %d bytes for %d×%d F32", name, len(raw), rows, cols)
		}
		return NewF32(name, rows, cols, le.Float32s(raw)), nil
	}
	if need := typ.rowBytes(cols) * rows; len(raw) != need {
		return nil, fmt.Errorf("tensor %s: %d bytes, want %d for %d×%d %v", name, len(raw), need, rows, cols, typ)
	}
	return &Tensor{Name: name, Type: typ, Rows: rows, Cols: cols, Raw: raw}, nil
}

// Bytes returns the storage size of the tensor.
func (t *Tensor) Bytes() int64 { return int64(t.Type.rowBytes(t.Cols)) * int64(t.Rows) }

// Row writes row i as float32 into dst[:Cols].
func (t *Tensor) Row(i int, dst []float32) {
	n := t.Cols
	switch t.Type {
	case F32:
		copy(dst[:n], t.F32[i*n:(i+1)*n])
		return
	case F16:
		if u := le.Uint16s(t.Raw[i*2*n : (i+1)*2*n]); u != nil {
			kernel.F16ToF32(dst[:n], u)
			return
		}
	}
	rb := t.Type.rowBytes(n)
	_ = quant.Dequantize(t.Type.quant(), t.Raw[i*rb:(i+1)*rb], dst[:n]) // length checked at load
}

// rows returns rows r0..r1 as a tensor sharing t's storage (a fused
// qkv or gate_up matrix is split this way).
func (t *Tensor) rows(r0, r1 int) *Tensor {
	v := &Tensor{Name: fmt.Sprintf("%s[%d:%d]", t.Name, r0, r1), Type: t.Type, Rows: r1 - r0, Cols: t.Cols}
	if t.Type == F32 {
		v.F32 = t.F32[r0*t.Cols : r1*t.Cols]
	} else {
		rb := t.Type.rowBytes(t.Cols)
		v.Raw = t.Raw[r0*rb : r1*rb]
	}
	return v
}

// Float32 returns all values dequantized (the F32 slice itself for F32).
func (t *Tensor) Float32() []float32 {
	if t.Type == F32 {
		return t.F32
	}
	out := make([]float32, t.Rows*t.Cols)
	for i := 0; i < t.Rows; i++ {
		t.Row(i, out[i*t.Cols:])
	}
	return out
}
