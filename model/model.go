package model

import (
	"fmt"
	"math"
	"sync"

	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/norm"
	"github.com/llmparts/llmparts/quant"
)

// Norm is one normalisation layer of the model, computed by package norm
// (a *norm.RMSNorm or *norm.LayerNorm). The zero Norm is absent: the
// block skips it.
type Norm struct {
	Layer norm.Layer
	// Heads, when > 1, holds one layer per head (a per-head q/k norm with
	// its own weights per head): head h of each row uses Heads[h].
	Heads []norm.Layer
}

// Present reports whether the norm exists.
func (n Norm) Present() bool { return n.Layer != nil || n.Heads != nil }

// forward normalises the rows of x into y (len(x) a multiple of the
// layer's width; y may alias x). Parameters were validated at load, so
// the norm package cannot fail here.
func (n Norm) forward(y, x []float32) {
	if n.Heads == nil {
		_ = n.Layer.Forward(y, x, nil)
		return
	}
	w := n.Heads[0].Width()
	H := len(n.Heads)
	for r := 0; r+w*H <= len(x); r += w * H {
		for h, l := range n.Heads {
			o := r + h*w
			_ = l.Forward(y[o:o+w], x[o:o+w], nil)
		}
	}
}

// params returns the weights and biases of the norm (for counting).
func (n Norm) params() (w, b [][]float32) {
	ls := n.Heads
	if n.Layer != nil {
		ls = []norm.Layer{n.Layer}
	}
	for _, l := range ls {
		switch l := l.(type) {
		case *norm.RMSNorm:
			w, b = append(w, l.Weight), append(b, l.Bias)
		case *norm.LayerNorm:
			w, b = append(w, l.Weight), append(b, l.Bias)
		}
	}
	return w, b
}

// Block is one transformer layer. Which of its parts exist is the
// family's choice (Config and the tensors present): absent norms are
// skipped, nil biases are zero.
type Block struct {
	Index int
	// AttnNorm and FFNNorm come before attention and MLP;
	// AttnPostNorm and FFNPostNorm normalise their outputs before the
	// residual add (Gemma 2, OLMo 2).
	AttnNorm, AttnPostNorm, FFNNorm, FFNPostNorm Norm
	// QNorm and KNorm normalise the projected queries and keys (before
	// RoPE): over the whole vector (OLMo 2) or per head.
	QNorm, KNorm   Norm
	WQ, WK, WV, WO *Tensor
	BQ, BK, BV, BO []float32
	Gate, Up, Down *Tensor // Gate is nil for the GELU MLP
	BUp, BDown     []float32
}

// Model is a loaded decoder-only transformer of one of the Families.
type Model struct {
	Config Config
	// Family is the architecture description the model was bound with
	// (nil for a hand-built Config).
	Family *Family
	// Embed is the token embedding [vocab][dim]; Output the LM head
	// (Embed itself when tied) and OutputBias its bias (Phi-2).
	Embed, Output *Tensor
	OutputBias    []float32
	PosEmbed      *Tensor // learned positions [ctx][dim] (nil otherwise)
	EmbedNorm     Norm    // norm of the embeddings (BLOOM)
	Blocks        []*Block
	FinalNorm     Norm
	Info          Info
	// QuantizeActivations puts every quantized weight type on the integer
	// path, as llama.cpp's CPU code does: the activations are quantized per
	// block (to Q8_0, Q8_1 or Q8_K: an error of up to ~0.4% of each block's
	// largest |x|) and each block is an exact integer dot product.
	// FloatActivations puts every type on the float path (float32
	// activations; the product equals that of the dequantized weights up
	// to rounding). With neither, each type takes its measured default
	// (quant.Kernels.PreferInt: the K-quants and IQ4 types the integer
	// path, F16, BF16, Q8_0 and Q4_0 the float path).
	QuantizeActivations, FloatActivations bool
	// MatchGGML computes attention (scores, softmax, weighted values) and
	// SiLU in the float32 arithmetic of llama.cpp's CPU backend built for
	// AVX-512 (kernel.DotGGML, SoftmaxGGML, WeightedSumGGML,
	// SiLUMulGGML), bit for bit, in scalar Go: several times slower than
	// the SIMD kernels; RoPE rotates in ggml's float32 arithmetic too
	// (its angles and RMSNorm's sum are ggml's always), and F16 weights on
	// the integer path multiply as its F16 GEMM (kernel.Dot16GGML). So with
	// QuantizeActivations the activations quantize exactly as
	// llama.cpp's and the logits equal its logits on the same file (a
	// prompt in one batch; not with soft-capping or ALiBi, which keep the
	// default kernels).
	MatchGGML bool

	pool   *pool
	closer func() error
	batch  *Session // ForwardBatch's rows (batch.go)

	// F32 weights packed for prompt GEMMs (kernel.PackB), each made on
	// the second product of several tokens with the matrix (packedF32).
	packMu sync.Mutex
	packed map[*Tensor]packedF32
}

