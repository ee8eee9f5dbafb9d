package llama2c

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/llmparts/llmparts/internal/safeio"
)

// Weights are the float32 tensors of a version 0 file, row-major, in the
// shapes of Checkpoint's fields (WK and WV [kv][d], W1 and W3 [h][d], W2
// [d][h]). Classifier is nil when the LM head is the token embedding. The q
// and k rows are in Meta's interleaved RoPE pair order, which run.c uses.
type Weights struct {
	TokenEmbedding []float32
	Layers         []LayerWeights
	FinalNorm      []float32
	Classifier     []float32
}

// LayerWeights are one block's tensors.
type LayerWeights struct {
	AttnNorm, FFNNorm, WQ, WK, WV, WO, W1, W2, W3 []float32
}

// Write writes a legacy (version 0) checkpoint, what llama2.c's run.c
// reads: seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
// vocab_size — negative when the classifier is not shared — and seq_len),
// then float32 token embedding, the per-layer tensors grouped by kind
// (all attention norms, all wq, wk, wv, wo, all ffn norms, all w1, w2,
// w3), the final norm, the RoPE table freq_cis_real and freq_cis_imag
// ([seq_len][head_size/2] cos and sin of p·10000^(−2i/head_size), which
// run.c skips), and the classifier if not shared. c.Version must be 0.
func Write(w io.Writer, c Config, wt Weights) error {
	if c.Version != 0 {
		return fmt.Errorf("llama2c: write: only version 0 is written, not %d", c.Version)
	}
	for _, v := range []int{c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKVHeads, c.VocabSize, c.SeqLen} {
		if v <= 0 || v > math.MaxInt32 {
			return fmt.Errorf("llama2c: write: header value %d out of range", v)
		}
	}
	if c.Dim%c.NHeads != 0 || c.NHeads%c.NKVHeads != 0 || c.HeadSize()%2 != 0 {
		return fmt.Errorf("llama2c: write: dim %d, heads %d, kv heads %d do not fit", c.Dim, c.NHeads, c.NKVHeads)
	}
	if len(wt.Layers) != c.NLayers || (wt.Classifier == nil) != c.SharedClassifier {
		return fmt.Errorf("llama2c: write: %d layers for n_layers %d, classifier given %v, shared %v", len(wt.Layers), c.NLayers, wt.Classifier != nil, c.SharedClassifier)
	}
	d, h, kv, v := c.Dim, c.HiddenDim, c.KVDim(), c.VocabSize
	bw := bufio.NewWriterSize(w, 1<<20)
	vocab := int32(v)
	if !c.SharedClassifier {
		vocab = -vocab
	}
	hdr := []int32{int32(d), int32(h), int32(c.NLayers), int32(c.NHeads), int32(c.NKVHeads), vocab, int32(c.SeqLen)}
	if err := binary.Write(bw, binary.LittleEndian, hdr); err != nil {
		return fmt.Errorf("llama2c: write: %w", err)
	}
	var buf [4]byte
	put := func(name string, x []float32, n int) error {
		if len(x) != n {
			return fmt.Errorf("llama2c: write: %s has %d values, want %d", name, len(x), n)
		}
		for _, f := range x {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(f))
			if _, err := bw.Write(buf[:]); err != nil {
				return fmt.Errorf("llama2c: write: %w", err)
			}
		}
		return nil
	}
	if err := put("token embedding", wt.TokenEmbedding, v*d); err != nil {
		return err
	}
	for _, k := range []struct {
		name string
		get  func(LayerWeights) []float32
		n    int
	}{
		{"attention norm", func(l LayerWeights) []float32 { return l.AttnNorm }, d},
		{"wq", func(l LayerWeights) []float32 { return l.WQ }, d * d},
		{"wk", func(l LayerWeights) []float32 { return l.WK }, kv * d},
		{"wv", func(l LayerWeights) []float32 { return l.WV }, kv * d},
		{"wo", func(l LayerWeights) []float32 { return l.WO }, d * d},
		{"ffn norm", func(l LayerWeights) []float32 { return l.FFNNorm }, d},
		{"w1", func(l LayerWeights) []float32 { return l.W1 }, h * d},
		{"w2", func(l LayerWeights) []float32 { return l.W2 }, d * h},
		{"w3", func(l LayerWeights) []float32 { return l.W3 }, h * d},
	} {
		for i, l := range wt.Layers {
			if err := put(fmt.Sprintf("layer %d %s", i, k.name), k.get(l), k.n); err != nil {
				return err
			}
		}
	}
	if err := put("final norm", wt.FinalNorm, d); err != nil {
		return err
	}
	hs := c.HeadSize()
	re := make([]float32, 0, c.SeqLen*hs/2)
	im := make([]float32, 0, c.SeqLen*hs/2)
	for p := 0; p < c.SeqLen; p++ {
		for i := 0; i < hs/2; i++ {
			a := float64(p) * math.Pow(10000, -float64(2*i)/float64(hs))
			re = append(re, float32(math.Cos(a)))
			im = append(im, float32(math.Sin(a)))
		}
	}
	if err := put("freq_cis_real", re, len(re)); err != nil {
		return err
	}
	if err := put("freq_cis_imag", im, len(im)); err != nil {
		return err
	}
	if !c.SharedClassifier {
		if err := put("classifier", wt.Classifier, v*d); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("llama2c: write: %w", err)
	}
	return nil
}

// WriteFile writes a version 0 checkpoint to path atomically (a temporary
// file beside it, synced, then renamed), mode 0644.
func WriteFile(path string, c Config, wt Weights) error {
	return safeio.WriteFileAtomic(path, func(w io.Writer) error { return Write(w, c, wt) })
}
