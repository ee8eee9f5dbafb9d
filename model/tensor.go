package model

import (
	"fmt"

	"github.com/llmparts/llmparts/internal/le"
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/quant"
)

// Tensor is a row-major weight matrix [Rows][Cols] (a vector has Cols = n,
// Rows = 1). Type is the storage type, an entry of quant's table of types:
// F32 tensors keep their values in F32; the other types keep the raw GGUF
// bytes in Raw (blocks run along a row) and are multiplied in place by the
// type's kernels (Type.Kernels()).
type Tensor struct {
	Name       string
	Type       quant.Type
	Rows, Cols int
	F32        []float32
	Raw        []byte
}

// InPlace reports whether weights of type t are multiplied in their stored
// form (the type has kernels in quant's table); other types are
// dequantized to F32 when a model loads.
func InPlace(t quant.Type) bool { return t.Kernels().Gemv != nil && quant.CanDequantize(t) }

// NewF32 wraps values as a rows×cols F32 tensor.
func NewF32(name string, rows, cols int, values []float32) *Tensor {
	return &Tensor{Name: name, Type: quant.F32, Rows: rows, Cols: cols, F32: values}
}

// NewRaw wraps raw data of type typ as a rows×cols tensor, checking that
// the type can be computed on in place (it has kernels) and that the
// length and the block alignment agree with the shape.
func NewRaw(name string, typ quant.Type, rows, cols int, raw []byte) (*Tensor, error) {
	if !InPlace(typ) {
		return nil, fmt.Errorf("tensor %s: type %v cannot be computed on in place", name, typ)
	}
	if bs := typ.BlockSize(); cols%bs != 0 {
		return nil, fmt.Errorf("tensor %s: %d columns is not a multiple of the %v block size %d", name, cols, typ, bs)
	}
	if typ == quant.F32 {
		if len(raw) != rows*cols*4 {
			return nil, fmt.Errorf("tensor %s: %d bytes for %d×%d F32", name, len(raw), rows, cols)
		}
		return NewF32(name, rows, cols, le.Float32s(raw)), nil
	}
	if need := typ.MustRowBytes(cols) * rows; len(raw) != need {
		return nil, fmt.Errorf("tensor %s: %d bytes, want %d for %d×%d %v", name, len(raw), need, rows, cols, typ)
	}
	return &Tensor{Name: name, Type: typ, Rows: rows, Cols: cols, Raw: raw}, nil
}

// Bytes returns the storage size of the tensor.
func (t *Tensor) Bytes() int64 { return int64(t.rowBytes()) * int64(t.Rows) }

// rowBytes returns the storage size of one row.
func (t *Tensor) rowBytes() int { return t.Type.MustRowBytes(t.Cols) }

// Row writes row i as float32 into dst[:Cols].
func (t *Tensor) Row(i int, dst []float32) {
	n := t.Cols
	switch t.Type {
	case quant.F32:
		copy(dst[:n], t.F32[i*n:(i+1)*n])
		return
	case quant.F16:
		if u := le.Uint16s(t.Raw[i*2*n : (i+1)*2*n]); u != nil {
			kernel.F16ToF32(dst[:n], u)
			return
		}
	}
	rb := t.rowBytes()
	_ = quant.Dequantize(t.Type, t.Raw[i*rb:(i+1)*rb], dst[:n]) // length checked at load
}

// rows returns rows r0..r1 as a tensor sharing t's storage (a fused
// qkv or gate_up matrix is split this way).
func (t *Tensor) rows(r0, r1 int) *Tensor {
	v := &Tensor{Name: fmt.Sprintf("%s[%d:%d]", t.Name, r0, r1), Type: t.Type, Rows: r1 - r0, Cols: t.Cols}
	if t.Type == quant.F32 {
		v.F32 = t.F32[r0*t.Cols : r1*t.Cols]
	} else {
		rb := t.rowBytes()
		v.Raw = t.Raw[r0*rb : r1*rb]
	}
	return v
}

// Float32 returns all values dequantized (the F32 slice itself for F32).
func (t *Tensor) Float32() []float32 {
	if t.Type == quant.F32 {
		return t.F32
	}
	out := make([]float32, t.Rows*t.Cols)
	for i := 0; i < t.Rows; i++ {
		t.Row(i, out[i*t.Cols:])
	}
	return out
}
