package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/quant"
)

// DType is a safetensors element type name such as "F32".
type DType string

// Element types understood by this package.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size returns the byte size of one element of d, or 0 if d is unknown.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// MaxHeaderSize bounds the JSON header (100 MB, as the reference
// implementation does) so a corrupt length cannot trigger a huge allocation.
const MaxHeaderSize = 100 << 20

// Tensor is one named tensor: its dtype, shape and raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32s decodes an F32, F16 or BF16 tensor into float32 values.
func (t *Tensor) Float32s() ([]float32, error) {
	n := t.NumElements()
	if len(t.Data) != n*t.DType.Size() {
		return nil, fmt.Errorf("safetensors: tensor %q: %d bytes for %d elements of %s", t.Name, len(t.Data), n, t.DType)
	}
	out := make([]float32, n)
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = quant.F16ToF32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = quant.BF16ToF32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	default:
		return nil, fmt.Errorf("safetensors: tensor %q: dtype %s is not a float type", t.Name, t.DType)
	}
	return out, nil
}

// F32Tensor builds an F32 tensor from values; len(values) must equal the
// product of shape.
func F32Tensor(name string, shape []int, values []float32) (*Tensor, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", name, shape)
		}
		n *= d
	}
	if n != len(values) {
		return nil, fmt.Errorf("safetensors: tensor %q: shape %v needs %d values, got %d", name, shape, n, len(values))
	}
	b := make([]byte, 4*n)
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...), Data: b}, nil
}

// File is a parsed safetensors file: tensors in header order sorted by
// data offset, plus metadata.
type File struct {
	Metadata map[string]string
	Tensors  []*Tensor
	byName   map[string]*Tensor
}

// Get returns the tensor called name, or nil.
func (f *File) Get(name string) *Tensor {
	if f.byName == nil {
		f.byName = make(map[string]*Tensor, len(f.Tensors))
		for _, t := range f.Tensors {
			f.byName[t.Name] = t
		}
	}
	return f.byName[name]
}

type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// ReadFile opens and parses the safetensors file at path.
func ReadFile(path string) (*File, error) {
	f, st, err := safeio.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	sf, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf, nil
}

// Read parses a safetensors stream of exactly size bytes. Nothing larger
// than size is ever allocated.
func Read(r io.Reader, size int64) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("safetensors: file of %d bytes is too short for the 8-byte header length", size)
	}
	var lb [8]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(lb[:])
	if hlen > MaxHeaderSize || hlen > uint64(size-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds file size %d (or the %d-byte limit)", hlen, size, MaxHeaderSize)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("safetensors: reading header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, fmt.Errorf("safetensors: header is not a JSON object: %w", err)
	}
	dataLen := size - 8 - int64(hlen)
	out := &File{Metadata: map[string]string{}}
	var ents []entry
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		msg := raw[name]
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &out.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: bad header entry: %w", name, err)
		}
		es := e.DType.Size()
		if es == 0 {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, e.DType)
		}
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || en < b || en > dataLen {
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d) outside the %d-byte data section", name, b, en, dataLen)
		}
		// Element count without overflow: stop once it exceeds the bytes available.
		n := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: negative dimension %d", name, d)
			}
			shape[i] = int(d)
			if d != 0 && n > dataLen/d {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v is larger than the file", name, e.Shape)
			}
			n *= d
		}
		if n*int64(es) != en-b {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, data_offsets give %d", name, e.Shape, e.DType, n*int64(es), en-b)
		}
		ents = append(ents, entry{&Tensor{Name: name, DType: e.DType, Shape: shape}, b, en})
	}
	// The data section must be covered exactly, tensor after tensor, without
	// holes or overlaps (the reference implementation's rule).
	sort.Slice(ents, func(i, j int) bool {
		if ents[i].begin != ents[j].begin {
			return ents[i].begin < ents[j].begin
		}
		return ents[i].t.Name < ents[j].t.Name
	})
	var pos int64
	for _, e := range ents {
		if e.begin != pos {
			return nil, fmt.Errorf("safetensors: tensor %q starts at %d, expected %d (hole or overlap in the data section)", e.t.Name, e.begin, pos)
		}
		pos = e.end
	}
	if pos != dataLen {
		return nil, fmt.Errorf("safetensors: tensors cover %d bytes of a %d-byte data section", pos, dataLen)
	}
	data := make([]byte, dataLen)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("safetensors: reading data: %w", err)
	}
	for _, e := range ents {
		e.t.Data = data[e.begin:e.end:e.end]
		out.Tensors = append(out.Tensors, e.t)
	}
	return out, nil
}

type entry struct {
	t          *Tensor
	begin, end int64
}

// Write writes tensors (in the given order) and metadata to w in the
// safetensors layout. Names must be unique and not "__metadata__".
func Write(w io.Writer, tensors []*Tensor, metadata map[string]string) error {
	hdr := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var off int64
	for _, t := range tensors {
		if t == nil || t.Name == "" || t.Name == "__metadata__" {
			return errors.New("safetensors: tensor with an empty or reserved name")
		}
		if _, dup := hdr[t.Name]; dup {
			return fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
		if t.DType.Size() == 0 {
			return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		if int64(len(t.Data)) != int64(t.NumElements())*int64(t.DType.Size()) {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s", t.Name, len(t.Data), t.Shape, t.DType)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = map[string]any{"dtype": t.DType, "shape": shape, "data_offsets": [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: encoding header: %w", err)
	}
	// Pad the header with spaces to a multiple of 8 so the data is aligned.
	for (len(hb)+8)%8 != 0 {
		hb = append(hb, ' ')
	}
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(hb)))
	if _, err := w.Write(lb[:]); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := w.Write(hb); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
	}
	return nil
}

// WriteFile writes the tensors to path atomically: a temporary file in the
// same directory is written, fsynced, renamed over path, and the directory
// is fsynced.
func WriteFile(path string, tensors []*Tensor, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
}

// WriteFileAtomic calls write with a temporary file beside path, then
// fsyncs it, gives it the usual 0644 permissions, renames it to path and
// fsyncs the directory. On error the temporary file is removed and path is
// left untouched.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	return safeio.WriteFileAtomic(path, write)
}

// SyncDir fsyncs a directory so a rename inside it is durable.
func SyncDir(dir string) error { return safeio.SyncDir(dir) }
