package model

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
)

// loadGGUF builds a model from a GGUF file of architecture llama or qwen2.
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

// FromGGUF builds a model over an opened GGUF file. F32, F16, Q8_0 and
// Q4_0 weights are used in place; other types are dequantized to F32 and
// listed in Info.Dequantized. The file must stay open while the model is
// used.
func FromGGUF(f *gguf.File) (*Model, error) {
	file := f.Name()
	if file == "" {
		file = "gguf"
	}
	arch := f.Architecture()
	if arch != "llama" && arch != "qwen2" {
		return nil, fmt.Errorf("%s: unsupported architecture %q (supported: llama, qwen2)", file, arch)
	}
	// A missing key takes its default (def < 0: required); a present key
	// of the wrong type or out of range is an error naming it.
	geti := func(key string, def int) (int, error) {
		val, ok := f.Get(arch + "." + key)
		if !ok {
			if def < 0 {
				return 0, fmt.Errorf("%s: metadata %s.%s is missing", file, arch, key)
			}
			return def, nil
		}
		v, ok := val.Int()
		if !ok {
			return 0, fmt.Errorf("%s: metadata %s.%s is a %v (%v), want an integer", file, arch, key, val.Type(), val)
		}
		if v <= 0 || v > 1<<24 {
			return 0, fmt.Errorf("%s: metadata %s.%s = %d is out of range (want 1 to %d)", file, arch, key, v, 1<<24)
		}
		return int(v), nil
	}
	getf := func(key string, def float64) (float64, error) {
		val, ok := f.Get(arch + "." + key)
		if !ok {
			return def, nil
		}
		v, ok := val.Float()
		if !ok {
			return 0, fmt.Errorf("%s: metadata %s.%s is a %v (%v), want a float32", file, arch, key, val.Type(), val)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%s: metadata %s.%s = %v, want a finite number", file, arch, key, v)
		}
		return v, nil
	}
	getfp := func(key string, def float64) (float64, error) {
		v, err := getf(key, def)
		if err == nil && !(v > 0) {
			err = fmt.Errorf("%s: metadata %s.%s = %v, want a number > 0", file, arch, key, v)
		}
		return v, err
	}
	var c Config
	c.Arch = arch
	var err error
	must := func(dst *int, key string, def int) {
		if err == nil {
			*dst, err = geti(key, def)
		}
	}
	must(&c.ContextLen, "context_length", 2048)
	must(&c.Dim, "embedding_length", -1)
	must(&c.NLayers, "block_count", -1)
	must(&c.HiddenDim, "feed_forward_length", -1)
	must(&c.NHeads, "attention.head_count", -1)
	if err != nil {
		return nil, err
	}
	must(&c.NKVHeads, "attention.head_count_kv", c.NHeads)
	must(&c.HeadDim, "attention.key_length", c.Dim/c.NHeads)
	must(&c.RoPE.Dim, "rope.dimension_count", c.HeadDim)
	if err != nil {
		return nil, err
	}
	if c.NormEps, err = getfp("attention.layer_norm_rms_epsilon", 1e-5); err != nil {
		return nil, err
	}
	c.Norm, c.Pos, c.MLP = RMSNorm, PosRoPE, SwiGLU
	if c.RoPE.Base, err = getfp("rope.freq_base", 10000); err != nil {
		return nil, err
	}
	c.RoPE.Neox = arch == "qwen2"
	c.QKVBias = arch == "qwen2"
	if val, ok := f.Get(arch + ".rope.scaling.type"); ok {
		st, ok := val.Data.(string)
		if !ok {
			return nil, fmt.Errorf("%s: metadata %s.rope.scaling.type is a %v, want a string", file, arch, val.Type())
		}
		switch st {
		case "none":
		case "linear", "yarn":
			c.RoPE.ScalingType = st
			if c.RoPE.Factor, err = getfp("rope.scaling.factor", 1); err != nil {
				return nil, err
			}
			for _, g := range []struct {
				dst *float64
				key string
			}{{&c.RoPE.AttnFactor, "rope.scaling.attn_factor"}, {&c.RoPE.BetaFast, "rope.scaling.yarn_beta_fast"}, {&c.RoPE.BetaSlow, "rope.scaling.yarn_beta_slow"}} {
				if *g.dst, err = getf(g.key, 0); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("%s: RoPE scaling %q is not supported (supported: none, linear, yarn, rope_freqs)", file, st)
		}
	}
	if _, ok := f.Get(arch + ".rope.scaling.original_context_length"); ok {
		if c.RoPE.OriginalContext, err = geti("rope.scaling.original_context_length", 0); err != nil {
			return nil, err
		}
	}

	m := &Model{Config: c}
	m.Info.Format = "gguf"
	m.Info.Mapped = true
	m.Info.Meta = map[string]string{}
	if n, ok := f.String("general.name"); ok {
		m.Info.Meta["name"] = n
	}
	ten := func(name string, rows, cols int) (*Tensor, error) {
		ti, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("%s: tensor %s is missing", file, name)
		}
		var r, cl uint64 = 1, 0
		switch len(ti.Shape) {
		case 1:
			cl = ti.Shape[0]
		case 2:
			cl, r = ti.Shape[0], ti.Shape[1]
		default:
			return nil, fmt.Errorf("%s: tensor %s has %d dimensions, want 2", file, name, len(ti.Shape))
		}
		if int(r) != rows || int(cl) != cols {
			return nil, fmt.Errorf("%s: tensor %s has shape [%d][%d] (ggml [%d, %d]), want [%d][%d] from the hyper-parameters", file, name, r, cl, cl, r, rows, cols)
		}
		data, err := f.TensorData(name)
		if err != nil {
			return nil, err
		}
		switch ti.Type {
		case quant.F32:
			return NewRaw(name, F32, rows, cols, data)
		case quant.F16:
			return NewRaw(name, F16, rows, cols, data)
		case quant.Q8_0:
			return NewRaw(name, Q8_0, rows, cols, data)
		case quant.Q4_0:
			return NewRaw(name, Q4_0, rows, cols, data)
		}
		vals, err := dequantize(ti.Type, data, rows*cols)
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %v", file, name, err)
		}
		m.Info.Dequantized = append(m.Info.Dequantized, fmt.Sprintf("%s (%v)", name, ti.Type))
		return NewF32(name, rows, cols, vals), nil
	}
	vec := func(name string, n int) ([]float32, error) {
		t, err := ten(name, 1, n)
		if err != nil {
			return nil, err
		}
		return t.Float32(), nil
	}
	ti, ok := f.Tensor("token_embd.weight")
	if !ok || len(ti.Shape) != 2 {
		return nil, fmt.Errorf("%s: tensor token_embd.weight is missing or not 2-D", file)
	}
	m.Config.VocabSize = int(min(ti.Shape[1], 1<<25))
	D, H, V := c.Dim, c.HiddenDim, m.Config.VocabSize
	Q, KV := c.NHeads*c.HeadDim, c.NKVHeads*c.HeadDim
	if m.Embed, err = ten("token_embd.weight", V, D); err != nil {
		return nil, err
	}
	if _, ok := f.Tensor("output.weight"); ok {
		if m.Output, err = ten("output.weight", V, D); err != nil {
			return nil, err
		}
	} else {
		m.Output = m.Embed
		m.Config.Tied = true
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		if m.Config.RoPE.FreqFactors, err = vec("rope_freqs.weight", c.RoPE.Dim/2); err != nil {
			return nil, err
		}
	}
	norm := func(name string) (Norm, error) {
		w, err := vec(name, D)
		return Norm{Kind: RMSNorm, Weight: w, Eps: c.NormEps}, err
	}
	if m.FinalNorm, err = norm("output_norm.weight"); err != nil {
		return nil, err
	}
	for i := 0; i < c.NLayers; i++ {
		b := &Block{Index: i}
		p := fmt.Sprintf("blk.%d.", i)
		steps := []func() error{
			func() (e error) { b.AttnNorm, e = norm(p + "attn_norm.weight"); return },
			func() (e error) { b.FFNNorm, e = norm(p + "ffn_norm.weight"); return },
			func() (e error) { b.WQ, e = ten(p+"attn_q.weight", Q, D); return },
			func() (e error) { b.WK, e = ten(p+"attn_k.weight", KV, D); return },
			func() (e error) { b.WV, e = ten(p+"attn_v.weight", KV, D); return },
			func() (e error) { b.WO, e = ten(p+"attn_output.weight", D, Q); return },
			func() (e error) { b.Gate, e = ten(p+"ffn_gate.weight", H, D); return },
			func() (e error) { b.Up, e = ten(p+"ffn_up.weight", H, D); return },
			func() (e error) { b.Down, e = ten(p+"ffn_down.weight", D, H); return },
		}
		if c.QKVBias {
			steps = append(steps,
				func() (e error) { b.BQ, e = vec(p+"attn_q.bias", Q); return },
				func() (e error) { b.BK, e = vec(p+"attn_k.bias", KV); return },
				func() (e error) { b.BV, e = vec(p+"attn_v.bias", KV); return },
			)
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return nil, err
			}
		}
		m.Blocks = append(m.Blocks, b)
	}
	if err := m.check(file); err != nil {
		return nil, err
	}
	return m, nil
}

// dequantize converts n values of a type the forward pass does not compute
// on directly (BF16, Q4_1, Q5_x, K-quants, ...) to float32.
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
