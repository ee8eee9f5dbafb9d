package llama2c

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func TestOpenStories260K(t *testing.T) {
	p := testdata.Path(t, "llama2c/stories260K.bin")
	c, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := Config{Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKVHeads: 4, VocabSize: 512, SeqLen: 512, SharedClassifier: true}
	if c.Config != want {
		t.Fatalf("config = %+v, want %+v", c.Config, want)
	}
	if c.KVDim() != 32 || c.HeadSize() != 8 {
		t.Fatalf("kv dim %d head size %d", c.KVDim(), c.HeadSize())
	}
	if len(c.TokenEmbedding.F32) != 512*64 || len(c.Layers[4].W2.F32) != 64*172 || len(c.FinalNorm.F32) != 64 {
		t.Fatal("wrong tensor sizes")
	}
	// The first embedding value and the final norm's first value, read
	// independently from the file.
	raw, _ := os.ReadFile(p)
	f := func(off int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(raw[off:])) }
	if c.TokenEmbedding.F32[0] != f(28) {
		t.Fatalf("embedding[0] = %v want %v", c.TokenEmbedding.F32[0], f(28))
	}
	// rms_final sits before the 2·512·4 floats of RoPE tables at the end.
	if got, w := c.FinalNorm.F32[63], f(len(raw)-4*(2*512*4)-4); got != w {
		t.Fatalf("rms_final[63] = %v want %v", got, w)
	}
	if &c.Classifier.F32[0] != &c.TokenEmbedding.F32[0] {
		t.Fatal("shared classifier should alias the embedding")
	}
}

// build writes a legacy or versioned file from a generator of values.
func build(cfg Config, version int, group int) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	vocab := int32(cfg.VocabSize)
	if version == 0 && !cfg.SharedClassifier {
		vocab = -vocab
	}
	if version > 0 {
		w(uint32(Magic))
		w(int32(version))
	}
	w([]int32{int32(cfg.Dim), int32(cfg.HiddenDim), int32(cfg.NLayers), int32(cfg.NHeads), int32(cfg.NKVHeads), vocab, int32(cfg.SeqLen)})
	if version > 0 {
		sh := byte(0)
		if cfg.SharedClassifier {
			sh = 1
		}
		w(sh)
		if version == 2 {
			w(int32(group))
		}
		b.Write(make([]byte, 256-b.Len()))
	}
	n := 0
	seq := func(k int) []float32 {
		out := make([]float32, k)
		for i := range out {
			n++
			out[i] = float32(n%97) / 97
		}
		return out
	}
	d, h, L, V, kv := cfg.Dim, cfg.HiddenDim, cfg.NLayers, cfg.VocabSize, cfg.KVDim()
	q8 := func(k int) {
		v := seq(k)
		for g := 0; g < k; g += group {
			var m float32
			for _, x := range v[g : g+group] {
				m = max(m, float32(math.Abs(float64(x))))
			}
			s := m / 127
			for _, x := range v[g : g+group] {
				w(int8(math.Round(float64(x / s))))
			}
			_ = s
		}
		for g := 0; g < k; g += group {
			var m float32
			for _, x := range v[g : g+group] {
				m = max(m, float32(math.Abs(float64(x))))
			}
			w(m / 127)
		}
	}
	switch version {
	case 0:
		w(seq(V * d))
		w(seq(L * d))
		w(seq(L * d * d))
		w(seq(L * kv * d))
		w(seq(L * kv * d))
		w(seq(L * d * d))
		w(seq(L * d))
		w(seq(L * h * d))
		w(seq(L * d * h))
		w(seq(L * h * d))
		w(seq(d))
		w(seq(cfg.SeqLen * cfg.HeadSize()))
		if !cfg.SharedClassifier {
			w(seq(V * d))
		}
	case 1, 2:
		w(seq(2*L*d + d))
		for _, k := range []int{V * d, L * d * d, L * kv * d, L * kv * d, L * d * d, L * h * d, L * d * h, L * h * d} {
			if version == 1 {
				w(seq(k))
			} else {
				q8(k)
			}
		}
		if !cfg.SharedClassifier {
			if version == 1 {
				w(seq(V * d))
			} else {
				q8(V * d)
			}
		}
	}
	return b.Bytes()
}

var small = Config{Dim: 8, HiddenDim: 16, NLayers: 2, NHeads: 2, NKVHeads: 1, VocabSize: 10, SeqLen: 4}

