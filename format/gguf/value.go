package gguf

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/quant"
)

// GGMLType is a ggml tensor element type (F32, F16, Q8_0, Q4_K…); it is
// the same type as quant.Type.
type GGMLType = quant.Type

// The ggml tensor types most used by GGUF files (see quant for all).
const (
	TypeF32  = quant.F32
	TypeF16  = quant.F16
	TypeBF16 = quant.BF16
	TypeQ4_0 = quant.Q4_0
	TypeQ4_1 = quant.Q4_1
	TypeQ5_0 = quant.Q5_0
	TypeQ5_1 = quant.Q5_1
	TypeQ8_0 = quant.Q8_0
	TypeQ8_1 = quant.Q8_1
	TypeQ2_K = quant.Q2_K
	TypeQ3_K = quant.Q3_K
	TypeQ4_K = quant.Q4_K
	TypeQ5_K = quant.Q5_K
	TypeQ6_K = quant.Q6_K
	TypeQ8_K = quant.Q8_K
	TypeI8   = quant.I8
	TypeI16  = quant.I16
	TypeI32  = quant.I32
	TypeI64  = quant.I64
	TypeF64  = quant.F64
)

// ValueType is the type tag of a metadata value in a GGUF file.
type ValueType uint32

// The GGUF metadata value types, with their numbers in the file.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the GGUF name of the value type ("uint32", "array"…).
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("valuetype(%d)", uint32(t))
}

// size is the encoded size of a fixed-size value type, 0 for string and
// array, -1 for an unknown type.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	case TypeString, TypeArray:
		return 0
	}
	return -1
}

// Value is one metadata value. Data holds exactly one of these Go types:
// uint8, int8, uint16, int16, uint32, int32, float32, bool, string, uint64,
// int64, float64 for scalars; []uint8, []int8, []uint16, []int16, []uint32,
// []int32, []float32, []bool, []string, []uint64, []int64, []float64 for
// arrays; and []Value (each element itself an array Value) for an array of
// arrays. To build a value for the writer, set Data: Value{Data: uint32(7)}.
type Value struct {
	Data any
}

// Type returns the GGUF value type of v (TypeArray for every slice), or
// an error-marker type (valuetype(255)) if Data holds an unsupported Go type.
func (v Value) Type() ValueType {
	t, _ := typeOf(v.Data)
	return t
}

// ElemType returns the element type of an array value (TypeArray for an
// array of arrays); for a scalar it returns the scalar's own type.
func (v Value) ElemType() ValueType {
	_, e := typeOf(v.Data)
	return e
}

const badType ValueType = 255

func typeOf(x any) (t, elem ValueType) {
	switch x.(type) {
	case uint8:
		return TypeUint8, TypeUint8
	case int8:
		return TypeInt8, TypeInt8
	case uint16:
		return TypeUint16, TypeUint16
	case int16:
		return TypeInt16, TypeInt16
	case uint32:
		return TypeUint32, TypeUint32
	case int32:
		return TypeInt32, TypeInt32
	case float32:
		return TypeFloat32, TypeFloat32
	case bool:
		return TypeBool, TypeBool
	case string:
		return TypeString, TypeString
	case uint64:
		return TypeUint64, TypeUint64
	case int64:
		return TypeInt64, TypeInt64
	case float64:
		return TypeFloat64, TypeFloat64
	case []uint8:
		return TypeArray, TypeUint8
	case []int8:
		return TypeArray, TypeInt8
	case []uint16:
		return TypeArray, TypeUint16
	case []int16:
		return TypeArray, TypeInt16
	case []uint32:
		return TypeArray, TypeUint32
	case []int32:
		return TypeArray, TypeInt32
	case []float32:
		return TypeArray, TypeFloat32
	case []bool:
		return TypeArray, TypeBool
	case []string:
		return TypeArray, TypeString
	case []uint64:
		return TypeArray, TypeUint64
	case []int64:
		return TypeArray, TypeInt64
	case []float64:
		return TypeArray, TypeFloat64
	case []Value:
		return TypeArray, TypeArray
	}
	return badType, badType
}

