package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/llmparts/llmparts/quant"
)

// Tensor is a tensor to write: its info and its raw data in the block
// format of Type (see quant for encoders).
type Tensor struct {
	Name  string
	Type  GGMLType
	Shape []uint64 // ggml order: Shape[0] is the row length
	Data  []byte
}

// Write saves a GGUF v3 file at path atomically (a temporary file in the
// same directory is written, synced and renamed over path).
func Write(path string, kvs []KV, tensors []Tensor) error {
	w, err := Create(path)
	if err != nil {
		return err
	}
	if err := w.AddKVs(kvs); err != nil {
		w.Abort()
		return err
	}
	for _, t := range tensors {
		if err := w.AddTensor(t.Name, t.Type, t.Shape); err != nil {
			w.Abort()
			return err
		}
	}
	for _, t := range tensors {
		if err := w.WriteTensor(t.Name, t.Data); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// Writer writes a GGUF v3 file in one pass, streaming tensor data so that
// only one tensor needs to be in memory at a time. Declare every metadata
// entry (AddKV) and every tensor (AddTensor) first, then call WriteTensor
// for each tensor in the order they were added, then Close.
type Writer struct {
	bw        *bufio.Writer
	name      string // for errors
	kvs       []KV
	keys      map[string]bool
	tensors   []TensorInfo
	names     map[string]bool
	alignment uint64
	dataSize  uint64 // data section size so far (declared tensors)
	started   bool   // header written
	next      int    // next tensor to write
	pos       uint64 // bytes written to the data section
	partial   uint64 // bytes of tensor next written so far
	err       error

	file      *os.File // set by Create
	tmp, path string
}

// NewWriter returns a Writer that writes to w. Close flushes but does not
// close w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 1<<20), keys: map[string]bool{}, names: map[string]bool{}, alignment: DefaultAlignment}
}

// Create returns a Writer for a new GGUF file at path. Data goes to a
// temporary file in the same directory that Close syncs and renames to
// path; Abort (or a failed Close) removes it.
func Create(path string) (*Writer, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	w := NewWriter(f)
	w.file, w.tmp, w.path, w.name = f, f.Name(), path, path
	return w, nil
}

func (w *Writer) errorf(format string, args ...any) error {
	if w.name != "" {
		return fmt.Errorf("gguf: %s: "+format, append([]any{w.name}, args...)...)
	}
	return fmt.Errorf("gguf: "+format, args...)
}

// AddKV adds a metadata entry. Keys must be unique. A "general.alignment"
// entry (uint32 power of two) sets the data alignment.
func (w *Writer) AddKV(key string, v Value) error {
	if w.started {
		return w.errorf("metadata %q added after tensor data", key)
	}
	if w.keys[key] {
		return w.errorf("duplicate metadata key %q", key)
	}
	if err := checkValue(v, 0); err != nil {
		return w.errorf("metadata %q: %v", key, err)
	}
	if key == "general.alignment" {
		a, ok := v.Data.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return w.errorf("general.alignment must be a uint32 power of two, not %v (%v)", v, v.Type())
		}
		if len(w.tensors) > 0 {
			return w.errorf("general.alignment added after tensors")
		}
		w.alignment = uint64(a)
	}
	w.keys[key] = true
	w.kvs = append(w.kvs, KV{key, v})
	return nil
}

