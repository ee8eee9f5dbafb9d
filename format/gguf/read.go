package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/llmparts/llmparts/internal/safeio"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// maxNesting bounds how deeply arrays of arrays may nest.
const maxNesting = 16

// prealloc caps the capacity reserved from a count in the file; beyond it
// slices grow as entries are actually read.
const prealloc = 4096

// File is a parsed GGUF file: its metadata and tensor directory, plus access
// to the tensor data. Files from Open must be closed.
type File struct {
	// Version is the GGUF version (2 or 3).
	Version uint32
	// KV lists the metadata entries in file order.
	KV []KV
	// Tensors lists the tensor infos in file order.
	Tensors []TensorInfo
	// Alignment is the data alignment (general.alignment or 32).
	Alignment uint64
	// DataOffset is the absolute file offset of the data section.
	DataOffset int64
	// Size is the file size in bytes.
	Size int64

	name    string
	kvIndex map[string]int
	tIndex  map[string]int
	data    []byte      // whole file, if mapped or in memory
	r       io.ReaderAt // used when data is nil
	unmap   func() error
}

// Open reads the GGUF file at path. On unix systems the file is
// memory-mapped and TensorData returns slices of the mapping; elsewhere it
// is read into memory. Call Close when done with the file and every slice
// TensorData returned.
func Open(path string) (*File, error) {
	f, st, err := safeio.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer f.Close()
	size := st.Size()
	data, unmap, err := mapFile(f, size)
	if err != nil {
		// Fall back to reading the file into memory.
		data = make([]byte, size)
		if m, err := f.ReadAt(data, 0); int64(m) < size {
			return nil, fmt.Errorf("gguf: %s: read: %v", path, err)
		}
		unmap = nil
	}
	gf, err := parse(path, data, nil, size)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, err
	}
	gf.unmap = unmap
	return gf, nil
}

// Read parses a GGUF file of the given size from r. TensorData reads from r
// on each call, so r must stay usable while the File is in use.
func Read(r io.ReaderAt, size int64) (*File, error) {
	return parse("", nil, r, size)
}

// Close releases the memory mapping of a file from Open. Slices returned
// by TensorData must not be used afterwards. Close on a File from Read
// does nothing.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	err := f.unmap()
	f.unmap = nil
	f.data = nil
	if err != nil {
		return f.errorf("unmap: %v", err)
	}
	return nil
}

// Name returns the path given to Open, or "" for a File from Read.
func (f *File) Name() string { return f.name }

func (f *File) errorf(format string, args ...any) error {
	if f.name != "" {
		return fmt.Errorf("gguf: %s: "+format, append([]any{f.name}, args...)...)
	}
	return fmt.Errorf("gguf: "+format, args...)
}

// decoder reads little-endian values sequentially from either an in-memory
// copy of the whole file or an io.ReaderAt through a window buffer.
type decoder struct {
	r      io.ReaderAt
	size   int64
	buf    []byte // window of the file starting at bufOff
	bufOff int64
	pos    int64
	whole  bool // buf is the whole file
}

const windowSize = 1 << 16

var errEOF = errors.New("unexpected end of file")

func (d *decoder) remaining() int64 { return d.size - d.pos }

