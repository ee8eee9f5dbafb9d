package gguf

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/quant"
)

// sampleKVs has one value of every type, including nested arrays.
func sampleKVs() []KV {
	return []KV{
		{"general.architecture", Value{"llama"}},
		{"u8", Value{uint8(200)}},
		{"i8", Value{int8(-100)}},
		{"u16", Value{uint16(60000)}},
		{"i16", Value{int16(-30000)}},
		{"u32", Value{uint32(4000000000)}},
		{"i32", Value{int32(-2000000000)}},
		{"f32", Value{float32(1e-5)}},
		{"bool", Value{true}},
		{"str", Value{"héllo"}},
		{"u64", Value{uint64(1) << 60}},
		{"i64", Value{int64(-1) << 60}},
		{"f64", Value{math.Pi}},
		{"tokens", Value{[]string{"<unk>", "<s>", "", "▁a"}}},
		{"scores", Value{[]float32{0, -1.5, 2}}},
		{"types", Value{[]int32{2, 3, 1}}},
		{"bytes", Value{[]uint8{1, 2, 3}}},
		{"i8s", Value{[]int8{-1, 2}}},
		{"u16s", Value{[]uint16{1, 65535}}},
		{"i16s", Value{[]int16{-1}}},
		{"u32s", Value{[]uint32{7}}},
		{"bools", Value{[]bool{true, false}}},
		{"u64s", Value{[]uint64{1 << 63}}},
		{"i64s", Value{[]int64{-5}}},
		{"f64s", Value{[]float64{0.5}}},
		{"empty", Value{[]float32{}}},
		{"nested", Value{[]Value{{[]int32{1, 2}}, {[]string{"x"}}, {[]Value{{[]uint8{9}}}}}}},
	}
}

func sampleTensors() []Tensor {
	f32 := make([]byte, 4*3*2)
	for i := range f32 {
		f32[i] = byte(i)
	}
	q8 := make([]byte, 34*2)
	for i := range q8 {
		q8[i] = byte(100 + i)
	}
	return []Tensor{
		{Name: "a", Type: TypeF32, Shape: []uint64{3, 2}, Data: f32},
		{Name: "b.q8", Type: TypeQ8_0, Shape: []uint64{64}, Data: q8},
		{Name: "c", Type: TypeF16, Shape: []uint64{1, 1, 1, 1}, Data: []byte{0x00, 0x3c}},
	}
}