// AddKVs adds the metadata entries kvs in order (see AddKV), stopping at
// the first error.
func (w *Writer) AddKVs(kvs []KV) error {
	for _, kv := range kvs {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(v Value, depth int) error {
	t, et := typeOf(v.Data)
	if t == badType {
		return fmt.Errorf("unsupported Go type %T", v.Data)
	}
	if et == TypeArray {
		if depth+1 >= maxNesting {
			return fmt.Errorf("arrays nested more than %d deep", maxNesting)
		}
		for i, e := range v.Data.([]Value) {
			if e.Type() != TypeArray {
				return fmt.Errorf("element %d of an array of arrays is a %v", i, e.Type())
			}
			if err := checkValue(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddTensor declares a tensor. Its data offset is assigned now; its bytes
// are given later with WriteTensor.
func (w *Writer) AddTensor(name string, typ GGMLType, shape []uint64) error {
	if w.started {
		return w.errorf("tensor %q added after tensor data", name)
	}
	if w.names[name] {
		return w.errorf("duplicate tensor name %q", name)
	}
	size, err := tensorSize(typ, shape)
	if err != nil {
		return w.errorf("tensor %q: %v", name, err)
	}
	w.names[name] = true
	w.tensors = append(w.tensors, TensorInfo{Name: name, Shape: append([]uint64(nil), shape...), Type: typ, Offset: w.dataSize, Size: size})
	w.dataSize = alignUp(w.dataSize+size, w.alignment)
	return nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// WriteTensor writes the data of the next declared tensor, which must be
// named name; len(data) must equal the tensor's size.
func (w *Writer) WriteTensor(name string, data []byte) error {
	if w.err == nil && w.next < len(w.tensors) && w.partial == 0 && uint64(len(data)) != w.tensors[w.next].Size {
		ti := &w.tensors[w.next]
		return w.errorf("tensor %q: %d bytes of data, want %d for %v %v", name, len(data), ti.Size, ti.Type, ti.Shape)
	}
	return w.WriteTensorPart(name, data)
}

// WriteTensorPart writes the next piece of the data of the next declared
// tensor, which must be named name. Pieces are concatenated; the tensor is
// complete when its size is reached. It lets a large tensor be produced and
// written a few rows at a time.
func (w *Writer) WriteTensorPart(name string, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.next >= len(w.tensors) {
		return w.errorf("tensor %q: all declared tensors are written", name)
	}
	ti := &w.tensors[w.next]
	if ti.Name != name {
		return w.errorf("tensor %q written out of order (next is %q)", name, ti.Name)
	}
	if uint64(len(data)) > ti.Size-w.partial {
		return w.errorf("tensor %q: %d more bytes of data, but only %d of its %d remain", name, len(data), ti.Size-w.partial, ti.Size)
	}
	if err := w.header(); err != nil {
		return err
	}
	if _, err := w.bw.Write(data); err != nil {
		w.err = w.errorf("tensor %q: %v", name, err)
		return w.err
	}
	w.pos += uint64(len(data))
	w.partial += uint64(len(data))
	if w.partial == ti.Size {
		if err := w.pad(alignUp(w.pos, w.alignment) - w.pos); err != nil {
			return err
		}
		w.next++
		w.partial = 0
	}
	return nil
}

func (w *Writer) pad(n uint64) error {
	var zero [64]byte
	for n > 0 {
		k := min(n, uint64(len(zero)))
		if _, err := w.bw.Write(zero[:k]); err != nil {
			w.err = w.errorf("%v", err)
			return w.err
		}
		n -= k
		w.pos += k
	}
	return nil
}

// header writes everything before the data section.
func (w *Writer) header() error {
	if w.started {
		return nil
	}
	w.started = true
	e := &encoder{w: w.bw}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		e.str(kv.Key)
		e.u32(uint32(kv.Value.Type()))
		e.value(kv.Value)
	}
	for _, ti := range w.tensors {
		e.str(ti.Name)
		e.u32(uint32(len(ti.Shape)))
		for _, d := range ti.Shape {
			e.u64(d)
		}
		e.u32(uint32(ti.Type))
		e.u64(ti.Offset)
	}
	if e.err != nil {
		w.err = w.errorf("header: %v", e.err)
		return w.err
	}
	w.pos = 0
	padding := alignUp(e.n, w.alignment) - e.n
	if err := w.pad(padding); err != nil {
		return err
	}
	w.pos = 0
	return nil
}

// Close writes what remains (the header if no tensor was written), checks
// that every declared tensor was written and flushes. For a Writer from
// Create it syncs the file, renames it into place and syncs the directory;
// on failure the temporary file is removed.
func (w *Writer) Close() error {
	err := w.finish()
	if w.file == nil {
		return err
	}
	f := w.file
	w.file = nil
	if err == nil {
		// CreateTemp makes the file private; give it ordinary permissions.
		if e := f.Chmod(0o644); e != nil {
			err = w.errorf("chmod: %v", e)
		}
	}
	if err == nil {
		if e := f.Sync(); e != nil {
			err = w.errorf("sync: %v", e)
		}
	}
	if e := f.Close(); e != nil && err == nil {
		err = w.errorf("close: %v", e)
	}
	if err == nil {
		if e := os.Rename(w.tmp, w.path); e != nil {
			err = fmt.Errorf("gguf: %w", e)
		}
	}
	if err != nil {
		os.Remove(w.tmp)
		return err
	}
	if d, e := os.Open(filepath.Dir(w.path)); e == nil {
		d.Sync() // best effort: not every system can sync a directory
		d.Close()
	}
	return nil
}

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if w.next < len(w.tensors) {
		ti := &w.tensors[w.next]
		if w.partial > 0 {
			w.err = w.errorf("tensor %q: only %d of %d bytes written", ti.Name, w.partial, ti.Size)
		} else {
			w.err = w.errorf("tensor %q declared but not written", ti.Name)
		}
		return w.err
	}
	if err := w.header(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = w.errorf("%v", err)
		return w.err
	}
	w.err = w.errorf("writer is closed")
	return nil
}

// Abort discards a Writer from Create, removing its temporary file.
func (w *Writer) Abort() {
	if w.file != nil {
		w.file.Close()
		os.Remove(w.tmp)
		w.file = nil
	}
	w.err = w.errorf("writer aborted")
}

// encoder writes little-endian values, remembering the first error and
// counting bytes.
type encoder struct {
	w   io.Writer
	n   uint64
	err error
	b   [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(b)
	e.n += uint64(len(b))
}

func (e *encoder) u8(x uint8)   { e.raw([]byte{x}) }
func (e *encoder) u16(x uint16) { binary.LittleEndian.PutUint16(e.b[:], x); e.raw(e.b[:2]) }
func (e *encoder) u32(x uint32) { binary.LittleEndian.PutUint32(e.b[:], x); e.raw(e.b[:4]) }
func (e *encoder) u64(x uint64) { binary.LittleEndian.PutUint64(e.b[:], x); e.raw(e.b[:8]) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.raw([]byte(s)) }

func (e *encoder) value(v Value) {
	switch x := v.Data.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case string:
		e.str(x)
	default:
		e.array(v)
	}
}

func (e *encoder) array(v Value) {
	e.u32(uint32(v.ElemType()))
	e.u64(uint64(v.Len()))
	switch a := v.Data.(type) {
	case []uint8:
		e.raw(a)
	case []int8:
		for _, x := range a {
			e.u8(uint8(x))
		}
	case []bool:
		for _, x := range a {
			e.value(Value{x})
		}
	case []uint16:
		for _, x := range a {
			e.u16(x)
		}
	case []int16:
		for _, x := range a {
			e.u16(uint16(x))
		}
	case []uint32:
		for _, x := range a {
			e.u32(x)
		}
	case []int32:
		for _, x := range a {
			e.u32(uint32(x))
		}
	case []float32:
		for _, x := range a {
			e.u32(math.Float32bits(x))
		}
	case []uint64:
		for _, x := range a {
			e.u64(x)
		}
	case []int64:
		for _, x := range a {
			e.u64(uint64(x))
		}
	case []float64:
		for _, x := range a {
			e.u64(math.Float64bits(x))
		}
	case []string:
		for _, x := range a {
			e.str(x)
		}
	case []Value:
		for _, x := range a {
			e.array(x)
		}
	}
}

// fileTypes maps a weight type to llama.cpp's general.file_type
// (LLAMA_FTYPE_*): the file type of a model whose 2-D weights are of that
// type (for the K-quants, the _S "small" mixes).
var fileTypes = map[GGMLType]uint32{
	quant.F32: 0, quant.F16: 1, quant.Q4_0: 2, quant.Q4_1: 3, quant.Q8_0: 7,
	quant.Q5_0: 8, quant.Q5_1: 9, quant.BF16: 32,
	quant.Q2_K: 10, quant.Q3_K: 11, quant.Q4_K: 14, quant.Q5_K: 16, quant.Q6_K: 18,
	quant.IQ4_NL: 25, quant.IQ4_XS: 30,
}

// fileTypeOrder lists the keys of fileTypes for FileTypeNames.
var fileTypeOrder = []GGMLType{quant.F32, quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_1, quant.Q5_0, quant.Q5_1,
	quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.IQ4_NL, quant.IQ4_XS}

// FileTypeNames returns the weight types FileType knows, lower case and
// comma-separated ("f32, f16, …"), for usage messages.
func FileTypeNames() string {
	var b []byte
	for i, t := range fileTypeOrder {
		if i > 0 {
			b = append(b, ", "...)
		}
		for _, c := range []byte(t.String()) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
	}
	return string(b)
}

// FileType returns the general.file_type value of a model whose 2-D
// weights are of type t, and false for a type with no such value here.
func FileType(t GGMLType) (uint32, bool) {
	ft, ok := fileTypes[t]
	return ft, ok
}
