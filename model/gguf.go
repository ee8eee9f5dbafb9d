package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
)

// loadGGUF builds a model from a GGUF file of one of the Families.
func loadGGUF(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := FromGGUF(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.closer = f.Close
	m.Info.Path = path
	return m, nil
}

// FromGGUF builds a model over an opened GGUF file of one of the
// Families. Weights of the types with kernels (InPlace: F32, F16, BF16,
// Q4_0 … Q8_0, the K-quants, IQ4_NL, IQ4_XS) are used in place; other
// types are dequantized to F32 and listed in Info.Dequantized. The file
// must stay open while the model is used.
func FromGGUF(f *gguf.File) (*Model, error) {
	src := &ggufSource{f: f}
	m, err := fromGGUFMeta(f, src, func(name string) bool { _, ok := f.Tensor(name); return ok })
	if err != nil {
		return nil, err
	}
	m.Info.Format = "gguf"
	m.Info.Mapped = true
	m.Info.Dequantized = src.dequantized
	return m, nil
}

// fromGGUFMeta builds a model from the metadata of a GGUF file and the
// tensors of src (GGUF names; has reports which exist).
func fromGGUFMeta(f *gguf.File, src source, has func(string) bool) (*Model, error) {
	file := f.Name()
	if file == "" {
		file = "gguf"
	}
	arch := f.Architecture()
	fam, ok := LookupFamily(arch)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported architecture %q (supported: %s)", file, arch, strings.Join(Families(), ", "))
	}
	c, err := fam.config(ggufMeta{f, arch, file}, file, has)
	if err != nil {
		return nil, err
	}
	b := binder{f: fam, c: &c, src: src, file: file, name: func(r Role, i int) string { return r.GGUFName(i) }}
	m, err := b.bind()
	if err != nil {
		return nil, err
	}
	m.Info.Meta = map[string]string{}
	if n, ok := f.String("general.name"); ok {
		m.Info.Meta["name"] = n
	}
	if err := m.check(file); err != nil {
		return nil, err
	}
	return m, nil
}

// ggufMeta reads an architecture's metadata keys. A missing key takes
// its default; a present key of the wrong type or out of range is an
// error naming the file, the key and what was expected.
type ggufMeta struct {
	f    *gguf.File
	arch string
	file string
}

func (g ggufMeta) get(key string) (gguf.Value, string, bool) {
	k := g.arch + "." + key
	v, ok := g.f.Get(k)
	return v, k, ok
}

func (g ggufMeta) Has(key string) bool { _, _, ok := g.get(key); return ok }

func (g ggufMeta) Int(key string, def int) (int, error) { return g.int(key, def, 1) }

func (g ggufMeta) Count(key string, def int) (int, error) { return g.int(key, def, 0) }

func (g ggufMeta) int(key string, def, lo int) (int, error) {
	val, k, ok := g.get(key)
	if !ok {
		if def < 0 {
			return 0, fmt.Errorf("%s: metadata %s is missing", g.file, k)
		}
		return def, nil
	}
	v, ok := val.Int()
	if !ok {
		return 0, fmt.Errorf("%s: metadata %s is a %v (%v), want an integer", g.file, k, val.Type(), val)
	}
	if v < int64(lo) || v > 1<<24 {
		return 0, fmt.Errorf("%s: metadata %s = %d is out of range (want %d to %d)", g.file, k, v, lo, 1<<24)
	}
	return int(v), nil
}

func (g ggufMeta) Float(key string, def float64) (float64, error) {
	val, k, ok := g.get(key)
	if !ok {
		return def, nil
	}
	v, ok := val.Float()
	if !ok {
		return 0, fmt.Errorf("%s: metadata %s is a %v (%v), want a float32", g.file, k, val.Type(), val)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s: metadata %s = %v, want a finite number", g.file, k, v)
	}
	return v, nil
}

func (g ggufMeta) Bool(key string, def bool) (bool, error) {
	val, k, ok := g.get(key)
	if !ok {
		return def, nil
	}
	v, ok := val.Data.(bool)
	if !ok {
		return false, fmt.Errorf("%s: metadata %s is a %v, want a bool", g.file, k, val.Type())
	}
	return v, nil
}

func (g ggufMeta) String(key string) (string, bool, error) {
	val, k, ok := g.get(key)
	if !ok {
		return "", false, nil
	}
	v, ok := val.Data.(string)
	if !ok {
		return "", true, fmt.Errorf("%s: metadata %s is a %v, want a string", g.file, k, val.Type())
	}
	return v, true, nil
}