// Info describes where a model came from, for display.
type Info struct {
	Format      string   // "llama2c", "llama2c-v1", "gguf", "checkpoint", "hf" (Hugging Face folder)
	Path        string   // file or directory loaded
	Tokenizer   string   // the folder's tokenizer.json (checkpoint, hf), else ""; llmparts.Open sets it for every format
	Dequantized []string // tensors converted to F32 at load, with their original type
	Mapped      bool     // weights are memory-mapped
	HugePages   bool     // weight matrices copied into memory advised for huge pages
	Meta        map[string]string
}

// MaxThreads is the most worker goroutines a model uses; SetThreads
// clamps larger counts to it (each worker costs a goroutine and its
// scratch rows, and beyond the core count only adds switching).
const MaxThreads = sysmem.MaxThreads

// CheckThreads returns an error for a thread count SetThreads would not
// take as given: negative, or more than MaxThreads.
func CheckThreads(n int) error {
	if n < 0 || n > MaxThreads {
		return fmt.Errorf("threads %d: want 0 (all cores) to %d", n, MaxThreads)
	}
	return nil
}

// SetThreads sets the number of goroutines used by forward passes
// (0 = GOMAXPROCS; more than MaxThreads means MaxThreads; see
// CheckThreads). Prompt GEMMs run in the kernel package, so this also
// calls kernel.SetThreads, a process-wide setting.
func (m *Model) SetThreads(n int) {
	n = min(n, MaxThreads)
	if m.pool != nil {
		m.pool.close()
	}
	m.pool = newPool(n)
	kernel.SetThreads(m.pool.n)
}

// Threads returns the number of worker goroutines.
func (m *Model) Threads() int { return m.pool.n }

// Close releases the model's memory mapping and workers.
func (m *Model) Close() error {
	if m.pool != nil {
		m.pool.close()
	}
	if m.closer != nil {
		f := m.closer
		m.closer = nil
		return f()
	}
	return nil
}

// Tensors returns every distinct weight matrix of the model.
func (m *Model) Tensors() []*Tensor { return m.tensors() }