// next returns the n bytes at the current position and advances past them.
// The slice is valid until the next call.
func (d *decoder) next(n int64) ([]byte, error) {
	if n < 0 || n > d.remaining() {
		return nil, fmt.Errorf("%w at offset %d (need %d bytes, %d remain)", errEOF, d.pos, n, d.remaining())
	}
	start := d.pos - d.bufOff
	if start >= 0 && start+n <= int64(len(d.buf)) {
		d.pos += n
		return d.buf[start : start+n : start+n], nil
	}
	if d.whole {
		// Cannot happen: the whole file is in buf and n fits.
		return nil, fmt.Errorf("%w at offset %d", errEOF, d.pos)
	}
	if n > windowSize {
		b := make([]byte, n)
		if m, err := d.r.ReadAt(b, d.pos); int64(m) < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = errEOF
			}
			return nil, fmt.Errorf("read at offset %d: %w", d.pos, err)
		}
		d.pos += n
		return b, nil
	}
	w := min(int64(windowSize), d.remaining())
	if cap(d.buf) < windowSize {
		d.buf = make([]byte, windowSize)
	}
	d.buf = d.buf[:w]
	m, err := d.r.ReadAt(d.buf, d.pos)
	if int64(m) < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = errEOF
		}
		d.buf = d.buf[:0]
		return nil, fmt.Errorf("read at offset %d: %w", d.pos, err)
	}
	d.buf = d.buf[:m]
	d.bufOff = d.pos
	d.pos += n
	return d.buf[:n:n], nil
}

func (d *decoder) u8() (uint8, error) {
	b, err := d.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (d *decoder) u16() (uint16, error) {
	b, err := d.next(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (d *decoder) u32() (uint32, error) {
	b, err := d.next(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64() (uint64, error) {
	b, err := d.next(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// length reads a uint64 length of items of at least minSize bytes each and
// checks it against the bytes left in the file.
func (d *decoder) length(what string, minSize int64) (int64, error) {
	n, err := d.u64()
	if err != nil {
		return 0, err
	}
	if minSize > 0 && n > uint64(d.remaining()/minSize) {
		return 0, fmt.Errorf("%s %d at offset %d exceeds the %d bytes left in the file", what, n, d.pos-8, d.remaining())
	}
	return int64(n), nil
}

func (d *decoder) str() (string, error) {
	n, err := d.length("string length", 1)
	if err != nil {
		return "", err
	}
	b, err := d.next(n)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (d *decoder) value(t ValueType, depth int) (Value, error) {
	switch t {
	case TypeUint8:
		x, err := d.u8()
		return Value{x}, err
	case TypeInt8:
		x, err := d.u8()
		return Value{int8(x)}, err
	case TypeBool:
		x, err := d.u8()
		return Value{x != 0}, err
	case TypeUint16:
		x, err := d.u16()
		return Value{x}, err
	case TypeInt16:
		x, err := d.u16()
		return Value{int16(x)}, err
	case TypeUint32:
		x, err := d.u32()
		return Value{x}, err
	case TypeInt32:
		x, err := d.u32()
		return Value{int32(x)}, err
	case TypeFloat32:
		x, err := d.u32()
		return Value{math.Float32frombits(x)}, err
	case TypeUint64:
		x, err := d.u64()
		return Value{x}, err
	case TypeInt64:
		x, err := d.u64()
		return Value{int64(x)}, err
	case TypeFloat64:
		x, err := d.u64()
		return Value{math.Float64frombits(x)}, err
	case TypeString:
		s, err := d.str()
		return Value{s}, err
	case TypeArray:
		return d.array(depth)
	}
	return Value{}, fmt.Errorf("unknown value type %d at offset %d", uint32(t), d.pos-4)
}

func (d *decoder) array(depth int) (Value, error) {
	if depth >= maxNesting {
		return Value{}, fmt.Errorf("arrays nested more than %d deep", maxNesting)
	}
	et32, err := d.u32()
	if err != nil {
		return Value{}, err
	}
	et := ValueType(et32)
	sz := et.size()
	switch {
	case sz < 0:
		return Value{}, fmt.Errorf("array of unknown value type %d at offset %d", et32, d.pos-4)
	case sz > 0:
		n, err := d.length("array length", int64(sz))
		if err != nil {
			return Value{}, err
		}
		b, err := d.next(n * int64(sz))
		if err != nil {
			return Value{}, err
		}
		return Value{decodeFixed(et, b, int(n))}, nil
	case et == TypeString:
		n, err := d.length("string array length", 8)
		if err != nil {
			return Value{}, err
		}
		// Store all strings in one backing string: a 150,000-token
		// vocabulary costs two allocations, not 150,000.
		// Grow as elements are actually read, so a lying count cannot
		// force a large allocation up front.
		ends := make([]int, 0, min(n, prealloc))
		var all []byte
		for i := int64(0); i < n; i++ {
			l, err := d.length("string length", 1)
			if err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			b, err := d.next(l)
			if err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			all = append(all, b...)
			ends = append(ends, len(all))
		}
		s := string(all)
		out := make([]string, n)
		start := 0
		for i, e := range ends {
			out[i] = s[start:e]
			start = e
		}
		return Value{out}, nil
	default: // array of arrays
		n, err := d.length("array length", 12)
		if err != nil {
			return Value{}, err
		}
		out := make([]Value, 0, min(n, prealloc))
		for i := int64(0); i < n; i++ {
			v, err := d.array(depth + 1)
			if err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			out = append(out, v)
		}
		return Value{out}, nil
	}
}

func decodeFixed(t ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8(nil), b...)
	case TypeInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return out
	case TypeBool:
		out := make([]bool, n)
		for i := range out {
			out[i] = b[i] != 0
		}
		return out
	case TypeUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(b[2*i:])
		}
		return out
	case TypeInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(b[2*i:]))
		}
		return out
	case TypeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(b[4*i:])
		}
		return out
	case TypeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(b[4*i:]))
		}
		return out
	case TypeFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return out
	case TypeUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(b[8*i:])
		}
		return out
	case TypeInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
		return out
	case TypeFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return out
	}
	panic("gguf: decodeFixed: not a fixed-size type")
}

