package tokenizer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ggufMeta is the metadata (key/value) section of a GGUF file, read by a
// small private reader so the tokenizer needs only the vocabulary keys and
// never the tensor data.
type ggufMeta map[string]any

// readGGUFMeta reads the key/value section of the GGUF file at path. Arrays
// become []string, []float32, []int32, []uint32, []any ...; scalars become
// string, bool, uint64, int64 or float64.
func readGGUFMeta(path string) (ggufMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	m, err := parseGGUFMeta(bufio.NewReaderSize(f, 1<<16), st.Size())
	if err != nil {
		return nil, fmt.Errorf("tokenizer: gguf %s: %w", path, err)
	}
	return m, nil
}

type ggufReader struct {
	r    io.Reader
	left int64 // bytes of the file not yet read (bounds every length)
	buf  [8]byte
}

func (g *ggufReader) read(n int) ([]byte, error) {
	if int64(n) > g.left {
		return nil, errors.New("truncated file")
	}
	var b []byte
	if n <= 8 {
		b = g.buf[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := io.ReadFull(g.r, b); err != nil {
		return nil, fmt.Errorf("truncated file: %w", err)
	}
	g.left -= int64(n)
	return b, nil
}

func (g *ggufReader) u32() (uint32, error) {
	b, err := g.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (g *ggufReader) u64() (uint64, error) {
	b, err := g.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (g *ggufReader) str() (string, error) {
	n, err := g.u64()
	if err != nil {
		return "", err
	}
	if n > uint64(g.left) {
		return "", fmt.Errorf("string length %d past end of file", n)
	}
	b, err := g.read(int(n))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// gguf value types.
const (
	gUint8 = iota
	gInt8
	gUint16
	gInt16
	gUint32
	gInt32
	gFloat32
	gBool
	gString
	gArray
	gUint64
	gInt64
	gFloat64
)

var ggufScalarSize = map[uint32]int{gUint8: 1, gInt8: 1, gUint16: 2, gInt16: 2, gUint32: 4, gInt32: 4, gFloat32: 4, gBool: 1, gUint64: 8, gInt64: 8, gFloat64: 8}

func (g *ggufReader) scalar(t uint32) (any, error) {
	if t == gString {
		return g.str()
	}
	n, ok := ggufScalarSize[t]
	if !ok {
		return nil, fmt.Errorf("unknown value type %d", t)
	}
	b, err := g.read(n)
	if err != nil {
		return nil, err
	}
	switch t {
	case gUint8:
		return uint64(b[0]), nil
	case gInt8:
		return int64(int8(b[0])), nil
	case gUint16:
		return uint64(binary.LittleEndian.Uint16(b)), nil
	case gInt16:
		return int64(int16(binary.LittleEndian.Uint16(b))), nil
	case gUint32:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	case gInt32:
		return int64(int32(binary.LittleEndian.Uint32(b))), nil
	case gFloat32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), nil
	case gBool:
		return b[0] != 0, nil
	case gUint64:
		return binary.LittleEndian.Uint64(b), nil
	case gInt64:
		return int64(binary.LittleEndian.Uint64(b)), nil
	default: // gFloat64
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	}
}

func (g *ggufReader) value(t uint32, depth int) (any, error) {
	if t != gArray {
		return g.scalar(t)
	}
	if depth > 2 {
		return nil, errors.New("arrays nested too deeply")
	}
	et, err := g.u32()
	if err != nil {
		return nil, err
	}
	n, err := g.u64()
	if err != nil {
		return nil, err
	}
	minSize := int64(1)
	if s, ok := ggufScalarSize[et]; ok {
		minSize = int64(s)
	} else if et == gString {
		minSize = 8
	}
	if n > uint64(g.left/minSize) {
		return nil, fmt.Errorf("array of %d elements past end of file", n)
	}
	switch et {
	case gString:
		out := make([]string, n)
		for i := range out {
			if out[i], err = g.str(); err != nil {
				return nil, err
			}
		}
		return out, nil
	case gFloat32:
		out := make([]float32, n)
		for i := range out {
			b, err := g.read(4)
			if err != nil {
				return nil, err
			}
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		}
		return out, nil
	case gInt32:
		out := make([]int32, n)
		for i := range out {
			b, err := g.read(4)
			if err != nil {
				return nil, err
			}
			out[i] = int32(binary.LittleEndian.Uint32(b))
		}
		return out, nil
	}
	out := make([]any, n)
	for i := range out {
		if out[i], err = g.value(et, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseGGUFMeta(r io.Reader, size int64) (ggufMeta, error) {
	g := &ggufReader{r: r, left: size}
	magic, err := g.read(4)
	if err != nil {
		return nil, err
	}
	if string(magic) != "GGUF" {
		return nil, errors.New("not a GGUF file (bad magic)")
	}
	ver, err := g.u32()
	if err != nil {
		return nil, err
	}
	if ver < 2 || ver > 3 {
		return nil, fmt.Errorf("unsupported GGUF version %d", ver)
	}
	if _, err := g.u64(); err != nil { // tensor count
		return nil, err
	}
	nkv, err := g.u64()
	if err != nil {
		return nil, err
	}
	if nkv > uint64(g.left/12) {
		return nil, fmt.Errorf("%d metadata entries past end of file", nkv)
	}
	m := make(ggufMeta, nkv)
	for i := uint64(0); i < nkv; i++ {
		k, err := g.str()
		if err != nil {
			return nil, fmt.Errorf("metadata key %d: %w", i, err)
		}
		t, err := g.u32()
		if err != nil {
			return nil, err
		}
		v, err := g.value(t, 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", k, err)
		}
		m[k] = v
	}
	return m, nil
}