// tensors returns every weight matrix of the model once (a tied head is
// the embedding).
func (m *Model) tensors() []*Tensor {
	seen := map[*Tensor]bool{}
	var out []*Tensor
	add := func(ts ...*Tensor) {
		for _, t := range ts {
			if t != nil && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	add(m.Embed, m.PosEmbed)
	for _, b := range m.Blocks {
		add(b.WQ, b.WK, b.WV, b.WO, b.Gate, b.Up, b.Down)
	}
	add(m.Output)
	return out
}

// NumParams counts all weights (matrices, norms and biases).
func (m *Model) NumParams() int64 {
	var n int64
	for _, t := range m.Tensors() {
		n += int64(t.Rows) * int64(t.Cols)
	}
	nv := func(xs ...[]float32) {
		for _, x := range xs {
			n += int64(len(x))
		}
	}
	nn := func(ns ...Norm) {
		for _, x := range ns {
			w, b := x.params()
			nv(w...)
			nv(b...)
		}
	}
	for _, b := range m.Blocks {
		nn(b.AttnNorm, b.AttnPostNorm, b.FFNNorm, b.FFNPostNorm, b.QNorm, b.KNorm)
		nv(b.BQ, b.BK, b.BV, b.BO, b.BUp, b.BDown)
	}
	nn(m.FinalNorm, m.EmbedNorm)
	nv(m.OutputBias)
	return n
}

// WeightBytes is the number of weight bytes a decode step reads (every
// matrix once; the embedding only one row unless it is also the LM head).
func (m *Model) WeightBytes() int64 {
	var n int64
	for _, t := range m.Tensors() {
		if t == m.Embed || t == m.PosEmbed {
			continue
		}
		n += t.Bytes()
	}
	if m.Output == m.Embed {
		n += m.Output.Bytes()
	}
	return n
}

// PackedBytes is the memory held by packed copies of F32 weight matrices,
// made when a second prompt (several tokens) is multiplied with each
// matrix, so that later prompts do not copy the weights into the GEMM's
// layout every time. It is 0 before that and for quantized weights.
func (m *Model) PackedBytes() int64 {
	m.packMu.Lock()
	defer m.packMu.Unlock()
	var n int64
	for _, p := range m.packed {
		if p.p != nil {
			n += p.p.Bytes()
		}
	}
	return n
}

type packedF32 struct {
	p  *kernel.PackedB // nil until the second use
	of *float32        // &F32[0] when first used: a replaced F32 starts over
}

// packedF32 returns w's F32 weights packed for kernel.MatMulPacked, or nil
// on the first prompt that uses w, which multiplies the unpacked weights
// (packing them as part of that product) as a single prompt has nothing
// to gain from a packed copy: making it costs more than the product's own
// packing (a new allocation the size of the matrix). From the second use
// on, the packed copy spares the copy of the weights that every prompt
// made; it costs as much memory again as the matrix (PackedBytes counts
// it). The values of w.F32 must not change in place once packed.
func (m *Model) packedF32(w *Tensor) *kernel.PackedB {
	m.packMu.Lock()
	defer m.packMu.Unlock()
	p, ok := m.packed[w]
	switch {
	case !ok || p.of != &w.F32[0]:
		if m.packed == nil {
			m.packed = map[*Tensor]packedF32{}
		}
		m.packed[w] = packedF32{of: &w.F32[0]}
		return nil
	case p.p == nil:
		p.p = kernel.PackB(w.F32, w.Rows, w.Cols)
		m.packed[w] = p
	}
	return p.p
}

// weightBytes is the storage size of the weight matrices.
func (m *Model) weightBytes() int64 {
	var n int64
	for _, t := range m.tensors() {
		n += t.Bytes()
	}
	return n
}

// check runs the load-time checks every format shares and starts the
// worker pool.
func (m *Model) check(file string) error {
	if err := m.checkFinite(file); err != nil {
		return err
	}
	if m.pool == nil {
		m.pool = newPool(0)
	}
	return nil
}

// maxScanEmbed bounds the F32 token embedding checked for NaN/Inf at load
// (64 MiB of values); larger embeddings are not scanned, to keep loading
// a mapped model from reading it all.
const maxScanEmbed = 1 << 24

// checkFinite refuses NaN or ±Inf in the weights that are cheap to scan:
// every norm weight and bias, every bias, and an F32 token embedding of at
// most maxScanEmbed values. One NaN there makes every output NaN (empty or
// garbage text without a word).
func (m *Model) checkFinite(file string) error {
	type vec struct {
		v    []float32
		what string
	}
	var vs []vec
	addNorm := func(n Norm, what string) {
		w, b := n.params()
		for i := range w {
			vs = append(vs, vec{w[i], what + " weight"}, vec{b[i], what + " bias"})
		}
	}
	addNorm(m.FinalNorm, "final norm")
	addNorm(m.EmbedNorm, "embedding norm")
	vs = append(vs, vec{m.OutputBias, "output bias"})
	for i, b := range m.Blocks {
		p := fmt.Sprintf("layer %d ", i)
		addNorm(b.AttnNorm, p+"attention norm")
		addNorm(b.AttnPostNorm, p+"attention post-norm")
		addNorm(b.FFNNorm, p+"ffn norm")
		addNorm(b.FFNPostNorm, p+"ffn post-norm")
		addNorm(b.QNorm, p+"q norm")
		addNorm(b.KNorm, p+"k norm")
		vs = append(vs, vec{b.BQ, p + "q bias"}, vec{b.BK, p + "k bias"}, vec{b.BV, p + "v bias"},
			vec{b.BO, p + "output bias"}, vec{b.BUp, p + "up bias"}, vec{b.BDown, p + "down bias"})
	}
	if e := m.Embed; e != nil && e.Type == quant.F32 && len(e.F32) <= maxScanEmbed {
		vs = append(vs, vec{e.F32, "token embedding " + e.Name})
	}
	for _, v := range vs {
		for i, x := range v.v {
			if x != x || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s: %s holds %v at index %d (weights must be finite)", file, v.what, x, i)
			}
		}
	}
	return nil
}
