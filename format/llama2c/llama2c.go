package llama2c

import (
	"github.com/llmparts/llmparts/internal/le"

	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"unsafe"
)

// Magic is the first uint32 of a versioned ("ak42") llama2.c file.
const Magic = 0x616b3432

// Config holds the hyper-parameters stored in a checkpoint header.
type Config struct {
	Dim       int // model width d
	HiddenDim int // MLP width h
	NLayers   int // number of transformer blocks
	NHeads    int // query heads
	NKVHeads  int // key/value heads (GQA when < NHeads)
	VocabSize int // vocabulary size (always positive here)
	SeqLen    int // maximum context length
	// SharedClassifier reports whether the LM head reuses the token
	// embedding (legacy files: vocab_size > 0 in the header).
	SharedClassifier bool
	// Version is 0 for legacy files, else the "ak42" version (1 or 2).
	Version int
	// GroupSize is the Q8_0 group size of version 2 files (0 otherwise).
	GroupSize int
}

// HeadSize returns Dim/NHeads.
func (c Config) HeadSize() int { return c.Dim / c.NHeads }

// KVDim returns the width of the key and value projections.
func (c Config) KVDim() int { return c.HeadSize() * c.NKVHeads }

// Tensor is one weight matrix (or vector) of a checkpoint. Exactly one of
// F32 or Q is set. A quantized tensor holds Rows·Cols int8 values Q and one
// float32 scale per GroupSize consecutive values in Scales.
type Tensor struct {
	Name       string
	Rows, Cols int
	F32        []float32
	Q          []int8
	Scales     []float32
	GroupSize  int
}

// Layer holds the weights of one transformer block.
type Layer struct {
	AttnNorm, FFNNorm Tensor // [d]
	WQ, WO            Tensor // [d][d]
	WK, WV            Tensor // [kv][d]
	W1, W3            Tensor // [h][d] (gate, up)
	W2                Tensor // [d][h] (down)
}

// Checkpoint is an opened llama2.c model file.
type Checkpoint struct {
	Config
	Path           string
	TokenEmbedding Tensor // [V][d]
	Layers         []Layer
	FinalNorm      Tensor // [d]
	Classifier     Tensor // [V][d]; the same data as TokenEmbedding when shared
	Mapped         bool   // weights point into a memory mapping of the file

	unmap func() error
}

// Close releases the file mapping. The weight slices must not be used
// afterwards.
func (c *Checkpoint) Close() error {
	if c.unmap == nil {
		return nil
	}
	f := c.unmap
	c.unmap = nil
	return f()
}

// Open reads the checkpoint at path, memory-mapping it when possible.
func Open(path string) (*Checkpoint, error) {
	data, unmap, mapped, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	c, err := Parse(data, path)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, err
	}
	c.Mapped = mapped
	c.unmap = unmap
	return c, nil
}

// maxDim bounds every header field so that size arithmetic cannot overflow.
const maxDim = 1 << 24

