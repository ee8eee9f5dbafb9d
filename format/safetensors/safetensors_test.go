package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func roundTrip(t *testing.T) []byte {
	t.Helper()
	a, err := F32Tensor("a", []int{2, 3}, []float32{1, 2, 3, 4, 5, -6.5})
	if err != nil {
		t.Fatal(err)
	}
	b := &Tensor{Name: "b", DType: F16, Shape: []int{2}, Data: []byte{0x00, 0x3c, 0x00, 0xc0}} // 1.0, -2.0
	c := &Tensor{Name: "c", DType: BF16, Shape: []int{1}, Data: []byte{0x80, 0x3f}}            // 1.0
	var buf bytes.Buffer
	if err := Write(&buf, []*Tensor{a, b, c}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantTensors checks that f holds the named tensors with exactly these values.
func wantTensors(t *testing.T, f *File, want map[string][]float32) {
	t.Helper()
	for name, w := range want {
		tt := f.Get(name)
		if tt == nil {
			t.Fatalf("tensor %s missing", name)
		}
		got, err := tt.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(w) {
			t.Fatalf("%s: got %v want %v", name, got, w)
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], w[i])
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	data := roundTrip(t)
	if hl := binary.LittleEndian.Uint64(data); (hl+8)%8 != 0 {
		t.Errorf("header length %d leaves data unaligned", hl)
	}
	f, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata = %v", f.Metadata)
	}
	wantTensors(t, f, map[string][]float32{"a": {1, 2, 3, 4, 5, -6.5}, "b": {1, -2}, "c": {1}})
	if s := f.Get("a").Shape; len(s) != 2 || s[0] != 2 || s[1] != 3 {
		t.Errorf("shape of a = %v", s)
	}
}

func TestF16(t *testing.T) {
	cases := map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24), 0x3555: 0.333251953125, 0x8000: 0}
	for h, want := range cases {
		tn := &Tensor{Name: "h", DType: F16, Shape: []int{1}, Data: []byte{byte(h), byte(h >> 8)}}
		got, err := tn.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != want {
			t.Errorf("F16 %#04x decodes to %v, want %v", h, got[0], want)
		}
	}
}

func TestReadRejects(t *testing.T) {
	mk := func(header string, data int) []byte {
		var b bytes.Buffer
		var lb [8]byte
		binary.LittleEndian.PutUint64(lb[:], uint64(len(header)))
		b.Write(lb[:])
		b.WriteString(header)
		b.Write(make([]byte, data))
		return b.Bytes()
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	cases := map[string][]byte{
		"short":         {1, 2, 3},
		"header length": huge,
		"not json":      mk("nope", 0),
		"bad dtype":     mk(`{"x":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}`, 4),
		"past end":      mk(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4),
		"size mismatch": mk(`{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8),
		"negative":      mk(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4),
		"overflow":      mk(`{"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}`, 0),
		"overlap":       mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4),
		"hole":          mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8),
		"metadata":      mk(`{"__metadata__":{"a":1}}`, 0),
	}
	for name, data := range cases {
		if _, err := Read(bytes.NewReader(data), int64(len(data))); err == nil {
			t.Errorf("%s: Read accepted a bad file", name)
		} else if !strings.HasPrefix(err.Error(), "safetensors:") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	a, _ := F32Tensor("w", []int{2}, []float32{3, 4})
	if err := WriteFile(p, []*Tensor{a}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.Get("w").Float32s()
	if v[0] != 3 || v[1] != 4 {
		t.Errorf("got %v", v)
	}
	// A failing write leaves the old file and no temporary behind.
	dup := []*Tensor{a, a}
	if err := WriteFile(p, dup, nil); err == nil {
		t.Fatal("duplicate names accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1", len(ents))
	}
	if _, err := ReadFile(p); err != nil {
		t.Errorf("old file damaged: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	a, _ := F32Tensor("a", []int{2}, []float32{1, 2})
	_ = Write(&buf, []*Tensor{a}, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, '{', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, tt := range sf.Tensors {
			if len(tt.Data) != tt.NumElements()*tt.DType.Size() {
				t.Fatalf("tensor %s: %d bytes for %v", tt.Name, len(tt.Data), tt.Shape)
			}
			if _, err := tt.Float32s(); err != nil && (tt.DType == F32 || tt.DType == F16 || tt.DType == BF16) {
				t.Fatal(err)
			}
		}
	})
}