// Len returns the number of elements of an array value, or 0 for a scalar.
func (v Value) Len() int {
	switch a := v.Data.(type) {
	case []uint8:
		return len(a)
	case []int8:
		return len(a)
	case []uint16:
		return len(a)
	case []int16:
		return len(a)
	case []uint32:
		return len(a)
	case []int32:
		return len(a)
	case []float32:
		return len(a)
	case []bool:
		return len(a)
	case []string:
		return len(a)
	case []uint64:
		return len(a)
	case []int64:
		return len(a)
	case []float64:
		return len(a)
	case []Value:
		return len(a)
	}
	return 0
}

// Int returns v as an int64 if it is an integer scalar whose value fits.
func (v Value) Int() (int64, bool) {
	switch x := v.Data.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Uint returns v as a uint64 if it is a non-negative integer scalar.
func (v Value) Uint() (uint64, bool) {
	if x, ok := v.Data.(uint64); ok {
		return x, true
	}
	i, ok := v.Int()
	if !ok || i < 0 {
		return 0, false
	}
	return uint64(i), true
}

// Float returns v as a float64 if it is a float32 or float64 scalar.
func (v Value) Float() (float64, bool) {
	switch x := v.Data.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// String formats v for display; long arrays are abbreviated.
func (v Value) String() string {
	switch x := v.Data.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "<nil>"
	}
	if v.Type() != TypeArray {
		return fmt.Sprint(v.Data)
	}
	n := v.Len()
	if n > 8 {
		return fmt.Sprintf("[%d × %v]", n, v.ElemType())
	}
	return fmt.Sprint(v.Data)
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor of a GGUF file.
type TensorInfo struct {
	Name string
	// Shape lists the dimensions in ggml order: Shape[0] (ne[0]) is the
	// row length, the contiguous dimension. A 2-D weight of a linear layer
	// y = W·x with x of length n and y of length m has Shape [n, m].
	Shape []uint64
	Type  GGMLType
	// Offset is the byte offset of the data relative to the start of the
	// data section (File.DataOffset).
	Offset uint64
	// Size is the number of data bytes, computed from Shape and Type.
	Size uint64
}

// Elements returns the number of elements (the product of Shape).
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Rows returns the number of rows of length Shape[0] (Elements/Shape[0]),
// or 0 for an empty tensor.
func (t *TensorInfo) Rows() uint64 {
	if len(t.Shape) == 0 {
		return 1
	}
	if t.Shape[0] == 0 {
		return 0
	}
	return t.Elements() / t.Shape[0]
}

// tensorSize computes the byte size of a tensor of the given shape and type
// and checks that the row length is a multiple of the block size and that
// nothing overflows.
func tensorSize(typ GGMLType, shape []uint64) (uint64, error) {
	if !typ.Known() {
		return 0, fmt.Errorf("unknown ggml type %d", uint32(typ))
	}
	if len(shape) > MaxDims {
		return 0, fmt.Errorf("%d dimensions (at most %d)", len(shape), MaxDims)
	}
	n := uint64(1)
	for _, d := range shape {
		if d > math.MaxInt64 {
			return 0, fmt.Errorf("dimension %d too large", d)
		}
		if d != 0 && n > math.MaxInt64/d {
			return 0, fmt.Errorf("shape %v: element count overflows", shape)
		}
		n *= d
	}
	bs := uint64(typ.BlockSize())
	if len(shape) > 0 && shape[0]%bs != 0 {
		return 0, fmt.Errorf("row length %d is not a multiple of the %v block size %d", shape[0], typ, bs)
	}
	if len(shape) == 0 && bs != 1 {
		return 0, fmt.Errorf("scalar tensor of block type %v", typ)
	}
	blocks := n / bs
	bb := uint64(typ.BlockBytes())
	if blocks > math.MaxInt64/bb {
		return 0, fmt.Errorf("shape %v: byte size overflows", shape)
	}
	return blocks * bb, nil
}

// MaxDims is the largest number of dimensions of a ggml tensor.
const MaxDims = 4

// DefaultAlignment is the data alignment used when general.alignment is
// absent.
const DefaultAlignment = 32