// parse reads the header, metadata and tensor infos from data (the whole
// file) or, if data is nil, from r.
func parse(name string, data []byte, r io.ReaderAt, size int64) (*File, error) {
	f := &File{name: name, Size: size, data: data, r: r}
	d := &decoder{r: r, size: size}
	if data != nil {
		d.buf, d.whole = data, true
	}
	magic, err := d.next(4)
	if err != nil {
		if size < 4 {
			return nil, f.errorf("not a GGUF file: too short (%d bytes)", size)
		}
		return nil, f.errorf("header: %v", err)
	}
	if string(magic) != Magic {
		return nil, f.errorf("not a GGUF file: magic %q, want %q", magic, Magic)
	}
	v, err := d.u32()
	if err != nil {
		return nil, f.errorf("header: %v", err)
	}
	switch {
	case v == 2 || v == 3:
	case v == 1:
		return nil, f.errorf("unsupported GGUF version 1 (only versions 2 and 3 are supported)")
	case v&0xffff == 0 && v>>16 != 0:
		return nil, f.errorf("big-endian GGUF files are not supported (version field reads 0x%08x)", v)
	default:
		return nil, f.errorf("unsupported GGUF version %d (only versions 2 and 3 are supported)", v)
	}
	f.Version = v
	// A tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type)
	// + 8 (offset) bytes; a key/value at least 8 + 4 + 1.
	nt, err := d.length("tensor count", 24)
	if err != nil {
		return nil, f.errorf("header: %v", err)
	}
	nkv, err := d.length("metadata count", 13)
	if err != nil {
		return nil, f.errorf("header: %v", err)
	}

	f.KV = make([]KV, 0, min(nkv, prealloc))
	f.kvIndex = make(map[string]int, min(nkv, prealloc))
	for i := int64(0); i < nkv; i++ {
		key, err := d.str()
		if err != nil {
			return nil, f.errorf("metadata entry %d: key: %v", i, err)
		}
		t, err := d.u32()
		if err != nil {
			return nil, f.errorf("metadata %q: %v", key, err)
		}
		val, err := d.value(ValueType(t), 0)
		if err != nil {
			return nil, f.errorf("metadata %q: %v", key, err)
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, f.errorf("duplicate metadata key %q", key)
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{key, val})
	}

	f.Alignment = DefaultAlignment
	if val, ok := f.Get("general.alignment"); ok {
		a, ok := val.Uint()
		if !ok {
			return nil, f.errorf("general.alignment is a %v (%v), want an unsigned integer (a power of two)", val.Type(), val)
		}
		if a == 0 || a&(a-1) != 0 || a > 1<<30 {
			return nil, f.errorf("general.alignment %d is not a power of two up to 2^30", a)
		}
		f.Alignment = a
	}

	f.Tensors = make([]TensorInfo, 0, min(nt, prealloc))
	f.tIndex = make(map[string]int, min(nt, prealloc))
	for i := int64(0); i < nt; i++ {
		ti, err := readTensorInfo(d)
		if err != nil {
			if ti.Name != "" {
				return nil, f.errorf("tensor %q: %v", ti.Name, err)
			}
			return nil, f.errorf("tensor %d: %v", i, err)
		}
		if _, dup := f.tIndex[ti.Name]; dup {
			return nil, f.errorf("duplicate tensor name %q", ti.Name)
		}
		f.tIndex[ti.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, ti)
	}

	a := int64(f.Alignment)
	f.DataOffset = (d.pos + a - 1) / a * a
	dataSize := size - f.DataOffset
	for _, ti := range f.Tensors {
		if ti.Offset%f.Alignment != 0 {
			return nil, f.errorf("tensor %q: offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, f.Alignment)
		}
		if dataSize < 0 || ti.Offset > uint64(dataSize) || ti.Size > uint64(dataSize)-ti.Offset {
			return nil, f.errorf("tensor %q: data at offset %d+%d (%d bytes) past end of file (size %d)",
				ti.Name, f.DataOffset, ti.Offset, ti.Size, size)
		}
	}
	return f, nil
}

func readTensorInfo(d *decoder) (TensorInfo, error) {
	var ti TensorInfo
	name, err := d.str()
	if err != nil {
		return ti, fmt.Errorf("name: %v", err)
	}
	ti.Name = name
	nd, err := d.u32()
	if err != nil {
		return ti, err
	}
	if nd > MaxDims {
		return ti, fmt.Errorf("%d dimensions (at most %d)", nd, MaxDims)
	}
	ti.Shape = make([]uint64, nd)
	for j := range ti.Shape {
		if ti.Shape[j], err = d.u64(); err != nil {
			return ti, err
		}
	}
	t, err := d.u32()
	if err != nil {
		return ti, err
	}
	ti.Type = GGMLType(t)
	if ti.Offset, err = d.u64(); err != nil {
		return ti, err
	}
	if !ti.Type.Known() {
		return ti, fmt.Errorf("unknown ggml type %d", t)
	}
	if ti.Size, err = tensorSize(ti.Type, ti.Shape); err != nil {
		return ti, err
	}
	return ti, nil
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the raw bytes of the named tensor (ti.Size bytes in
// the tensor's block format). For a file from Open it is a read-only slice
// of the mapping, valid until Close; it must not be modified. For a file
// from Read it is a fresh copy.
func (f *File) TensorData(name string) ([]byte, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return nil, f.errorf("no tensor %q", name)
	}
	start := uint64(f.DataOffset) + ti.Offset
	end := start + ti.Size
	if end > uint64(f.Size) || end < start {
		return nil, f.errorf("tensor %q: data %d..%d past end of file (size %d)", name, start, end, f.Size)
	}
	if f.data != nil {
		return f.data[start:end:end], nil
	}
	if f.r == nil {
		return nil, f.errorf("tensor %q: file is closed", name)
	}
	b := make([]byte, ti.Size)
	if m, err := f.r.ReadAt(b, int64(start)); m < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = errEOF
		}
		return nil, f.errorf("tensor %q: %v", name, err)
	}
	return b, nil
}