// Parse decodes a checkpoint held in data; name is used in error messages.
// The returned weights alias data when its alignment and the machine's byte
// order allow, else they are copied.
func Parse(data []byte, name string) (*Checkpoint, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("llama2c: %s: %s", name, fmt.Sprintf(format, a...))
	}
	if len(data) < 28 {
		return nil, bad("file is %d bytes, shorter than the 28-byte header", len(data))
	}
	order := binary.LittleEndian
	var cfg Config
	off := 0
	if order.Uint32(data) == Magic {
		if len(data) < 256 {
			return nil, bad("versioned file is %d bytes, shorter than its 256-byte header", len(data))
		}
		cfg.Version = int(int32(order.Uint32(data[4:])))
		if cfg.Version != 1 && cfg.Version != 2 {
			return nil, bad("unsupported version %d (supported: 1 float32, 2 Q8_0)", cfg.Version)
		}
		off = 8
	}
	var h [7]int
	for i := range h {
		h[i] = int(int32(order.Uint32(data[off+4*i:])))
	}
	cfg.Dim, cfg.HiddenDim, cfg.NLayers, cfg.NHeads, cfg.NKVHeads, cfg.VocabSize, cfg.SeqLen = h[0], h[1], h[2], h[3], h[4], h[5], h[6]
	if cfg.Version == 0 {
		cfg.SharedClassifier = cfg.VocabSize > 0
		if cfg.VocabSize < 0 {
			cfg.VocabSize = -cfg.VocabSize
		}
		off = 28
	} else {
		cfg.SharedClassifier = data[36] != 0
		if cfg.Version == 2 {
			cfg.GroupSize = int(int32(order.Uint32(data[37:])))
		}
		off = 256
	}
	for i, v := range []int{cfg.Dim, cfg.HiddenDim, cfg.NLayers, cfg.NHeads, cfg.NKVHeads, cfg.VocabSize, cfg.SeqLen} {
		if v <= 0 || v > maxDim {
			return nil, bad("header field %s = %d is out of range (1..%d)", headerNames[i], v, maxDim)
		}
	}
	if cfg.Dim%cfg.NHeads != 0 {
		return nil, bad("dim %d is not a multiple of n_heads %d", cfg.Dim, cfg.NHeads)
	}
	if cfg.NKVHeads > cfg.NHeads || cfg.NHeads%cfg.NKVHeads != 0 {
		return nil, bad("n_heads %d is not a multiple of n_kv_heads %d", cfg.NHeads, cfg.NKVHeads)
	}
	if cfg.HeadSize()%2 != 0 {
		return nil, bad("head size %d is odd; RoPE needs pairs", cfg.HeadSize())
	}
	if cfg.Version == 2 && (cfg.GroupSize <= 0 || cfg.GroupSize > maxDim) {
		return nil, bad("Q8_0 group size %d is out of range", cfg.GroupSize)
	}

	// Sizes in float64 so that no product of header fields can overflow
	// (each factor is < 2^24; a matrix group has at most three).
	d, hd, L, V, kv := float64(cfg.Dim), float64(cfg.HiddenDim), float64(cfg.NLayers), float64(cfg.VocabSize), float64(cfg.KVDim())
	mats := []float64{V * d, L * d * d, L * kv * d, L * kv * d, L * d * d, L * hd * d, L * d * hd, L * hd * d}
	if !cfg.SharedClassifier {
		mats = append(mats, V*d)
	}
	norms := 2*L*d + d
	need := float64(off) + norms*4
	switch cfg.Version {
	case 0:
		for _, m := range mats {
			need += m * 4
		}
		need += float64(cfg.SeqLen) * float64(cfg.HeadSize()) * 4 // freq_cis real+imag
	case 1:
		for _, m := range mats {
			need += m * 4
		}
	case 2:
		// int8 values plus a float32 scale per group instead of float32s.
		// Groups never straddle tensors: every tensor (not only each
		// layer total) must hold a whole number of groups.
		g := float64(cfg.GroupSize)
		for _, t := range []struct {
			name string
			n    float64
		}{{"tok_embeddings", V * d}, {"attention.wq/wo", d * d}, {"attention.wk/wv", kv * d}, {"feed_forward.w1/w2/w3", hd * d}} {
			if math.Mod(t.n, g) != 0 {
				return nil, bad("tensor %s of %.0f values is not a multiple of the Q8_0 group size %d", t.name, t.n, cfg.GroupSize)
			}
		}
		for _, m := range mats {
			if math.Mod(m, g) != 0 {
				return nil, bad("a tensor of %.0f values is not a multiple of the group size %d", m, cfg.GroupSize)
			}
			need += m + m/g*4
		}
	}
	if need > float64(len(data)) {
		return nil, bad("header (dim %d, hidden %d, layers %d, heads %d/%d, vocab %d, seq %d) needs %.0f bytes but the file has %d (truncated or not a llama2.c checkpoint)",
			cfg.Dim, cfg.HiddenDim, cfg.NLayers, cfg.NHeads, cfg.NKVHeads, cfg.VocabSize, cfg.SeqLen, need, len(data))
	}

	c := &Checkpoint{Config: cfg, Path: name, Layers: make([]Layer, cfg.NLayers)}
	r := reader{data: data, off: off}
	f32 := func(n int64, nm string, rows, cols int) Tensor {
		return Tensor{Name: nm, Rows: rows, Cols: cols, F32: r.floats(int(n))}
	}
	D, H, KV, Vv := cfg.Dim, cfg.HiddenDim, cfg.KVDim(), cfg.VocabSize
	perLayer := func(set func(*Layer, Tensor), nm string, rows, cols int, quant bool) {
		for i := range c.Layers {
			name := fmt.Sprintf("layers.%d.%s", i, nm)
			if quant {
				set(&c.Layers[i], r.q8(name, rows, cols, cfg.GroupSize))
			} else {
				set(&c.Layers[i], f32(int64(rows*cols), name, rows, cols))
			}
		}
	}
	setAttnNorm := func(l *Layer, t Tensor) { l.AttnNorm = t }
	setFFNNorm := func(l *Layer, t Tensor) { l.FFNNorm = t }
	setWQ := func(l *Layer, t Tensor) { l.WQ = t }
	setWK := func(l *Layer, t Tensor) { l.WK = t }
	setWV := func(l *Layer, t Tensor) { l.WV = t }
	setWO := func(l *Layer, t Tensor) { l.WO = t }
	setW1 := func(l *Layer, t Tensor) { l.W1 = t }
	setW2 := func(l *Layer, t Tensor) { l.W2 = t }
	setW3 := func(l *Layer, t Tensor) { l.W3 = t }
	mats7 := func(quant bool) {
		perLayer(setWQ, "attention.wq", D, D, quant)
		perLayer(setWK, "attention.wk", KV, D, quant)
		perLayer(setWV, "attention.wv", KV, D, quant)
		perLayer(setWO, "attention.wo", D, D, quant)
		perLayer(setW1, "feed_forward.w1", H, D, quant)
		perLayer(setW2, "feed_forward.w2", D, H, quant)
		perLayer(setW3, "feed_forward.w3", H, D, quant)
	}
	switch cfg.Version {
	case 0:
		c.TokenEmbedding = f32(int64(Vv*D), "tok_embeddings", Vv, D)
		perLayer(setAttnNorm, "attention_norm", D, 1, false)
		perLayer(setWQ, "attention.wq", D, D, false)
		perLayer(setWK, "attention.wk", KV, D, false)
		perLayer(setWV, "attention.wv", KV, D, false)
		perLayer(setWO, "attention.wo", D, D, false)
		perLayer(setFFNNorm, "ffn_norm", D, 1, false)
		perLayer(setW1, "feed_forward.w1", H, D, false)
		perLayer(setW2, "feed_forward.w2", D, H, false)
		perLayer(setW3, "feed_forward.w3", H, D, false)
		c.FinalNorm = f32(int64(D), "norm", D, 1)
		r.off += cfg.SeqLen * cfg.HeadSize() * 4
		if !cfg.SharedClassifier {
			c.Classifier = f32(int64(Vv*D), "output", Vv, D)
		}
	case 1, 2:
		q := cfg.Version == 2
		perLayer(setAttnNorm, "attention_norm", D, 1, false)
		perLayer(setFFNNorm, "ffn_norm", D, 1, false)
		c.FinalNorm = f32(int64(D), "norm", D, 1)
		if q {
			c.TokenEmbedding = r.q8("tok_embeddings", Vv, D, cfg.GroupSize)
		} else {
			c.TokenEmbedding = f32(int64(Vv*D), "tok_embeddings", Vv, D)
		}
		mats7(q)
		if !cfg.SharedClassifier {
			if q {
				c.Classifier = r.q8("output", Vv, D, cfg.GroupSize)
			} else {
				c.Classifier = f32(int64(Vv*D), "output", Vv, D)
			}
		}
	}
	if cfg.SharedClassifier {
		c.Classifier = c.TokenEmbedding
		c.Classifier.Name = "output (shared with tok_embeddings)"
	}
	if r.off > len(data) {
		return nil, errors.New("llama2c: internal size mismatch") // unreachable: checked above
	}
	return c, nil
}

var headerNames = [...]string{"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"}

type reader struct {
	data []byte
	off  int
}

// floats returns n float32 values at the current offset, aliasing the data
// when aligned on a little-endian machine.
func (r *reader) floats(n int) []float32 {
	b := r.data[r.off : r.off+4*n]
	r.off += 4 * n
	return le.Float32s(b)
}

func (r *reader) q8(name string, rows, cols, g int) Tensor {
	n := rows * cols
	b := r.data[r.off : r.off+n]
	r.off += n
	var q []int8
	if n > 0 {
		q = unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), n)
	}
	return Tensor{Name: name, Rows: rows, Cols: cols, Q: q, Scales: r.floats(n / g), GroupSize: g}
}

// Dequantize returns the float32 values of t (t.F32 itself when not
// quantized).
func (t Tensor) Dequantize() []float32 {
	if t.Q == nil {
		return t.F32
	}
	out := make([]float32, len(t.Q))
	for i, q := range t.Q {
		out[i] = float32(q) * t.Scales[i/t.GroupSize]
	}
	return out
}
