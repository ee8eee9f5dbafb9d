package model

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/kernel"
)

// Norm is a normalisation layer applied to one row at a time.
type Norm struct {
	Kind   NormKind
	Weight []float32
	Bias   []float32 // LayerNorm only (may be nil)
	Eps    float64
	P      float64 // PRMSNorm fraction
}

// Forward writes the normalised x into y (y and x may alias).
func (n *Norm) Forward(y, x []float32) {
	d := len(x)
	switch n.Kind {
	case LayerNorm:
		var mean float64
		for _, v := range x {
			mean += float64(v)
		}
		mean /= float64(d)
		var vr float64
		for _, v := range x {
			vr += (float64(v) - mean) * (float64(v) - mean)
		}
		inv := 1 / math.Sqrt(vr/float64(d)+n.Eps)
		for i, v := range x {
			o := float32((float64(v) - mean) * inv)
			o *= n.Weight[i]
			if n.Bias != nil {
				o += n.Bias[i]
			}
			y[i] = o
		}
	default:
		k := d
		if n.Kind == PRMSNorm && n.P > 0 && n.P < 1 {
			k = max(1, int(math.Floor(float64(d)*n.P))) // as the norm package and the trainer
		}
		var ss float32
		for _, v := range x[:k] {
			ss += v * v
		}
		inv := float32(1 / math.Sqrt(float64(ss)/float64(k)+n.Eps))
		for i, v := range x {
			y[i] = v * inv * n.Weight[i]
		}
		if n.Bias != nil {
			for i := range y {
				y[i] += n.Bias[i]
			}
		}
	}
}

// Block is one transformer layer: attention then MLP, each pre-normed and
// added back to the residual stream.
type Block struct {
	Index             int
	AttnNorm, FFNNorm Norm
	WQ, WK, WV, WO    *Tensor
	BQ, BK, BV        []float32 // qwen2 biases (nil otherwise)
	Gate, Up, Down    *Tensor   // Gate is nil for GELU
}

// Model is a loaded Llama-style decoder.
type Model struct {
	Config Config
	// Embed is the token embedding [vocab][dim]; Output the LM head
	// (Embed itself when tied).
	Embed, Output *Tensor
	PosEmbed      *Tensor // learned positions [ctx][dim] (nil otherwise)
	Blocks        []*Block
	FinalNorm     Norm
	Info          Info
	// QuantizeActivations makes decoding with Q8_0 and Q4_0 weights
	// quantize the activation vector to Q8_0 and use exact integer block
	// dots, as llama.cpp's CPU path does: faster, with an error of up to
	// ~0.4% of each 32-value block's largest |x|. Off by default
	// (Options.QuantizeActivations).
	QuantizeActivations bool

	pool   *pool
	closer func() error
}

// Info describes where a model came from, for display.
type Info struct {
	Format      string   // "llama2c", "llama2c-v1", "gguf", "checkpoint"
	Path        string   // file or directory loaded
	Tokenizer   string   // tokenizer file beside the model, if known ("" else)
	Dequantized []string // tensors converted to F32 at load, with their original type
	Mapped      bool     // weights are memory-mapped
	HugePages   bool     // weight matrices copied into memory advised for huge pages
	Meta        map[string]string
}

// MaxThreads is the most worker goroutines a model uses; SetThreads
// clamps larger counts to it (each worker costs a goroutine and its
// scratch rows, and beyond the core count only adds switching).
const MaxThreads = 1024

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

// Tensors returns every distinct weight tensor of the model.
func (m *Model) Tensors() []*Tensor {
	var ts []*Tensor
	add := func(t *Tensor) {
		if t != nil {
			ts = append(ts, t)
		}
	}
	add(m.Embed)
	add(m.PosEmbed)
	for _, b := range m.Blocks {
		for _, t := range []*Tensor{b.WQ, b.WK, b.WV, b.WO, b.Gate, b.Up, b.Down} {
			add(t)
		}
	}
	if m.Output != m.Embed {
		add(m.Output)
	}
	return ts
}