// sampleFile encodes the sample metadata and tensors into memory.
func sampleFile(t testing.TB) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.AddKVs(sampleKVs()); err != nil {
		t.Fatal(err)
	}
	ts := sampleTensors()
	for _, x := range ts {
		if err := w.AddTensor(x.Name, x.Type, x.Shape); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range ts {
		if err := w.WriteTensor(x.Name, x.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readBytes(b []byte) (*File, error) { return Read(bytes.NewReader(b), int64(len(b))) }

func checkSample(t *testing.T, f *File) {
	t.Helper()
	want := sampleKVs()
	if len(f.KV) != len(want) {
		t.Fatalf("%d kvs, want %d", len(f.KV), len(want))
	}
	for i, kv := range want {
		got := f.KV[i]
		if got.Key != kv.Key || !reflect.DeepEqual(got.Value, kv.Value) {
			t.Errorf("kv %d: got %s=%#v, want %s=%#v", i, got.Key, got.Value.Data, kv.Key, kv.Value.Data)
		}
	}
	for _, x := range sampleTensors() {
		ti, ok := f.Tensor(x.Name)
		if !ok || ti.Type != x.Type || !reflect.DeepEqual(ti.Shape, x.Shape) || ti.Size != uint64(len(x.Data)) || ti.Offset%32 != 0 {
			t.Errorf("tensor %s: %+v", x.Name, ti)
			continue
		}
		d, err := f.TensorData(x.Name)
		if err != nil || !bytes.Equal(d, x.Data) {
			t.Errorf("tensor %s data: %v %v, want %v", x.Name, err, d, x.Data)
		}
	}
}

func TestRoundTripMemory(t *testing.T) {
	b := sampleFile(t)
	f, err := readBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Alignment != 32 || f.DataOffset%32 != 0 {
		t.Errorf("version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
	}
	checkSample(t, f)
	// Typed getters.
	if v, ok := f.Uint("u32"); !ok || v != 4000000000 {
		t.Errorf("Uint u32 = %d %v", v, ok)
	}
	if v, ok := f.Int("i8"); !ok || v != -100 {
		t.Errorf("Int i8 = %d %v", v, ok)
	}
	if _, ok := f.Uint("i8"); ok {
		t.Error("Uint of a negative int8 succeeded")
	}
	if v, ok := f.Int("u64"); !ok || v != 1<<60 {
		t.Errorf("Int u64 = %d", v)
	}
	if _, ok := f.Int("u64s"); ok {
		t.Error("Int of an array succeeded")
	}
	if v, ok := f.Float("f32"); !ok || float32(v) != 1e-5 {
		t.Errorf("Float f32 = %v", v)
	}
	if v, ok := f.Bool("bool"); !ok || !v {
		t.Error("Bool")
	}
	if _, ok := f.String("u8"); ok {
		t.Error("String of a uint8 succeeded")
	}
	if v, ok := f.Get("nested"); !ok || v.Type() != TypeArray || v.ElemType() != TypeArray || v.Len() != 3 {
		t.Errorf("nested: %v", v)
	}
}

func TestRoundTripFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := Write(path, sampleKVs(), sampleTensors()); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries", len(ents))
	}
	// A file written by Write is byte-identical to NewWriter's output.
	disk, _ := os.ReadFile(path)
	if !bytes.Equal(disk, sampleFile(t)) {
		t.Error("Write and NewWriter outputs differ")
	}
}

func TestCustomAlignment(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.AddKV("general.alignment", Value{uint32(64)}); err != nil {
		t.Fatal(err)
	}
	w.AddTensor("x", TypeF32, []uint64{3})
	w.AddTensor("y", TypeF32, []uint64{5})
	w.WriteTensor("x", make([]byte, 12))
	w.WriteTensor("y", make([]byte, 20))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := readBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	y, _ := f.Tensor("y")
	if f.Alignment != 64 || f.DataOffset%64 != 0 || y.Offset != 64 {
		t.Errorf("alignment %d, data offset %d, y offset %d", f.Alignment, f.DataOffset, y.Offset)
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.AddKV("k", Value{1}); err == nil || !strings.Contains(err.Error(), "unsupported Go type int") {
		t.Errorf("int value: %v", err)
	}
	w.AddKV("k", Value{uint8(1)})
	if err := w.AddKV("k", Value{uint8(1)}); err == nil {
		t.Error("duplicate key accepted")
	}
	if err := w.AddKV("general.alignment", Value{uint32(48)}); err == nil {
		t.Error("alignment 48 accepted")
	}
	if err := w.AddTensor("q", TypeQ4_0, []uint64{33}); err == nil || !strings.Contains(err.Error(), "block size 32") {
		t.Errorf("row 33 of Q4_0: %v", err)
	}
	if err := w.AddTensor("u", GGMLType(99), []uint64{4}); err == nil {
		t.Error("unknown type accepted")
	}
	w.AddTensor("a", TypeF32, []uint64{2})
	w.AddTensor("b", TypeF32, []uint64{2})
	if err := w.WriteTensor("b", make([]byte, 8)); err == nil {
		t.Error("out-of-order write accepted")
	}
	if err := w.WriteTensor("a", make([]byte, 7)); err == nil {
		t.Error("short data accepted")
	}
	w.WriteTensor("a", make([]byte, 8))
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), `"b" declared but not written`) {
		t.Errorf("Close with a missing tensor: %v", err)
	}
	// A failed Create-writer leaves nothing behind.
	dir := t.TempDir()
	cw, err := Create(filepath.Join(dir, "x.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	cw.AddTensor("a", TypeF32, []uint64{1})
	if err := cw.Close(); err == nil {
		t.Error("Close with an unwritten tensor succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files left after a failed Close", len(ents))
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	b := sampleFile(t)
	for n := 0; n < len(b); n++ {
		if _, err := readBytes(b[:n]); err == nil {
			// Truncation inside the final padding is harmless only if no
			// tensor data is cut; the last tensor ends before the padding.
			f, _ := readBytes(b)
			last := f.Tensors[len(f.Tensors)-1]
			if int64(n) < f.DataOffset+int64(last.Offset+last.Size) {
				t.Fatalf("truncated to %d of %d bytes: no error", n, len(b))
			}
		}
	}
}

// patch returns a copy of b with v written little-endian at off.
func patch(b []byte, off int, v any) []byte {
	c := append([]byte(nil), b...)
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, v)
	copy(c[off:], w.Bytes())
	return c
}

// tensorInfoOffset finds where the tensor infos of the sample file begin.
func tensorInfoOffset(t *testing.T, b []byte) int {
	i := bytes.Index(b, []byte("\x01\x00\x00\x00\x00\x00\x00\x00a\x02\x00\x00\x00"))
	if i < 0 {
		t.Fatal("tensor info of a not found")
	}
	return i
}

func TestBadFiles(t *testing.T) {
	good := sampleFile(t)
	ti := tensorInfoOffset(t, good) // name length of tensor "a"
	// Layout of tensor a's info: len(8) "a"(1) ndims(4) dims(16) type(4) offset(8).
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic", append([]byte("GGML"), good[4:]...), "magic"},
		{"v1", patch(good, 4, uint32(1)), "unsupported GGUF version 1"},
		{"v9", patch(good, 4, uint32(9)), "unsupported GGUF version 9"},
		{"big-endian", patch(good, 4, uint32(3<<24)), "big-endian"},
		{"tensor count", patch(good, 8, uint64(1)<<63), "tensor count 9223372036854775808"},
		{"kv count", patch(good, 16, ^uint64(0)), "metadata count"},
		{"key length", patch(good, 24, uint64(1)<<60), "string length 1152921504606846976"},
		{"value type", patch(good, 24+8+len("general.architecture"), uint32(13)), "unknown value type 13"},
		{"array length", patchArrayLen(t, good, "tokens", ^uint64(0)>>1), "string array length"},
		{"u8 array length", patchArrayLen(t, good, "bytes", uint64(1)<<40), "array length 1099511627776"},
		{"array elem type", patchArrayElemType(t, good, "bytes", 77), "array of unknown value type 77"},
		{"ndims", patch(good, ti+9, uint32(5)), "5 dimensions"},
		{"ggml type", patch(good, ti+9+4+16, uint32(4)), `tensor "a": unknown ggml type 4`},
		{"offset past end", patch(good, ti+9+4+16+4, uint64(1)<<40), `tensor "a": data at offset`},
		{"offset misaligned", patch(good, ti+9+4+16+4, uint64(8)), "not a multiple of the alignment"},
		{"overflow", patch(good, ti+9+4, []uint64{1 << 62, 1 << 62}), "overflows"},
		{"row length", patch(patch(good, ti+9+4+16, uint32(TypeQ8_0)), ti+9+4, []uint64{16, 3}), "not a multiple of the Q8_0 block size 32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readBytes(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "gguf: ") {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

// findKV returns the offset of the value type field of key in b.
func findKV(t *testing.T, b []byte, key string) int {
	var pre [8]byte
	binary.LittleEndian.PutUint64(pre[:], uint64(len(key)))
	i := bytes.Index(b, append(pre[:], key...))
	if i < 0 {
		t.Fatalf("key %q not found", key)
	}
	return i + 8 + len(key)
}

func patchArrayLen(t *testing.T, b []byte, key string, n uint64) []byte {
	return patch(b, findKV(t, b, key)+4+4, n)
}

func patchArrayElemType(t *testing.T, b []byte, key string, et uint32) []byte {
	return patch(b, findKV(t, b, key)+4, et)
}

func TestDuplicateKey(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.AddKV("aa", Value{uint8(1)})
	w.AddKV("ab", Value{uint8(2)})
	w.Close()
	b := bytes.Replace(buf.Bytes(), []byte("ab"), []byte("aa"), 1)
	if _, err := readBytes(b); err == nil || !strings.Contains(err.Error(), `duplicate metadata key "aa"`) {
		t.Errorf("duplicate key: %v", err)
	}
	buf.Reset()
	w = NewWriter(&buf)
	w.AddTensor("xx", TypeF32, []uint64{1})
	w.AddTensor("xy", TypeF32, []uint64{1})
	w.WriteTensor("xx", make([]byte, 4))
	w.WriteTensor("xy", make([]byte, 4))
	w.Close()
	b = bytes.Replace(buf.Bytes(), []byte("xy"), []byte("xx"), 1)
	if _, err := readBytes(b); err == nil || !strings.Contains(err.Error(), `duplicate tensor name "xx"`) {
		t.Errorf("duplicate tensor: %v", err)
	}
}

func TestDeepNesting(t *testing.T) {
	v := Value{[]uint8{1}}
	for i := 0; i < maxNesting+2; i++ {
		v = Value{[]Value{v}}
	}
	if err := NewWriter(&bytes.Buffer{}).AddKV("deep", v); err == nil {
		t.Error("writer accepted deep nesting")
	}
	// Hand-encode it to check the reader's limit as well.
	var buf bytes.Buffer
	e := &encoder{w: &buf}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(0)
	e.u64(1)
	e.str("deep")
	e.u32(uint32(TypeArray))
	e.array(v)
	if _, err := readBytes(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestV2(t *testing.T) {
	b := patch(sampleFile(t), 4, uint32(2))
	f, err := readBytes(b)
	if err != nil || f.Version != 2 {
		t.Fatalf("v2: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	good := sampleFile(f)
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	var buf bytes.Buffer
	NewWriter(&buf).Close() // empty v3 file
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		gf, err := readBytes(b)
		if err != nil {
			return
		}
		// Whatever was read can be dumped (as llmparts gguf does).
		if err := gf.Dump(io.Discard, 3); err != nil {
			t.Fatalf("dump: %v", err)
		}
		for _, ti := range gf.Tensors {
			d, err := gf.TensorData(ti.Name)
			if err != nil || uint64(len(d)) != ti.Size {
				t.Fatalf("tensor %s: %v, %d bytes of %d", ti.Name, err, len(d), ti.Size)
			}
			if x, err := gf.Dequantize(ti.Name); err == nil && uint64(len(x)) != ti.Elements() {
				t.Fatalf("tensor %s: %d values of %d", ti.Name, len(x), ti.Elements())
			} else if err != nil && quant.CanDequantize(ti.Type) {
				t.Fatalf("tensor %s: %v", ti.Name, err)
			}
		}
		// What was read must survive a write/read round trip.
		var out bytes.Buffer
		w := NewWriter(&out)
		for _, kv := range gf.KV {
			if kv.Key == "general.alignment" {
				if _, ok := kv.Value.Data.(uint32); !ok {
					return // the reader accepts wider types than the writer
				}
			}
			if err := w.AddKV(kv.Key, kv.Value); err != nil {
				t.Fatalf("rewrite %s: %v", kv.Key, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		g2, err := readBytes(out.Bytes())
		if err != nil {
			t.Fatalf("reread: %v", err)
		}
		if len(g2.KV) != len(gf.KV) {
			t.Fatalf("reread %d kvs, want %d", len(g2.KV), len(gf.KV))
		}
	})
}

func TestWriteTensorPart(t *testing.T) {
	var a, b bytes.Buffer
	data := make([]byte, 4*96)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, parts := range [][]int{{len(data)}, {4, 0, 100, len(data) - 104}} {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.AddTensor("x", TypeF32, []uint64{32, 3})
		w.AddTensor("y", TypeF32, []uint64{1})
		off := 0
		for _, n := range parts {
			if err := w.WriteTensorPart("x", data[off:off+n]); err != nil {
				t.Fatal(err)
			}
			off += n
		}
		if err := w.WriteTensorPart("x", []byte{1}); err == nil {
			t.Error("write past the end of x accepted")
		}
		if err := w.WriteTensor("y", []byte{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if a.Len() == 0 {
			a = buf
		} else {
			b = buf
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("pieces and whole differ")
	}
	w := NewWriter(&bytes.Buffer{})
	w.AddTensor("x", TypeF32, []uint64{2})
	w.WriteTensorPart("x", []byte{1, 2, 3})
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "only 3 of 8 bytes") {
		t.Errorf("Close after a partial tensor: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.gguf")); err == nil || !strings.HasPrefix(err.Error(), "gguf: ") {
		t.Errorf("missing file: %v", err)
	}
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), empty+": not a GGUF file") {
		t.Errorf("empty file: %v", err)
	}
	bad := filepath.Join(dir, "bad.gguf")
	b := sampleFile(t)
	os.WriteFile(bad, b[:len(b)-40], 0o644)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), bad+`: tensor "c": data at offset`) {
		t.Errorf("truncated file: %v", err)
	}
	good := filepath.Join(dir, "good.gguf")
	os.WriteFile(good, b, 0o644)
	f, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := f.TensorData("a")
	d2, _ := f.TensorData("a")
	if &d1[0] != &d2[0] {
		t.Error("TensorData of an opened file copies")
	}
	if f.Name() != good {
		t.Errorf("Name %q", f.Name())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Metadata stays usable after Close.
	if s, _ := f.String("general.architecture"); s != "llama" {
		t.Errorf("after Close: %q", s)
	}
	if _, err := f.TensorData("a"); err == nil {
		t.Error("TensorData after Close succeeded")
	}
}

func TestDump(t *testing.T) {
	f, err := readBytes(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Dump(&buf, 2); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"version:    3,",
		"metadata:   27 entries",
		`general.architecture                         string         "llama"`,
		`tokens                                       string[4]      ["<unk>", "<s>", … 2 more]`,
		"i8                                           int8           -100",
		`nested                                       array[3]       [[1, 2], ["x"], … 1 more]`,
		"tensors:    3, 71 elements",
		"b.q8                                         Q8_0    [64] 68 bytes at +32",
		"F32        1 tensors,            6 elements,           24 bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	f.Dump(&buf, -1)
	if !strings.Contains(buf.String(), `["<unk>", "<s>", "", "▁a"]`) {
		t.Errorf("full dump:\n%s", buf.String())
	}
}

func TestLyingCountsAllocateLittle(t *testing.T) {
	// 4 MB of zeros after a header claiming 300,000 metadata entries and
	// as many tensors: the zeros parse as an entry with an empty key, then
	// a duplicate; nothing proportional to the counts may be reserved.
	b := make([]byte, 4<<20)
	copy(b, "GGUF")
	binary.LittleEndian.PutUint32(b[4:], 3)
	binary.LittleEndian.PutUint64(b[8:], 100000)
	binary.LittleEndian.PutUint64(b[16:], 300000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readBytes(b)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), `duplicate metadata key ""`) {
		t.Fatalf("error %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("parsing allocated %d bytes", n)
	}
}

// shortReader claims more bytes than it has, and reports io.EOF together
// with a full read at the very end (both allowed by io.ReaderAt).
type shortReader struct{ b []byte }

func (r shortReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:])
	if n < len(p) || off+int64(n) == int64(len(r.b)) {
		return n, io.EOF
	}
	return n, nil
}

func TestReaderAtEdgeCases(t *testing.T) {
	b := sampleFile(t)
	// A full read that ends exactly at EOF and says io.EOF is fine.
	f, err := Read(shortReader{b}, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, f)
	// A reader shorter than the size it was given is an error, not zeros.
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.AddKV("big", Value{make([]uint8, 100000)}) // larger than the read window
	w.Close()
	full := buf.Bytes()
	if _, err := Read(shortReader{full[:50000]}, int64(len(full))); err == nil || !strings.Contains(err.Error(), "unexpected end of file") {
		t.Errorf("short reader: %v", err)
	}
	if g, err := Read(shortReader{full}, int64(len(full))); err != nil || len(g.KV) != 1 {
		t.Errorf("large array through ReaderAt: %v", err)
	}
}
