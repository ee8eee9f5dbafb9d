package gguf

import (
	"fmt"
	"io"
	"strings"
)

// Dump writes a readable description of f to w: the header, every
// metadata entry (arrays show at most maxArray elements; a negative
// maxArray shows all), every tensor, and per-type totals.
func (f *File) Dump(w io.Writer, maxArray int) error {
	ew := &errWriter{w: w}
	name := f.name
	if name == "" {
		name = "(reader)"
	}
	ew.printf("file:       %s\n", name)
	ew.printf("version:    %d, %d bytes, alignment %d, data at offset %d\n", f.Version, f.Size, f.Alignment, f.DataOffset)
	ew.printf("metadata:   %d entries\n", len(f.KV))
	for _, kv := range f.KV {
		ew.printf("  %-44s %-14s %s\n", kv.Key, typeName(kv.Value), formatValue(kv.Value, maxArray))
	}
	ew.printf("tensors:    %d, %d elements\n", len(f.Tensors), f.ParamCount())
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		dims := make([]string, len(ti.Shape))
		for j, d := range ti.Shape {
			dims[j] = fmt.Sprint(d)
		}
		ew.printf("  %-44s %-7v [%s] %d bytes at +%d\n", ti.Name, ti.Type, strings.Join(dims, ", "), ti.Size, ti.Offset)
	}
	for _, s := range f.TypeStats() {
		ew.printf("  %-7v %4d tensors, %12d elements, %12d bytes\n", s.Type, s.Tensors, s.Elements, s.Bytes)
	}
	return ew.err
}

func typeName(v Value) string {
	if v.Type() == TypeArray {
		return fmt.Sprintf("%v[%d]", v.ElemType(), v.Len())
	}
	return v.Type().String()
}

// formatValue renders a value, quoting strings and listing at most max
// array elements (all if max < 0).
func formatValue(v Value, max int) string {
	if v.Type() != TypeArray {
		if s, ok := v.Data.(string); ok {
			return fmt.Sprintf("%q", s)
		}
		return fmt.Sprint(v.Data)
	}
	n := v.Len()
	shown := n
	if max >= 0 && shown > max {
		shown = max
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < shown; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatValue(elem(v, i), max))
	}
	if shown < n {
		fmt.Fprintf(&b, ", … %d more", n-shown)
	}
	b.WriteByte(']')
	return b.String()
}

// elem returns element i of an array value.
func elem(v Value, i int) Value {
	switch a := v.Data.(type) {
	case []uint8:
		return Value{a[i]}
	case []int8:
		return Value{a[i]}
	case []uint16:
		return Value{a[i]}
	case []int16:
		return Value{a[i]}
	case []uint32:
		return Value{a[i]}
	case []int32:
		return Value{a[i]}
	case []float32:
		return Value{a[i]}
	case []bool:
		return Value{a[i]}
	case []string:
		return Value{a[i]}
	case []uint64:
		return Value{a[i]}
	case []int64:
		return Value{a[i]}
	case []float64:
		return Value{a[i]}
	case []Value:
		return a[i]
	}
	return Value{}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