// NumParams counts all weights (matrices, norms and biases).
func (m *Model) NumParams() int64 {
	var n int64
	for _, t := range m.Tensors() {
		n += int64(t.Rows) * int64(t.Cols)
	}
	nv := func(x []float32) { n += int64(len(x)) }
	for _, b := range m.Blocks {
		nv(b.AttnNorm.Weight)
		nv(b.AttnNorm.Bias)
		nv(b.FFNNorm.Weight)
		nv(b.FFNNorm.Bias)
		nv(b.BQ)
		nv(b.BK)
		nv(b.BV)
	}
	nv(m.FinalNorm.Weight)
	nv(m.FinalNorm.Bias)
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
	n += m.Output.Bytes() * boolInt(m.Output == m.Embed)
	return n
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (m *Model) check(file string) error {
	c := &m.Config
	if err := c.validate(file); err != nil {
		return err
	}
	D, KV, H, Q := c.Dim, c.NKVHeads*c.HeadDim, c.HiddenDim, c.NHeads*c.HeadDim
	shape := func(t *Tensor, name string, rows, cols int) error {
		if t == nil {
			return fmt.Errorf("%s: tensor %s is missing", file, name)
		}
		if t.Rows != rows || t.Cols != cols {
			return fmt.Errorf("%s: tensor %s has shape [%d][%d], want [%d][%d] from the hyper-parameters", file, t.Name, t.Rows, t.Cols, rows, cols)
		}
		return nil
	}
	vec := func(v []float32, name string, n int) error {
		if len(v) != n {
			return fmt.Errorf("%s: %s has %d values, want %d", file, name, len(v), n)
		}
		return nil
	}
	if err := shape(m.Embed, "token embedding", c.VocabSize, D); err != nil {
		return err
	}
	if err := shape(m.Output, "output", c.VocabSize, D); err != nil {
		return err
	}
	if c.Pos == PosLearned {
		if m.PosEmbed == nil || m.PosEmbed.Cols != D || m.PosEmbed.Type != F32 {
			return fmt.Errorf("%s: learned position embedding missing or not [ctx][%d] F32", file, D)
		}
		c.ContextLen = min(c.ContextLen, m.PosEmbed.Rows)
	}
	if len(m.Blocks) != c.NLayers {
		return fmt.Errorf("%s: %d blocks, want %d", file, len(m.Blocks), c.NLayers)
	}
	for i, b := range m.Blocks {
		p := fmt.Sprintf("layer %d ", i)
		errs := []error{
			vec(b.AttnNorm.Weight, p+"attention norm", D), vec(b.FFNNorm.Weight, p+"ffn norm", D),
			shape(b.WQ, p+"q", Q, D), shape(b.WK, p+"k", KV, D), shape(b.WV, p+"v", KV, D), shape(b.WO, p+"o", D, Q),
			shape(b.Up, p+"up", H, D), shape(b.Down, p+"down", D, H),
		}
		if c.MLP == SwiGLU {
			errs = append(errs, shape(b.Gate, p+"gate", H, D))
		}
		if b.AttnNorm.Bias != nil {
			errs = append(errs, vec(b.AttnNorm.Bias, p+"attention norm bias", D))
		}
		if b.FFNNorm.Bias != nil {
			errs = append(errs, vec(b.FFNNorm.Bias, p+"ffn norm bias", D))
		}
		if b.BQ != nil || b.BK != nil || b.BV != nil {
			errs = append(errs, vec(b.BQ, p+"q bias", Q), vec(b.BK, p+"k bias", KV), vec(b.BV, p+"v bias", KV))
		}
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
	}
	if err := vec(m.FinalNorm.Weight, "final norm", D); err != nil {
		return err
	}
	if m.FinalNorm.Bias != nil {
		if err := vec(m.FinalNorm.Bias, "final norm bias", D); err != nil {
			return err
		}
	}
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
// every norm weight and bias, the attention biases, and an F32 token
// embedding of at most maxScanEmbed values. One NaN there makes every
// output NaN (empty or garbage text without a word).
func (m *Model) checkFinite(file string) error {
	bad := func(v []float32, what string) error {
		for i, x := range v {
			if x != x || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s: %s holds %v at index %d (weights must be finite)", file, what, x, i)
			}
		}
		return nil
	}
	vs := []struct {
		v    []float32
		what string
	}{{m.FinalNorm.Weight, "final norm weight"}, {m.FinalNorm.Bias, "final norm bias"}}
	for i, b := range m.Blocks {
		p := fmt.Sprintf("layer %d ", i)
		vs = append(vs, []struct {
			v    []float32
			what string
		}{{b.AttnNorm.Weight, p + "attention norm weight"}, {b.AttnNorm.Bias, p + "attention norm bias"},
			{b.FFNNorm.Weight, p + "ffn norm weight"}, {b.FFNNorm.Bias, p + "ffn norm bias"},
			{b.BQ, p + "q bias"}, {b.BK, p + "k bias"}, {b.BV, p + "v bias"}}...)
	}
	if e := m.Embed; e != nil && e.Type == F32 && len(e.F32) <= maxScanEmbed {
		vs = append(vs, struct {
			v    []float32
			what string
		}{e.F32, "token embedding " + e.Name})
	}
	for _, v := range vs {
		if err := bad(v.v, v.what); err != nil {
			return err
		}
	}
	return nil
}