func TestVersions(t *testing.T) {
	for _, shared := range []bool{true, false} {
		cfg := small
		cfg.SharedClassifier = shared
		for _, v := range []int{0, 1, 2} {
			data := build(cfg, v, 8)
			c, err := Parse(data, "x.bin")
			if err != nil {
				t.Fatalf("v%d shared=%v: %v", v, shared, err)
			}
			want := cfg
			want.Version = v
			if v == 2 {
				want.GroupSize = 8
			}
			if c.Config != want {
				t.Fatalf("v%d config %+v want %+v", v, c.Config, want)
			}
			// Values are n%97/97 in write order; check the first embedding
			// value of each layout.
			e := c.TokenEmbedding.Dequantize()
			var first float32 = 1.0 / 97
			if v > 0 {
				first = float32((2*cfg.NLayers*cfg.Dim+cfg.Dim+1)%97) / 97
			}
			if math.Abs(float64(e[0]-first)) > 1e-2 {
				t.Fatalf("v%d embedding[0] = %v want %v", v, e[0], first)
			}
			if got := c.Layers[1].FFNNorm.F32[0]; v > 0 && got != float32((cfg.NLayers*cfg.Dim+cfg.Dim+1)%97)/97 {
				t.Fatalf("v%d ffn_norm[1][0] = %v", v, got)
			}
			if shared != (&c.Classifier.Dequantize()[0] == &e[0] || (v == 2 && c.Classifier.Q != nil && &c.Classifier.Q[0] == &c.TokenEmbedding.Q[0])) {
				t.Fatalf("v%d: classifier sharing wrong", v)
			}
		}
	}
}

func TestBadFiles(t *testing.T) {
	good := build(small, 0, 0)
	cases := map[string][]byte{
		"empty":     {},
		"short":     good[:20],
		"truncated": good[:len(good)-4],
		"zero dim":  func() []byte { b := bytes.Clone(good); binary.LittleEndian.PutUint32(b, 0); return b }(),
		"absurd":    func() []byte { b := bytes.Clone(good); binary.LittleEndian.PutUint32(b, 1<<30); return b }(),
		"huge vocab": func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[20:], 1<<23)
			return b
		}(),
		"heads": func() []byte { b := bytes.Clone(good); binary.LittleEndian.PutUint32(b[12:], 3); return b }(),
		"bad version": func() []byte {
			b := build(small, 1, 0)
			binary.LittleEndian.PutUint32(b[4:], 7)
			return b
		}(),
	}
	for name, data := range cases {
		if _, err := Parse(data, "bad.bin"); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "bad.bin") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.bin")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestOpenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.bin")
	if err := os.WriteFile(p, build(small, 1, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dim != 8 || c.Version != 1 {
		t.Fatalf("%+v", c.Config)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(build(small, 0, 0))
	f.Add(build(small, 1, 0))
	f.Add(build(small, 2, 8))
	f.Add(build(tiny4, 2, 32)) // issue 14 item 2: 4×4 matrices, group 32
	f.Add(build(tiny4, 2, 16))
	f.Add([]byte{})
	f.Add(build(small, 0, 0)[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.bin")
		if err != nil {
			return
		}
		// Every tensor of an accepted file dequantizes (item 2 panicked in
		// a layer matrix, not in the embedding).
		_ = c.TokenEmbedding.Dequantize()
		_ = c.Classifier.Dequantize()
		_ = c.FinalNorm.Dequantize()
		for _, l := range c.Layers {
			for _, t := range []Tensor{l.AttnNorm, l.FFNNorm, l.WQ, l.WK, l.WV, l.WO, l.W1, l.W2, l.W3} {
				_ = t.Dequantize()
			}
		}
	})
}

// tiny4 has 4×4 attention matrices: with group size 32 each layer total
// (2 layers × 16) is a whole number of groups but no single matrix is.
var tiny4 = Config{Dim: 4, HiddenDim: 8, NLayers: 2, NHeads: 1, NKVHeads: 1, VocabSize: 8, SeqLen: 4}

// TestHostileGroupSize (issue 14 item 2): a version-2 file whose group
// size divides the layer totals but not each tensor is refused by Parse
// (Dequantize panicked), and the same shapes with group 16 load.
func TestHostileGroupSize(t *testing.T) {
	_, err := Parse(build(tiny4, 2, 32), "tiny.bin")
	if err == nil || !strings.Contains(err.Error(), "llama2c: tiny.bin: tensor attention.wq/wo of 16 values is not a multiple of the Q8_0 group size 32") {
		t.Fatalf("group 32 on 4×4 matrices: %v", err)
	}
	c, err := Parse(build(tiny4, 2, 16), "tiny.bin")
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Layers[1].WQ.Dequantize(); len(w) != 16 {
		t.Fatalf("WQ has %d values", len(w))
	}
}
