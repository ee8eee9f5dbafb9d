package gguf

import (
	"github.com/llmparts/llmparts/quant"
)

// Dequantize returns all elements of the named tensor converted to
// float32 (see quant.Dequantize for the supported types).
func (f *File) Dequantize(name string) ([]float32, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return nil, f.errorf("no tensor %q", name)
	}
	if !quant.CanDequantize(ti.Type) {
		return nil, f.errorf("tensor %q: cannot dequantize type %v", name, ti.Type)
	}
	data, err := f.TensorData(name)
	if err != nil {
		return nil, err
	}
	out := make([]float32, ti.Elements())
	if err := quant.Dequantize(ti.Type, data, out); err != nil {
		return nil, f.errorf("tensor %q: %v", name, err)
	}
	return out, nil
}

// ParamCount returns the total number of tensor elements in the file.
func (f *File) ParamCount() uint64 {
	var n uint64
	for i := range f.Tensors {
		n += f.Tensors[i].Elements()
	}
	return n
}

// TypeStats summarises the tensors of one ggml type.
type TypeStats struct {
	Type     GGMLType
	Tensors  int    // number of tensors
	Elements uint64 // total elements
	Bytes    uint64 // total data bytes
}

// TypeStats returns per-type tensor counts, element counts and bytes,
// ordered by type number.
func (f *File) TypeStats() []TypeStats {
	m := map[GGMLType]*TypeStats{}
	var order []GGMLType
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		s, ok := m[ti.Type]
		if !ok {
			s = &TypeStats{Type: ti.Type}
			m[ti.Type] = s
			order = append(order, ti.Type)
		}
		s.Tensors++
		s.Elements += ti.Elements()
		s.Bytes += ti.Size
	}
	out := make([]TypeStats, 0, len(order))
	for _, t := range order {
		out = append(out, *m[t])
	}
	for i := 1; i < len(out); i++ { // insertion sort by type number
		for j := i; j > 0 && out[j].Type < out[j-1].Type; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