// config maps metadata (llama.cpp's GGUF keys, the same for every
// architecture) onto a Config with the family's variations.
func (fam *Family) config(meta Meta, file string, has func(string) bool) (Config, error) {
	var err error
	geti := func(key string, def int) int {
		if err != nil {
			return 0
		}
		v, e := meta.Int(key, def)
		err = e
		return v
	}
	getf := func(key string, def float64) float64 {
		if err != nil {
			return 0
		}
		v, e := meta.Float(key, def)
		err = e
		return v
	}
	// getfp is getf for values that must be > 0.
	getfp := func(key string, def float64) float64 {
		v := getf(key, def)
		if err == nil && !(v > 0) {
			err = fmt.Errorf("%s: metadata %s.%s = %v, want a number > 0", file, fam.Arch, key, v)
		}
		return v
	}
	c := Config{Arch: fam.Arch, Norm: fam.Norm, Pos: fam.Pos, MLP: fam.MLP, QKNorm: fam.QKNorm, Parallel: fam.Residual == Parallel}
	c.ContextLen = geti("context_length", 2048)
	c.Dim = geti("embedding_length", -1)
	c.NLayers = geti("block_count", -1)
	c.HiddenDim = geti("feed_forward_length", -1)
	c.NHeads = geti("attention.head_count", -1)
	if err != nil {
		return c, err
	}
	c.NKVHeads = geti("attention.head_count_kv", c.NHeads)
	c.HeadDim = geti("attention.key_length", c.Dim/c.NHeads)
	if v := geti("attention.value_length", c.HeadDim); err == nil && v != c.HeadDim {
		return c, fmt.Errorf("%s: value length %d differs from key length %d (not supported)", file, v, c.HeadDim)
	}
	if c.Norm == LayerNorm {
		c.NormEps = getfp("attention.layer_norm_epsilon", 1e-5)
	} else {
		c.NormEps = getfp("attention.layer_norm_rms_epsilon", 1e-5)
	}
	if fam.EmbedScaleSqrtDim {
		c.EmbedScale = float64(float32(math.Sqrt(float64(c.Dim)))) // ggml: sqrtf(n_embd)
	}
	if c.Pos == PosRoPE && err == nil {
		c.RoPE.Dim = geti("rope.dimension_count", c.HeadDim)
		c.RoPE.Neox = fam.Neox
		c.RoPE.Base = getfp("rope.freq_base", 10000)
		// The attention factor multiplies cos and sin whatever the scaling
		// (llama.cpp); no scaling type but a factor means linear scaling.
		c.RoPE.AttnFactor = getf("rope.scaling.attn_factor", 0)
		st, ok, e := meta.String("rope.scaling.type")
		if err == nil {
			err = e
		}
		if !ok && meta.Has("rope.scaling.factor") {
			st = "linear"
		}
		switch st {
		case "", "none":
		case "linear", "yarn":
			c.RoPE.ScalingType = st
			c.RoPE.Factor = getfp("rope.scaling.factor", 1)
			if st == "yarn" {
				c.RoPE.BetaFast = getf("rope.scaling.yarn_beta_fast", 0)
				c.RoPE.BetaSlow = getf("rope.scaling.yarn_beta_slow", 0)
			}
		case "longrope":
			c.RoPE.ScalingType = st
		default:
			if err == nil {
				err = fmt.Errorf("%s: RoPE scaling %q is not supported (supported: none, linear, yarn, longrope with factors, rope_freqs)", file, st)
			}
		}
		c.RoPE.OriginalContext = geti("rope.scaling.original_context_length", 0)
	}
	if fam.SlidingLayers != "" {
		c.SlidingLayers = fam.SlidingLayers
		if err == nil { // 0: no window (Phi-4 is a phi3 file without one)
			c.SlidingWindow, err = meta.Count("attention.sliding_window", fam.DefaultSlidingWindow)
		}
	}
	c.AttnSoftcap = getf("attn_logit_softcapping", fam.AttnSoftcap)
	c.FinalSoftcap = getf("final_logit_softcapping", fam.FinalSoftcap)
	if c.Pos == PosALiBi {
		c.ALiBiMaxBias = getfp("attention.max_alibi_bias", fam.ALiBiMaxBias)
	}
	if err != nil {
		return c, err
	}
	c.AttnScale = fam.qScale(&c)
	if fam.Configure != nil {
		if err := fam.Configure(&c, meta, has); err != nil {
			return c, fmt.Errorf("%s: %v", file, err)
		}
	}
	return c, nil
}

// ggufSource reads tensors of a GGUF file: the types with kernels (InPlace)
// in place, other types dequantized to F32 (and listed).
type ggufSource struct {
	f           *gguf.File
	dequantized []string
}

func (s *ggufSource) get(name string) (*Tensor, error) {
	ti, ok := s.f.Tensor(name)
	if !ok {
		return nil, nil
	}
	dims := make([]int, len(ti.Shape))
	for i, d := range ti.Shape {
		dims[len(dims)-1-i] = int(min(d, 1<<40)) // ggml order is innermost first
	}
	r, c, err := matShape(dims)
	if err != nil {
		return nil, err
	}
	data, err := s.f.TensorData(name)
	if err != nil {
		return nil, err
	}
	if InPlace(ti.Type) {
		return NewRaw(name, ti.Type, r, c, data)
	}
	vals, err := dequantize(ti.Type, data, r*c)
	if err != nil {
		return nil, err
	}
	s.dequantized = append(s.dequantized, fmt.Sprintf("%s (%v)", name, ti.Type))
	return NewF32(name, r, c, vals), nil
}

// dequantize converts n values of a type the forward pass does not compute
// on directly (IQ1_x, IQ2_x, IQ3_x, ...) to float32.
func dequantize(t quant.Type, data []byte, n int) ([]float32, error) {
	if !quant.CanDequantize(t) {
		return nil, fmt.Errorf("type %v is not supported", t)
	}
	if rb, err := t.RowBytes(n); err != nil || rb != len(data) {
		return nil, fmt.Errorf("%d bytes for %d values of type %v", len(data), n, t)
	}
	out := make([]float32, n)
	if err := quant.Dequantize(t, data, out); err != nil {
		return nil, err
	}
	return out, nil
}

// matShape reads a tensor shape (outermost first) as rows×cols: a
// vector is one row.
func matShape(dims []int) (rows, cols int, err error) {
	switch len(dims) {
	case 1:
		rows, cols = 1, dims[0]
	case 2:
		rows, cols = dims[0], dims[1]
	default:
		return 0, 0, fmt.Errorf("shape %v, want 1 or 2 dimensions", dims)
	}
	if rows <= 0 || cols <= 0 || rows > 1<<31 || cols > 1<<31 {
		return 0, 0, fmt.Errorf("shape %v is out of range", dims)
	}
	return rows, cols, nil
}
