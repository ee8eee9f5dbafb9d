package model

import (
	"fmt"

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
	geti := func(key string, def int) (int, error) {
		v, ok := f.Int(arch + "." + key)
		if !ok {
			if def < 0 {
				return 0, fmt.Errorf("%s: metadata %s.%s is missing", file, arch, key)
			}
			return def, nil
		}
		if v <= 0 || v > 1<<24 {
			return 0, fmt.Errorf("%s: metadata %s.%s = %d is out of range", file, arch, key, v)
		}
		return int(v), nil
	}
	getf := func(key string, def float64) float64 {
		if v, ok := f.Float(arch + "." + key); ok {
			return v
		}
		return def
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
	c.NormEps = getf("attention.layer_norm_rms_epsilon", 1e-5)
	c.Norm, c.Pos, c.MLP = RMSNorm, PosRoPE, SwiGLU
	c.RoPE.Base = getf("rope.freq_base", 10000)
	c.RoPE.Neox = arch == "qwen2"
	c.QKVBias = arch == "qwen2"
	if st, ok := f.String(arch + ".rope.scaling.type"); ok && st != "none" {
		switch st {
		case "linear", "yarn":
			c.RoPE.ScalingType = st
			c.RoPE.Factor = getf("rope.scaling.factor", 1)
			c.RoPE.AttnFactor = getf("rope.scaling.attn_factor", 0)
			c.RoPE.BetaFast = getf("rope.scaling.yarn_beta_fast", 0)
			c.RoPE.BetaSlow = getf("rope.scaling.yarn_beta_slow", 0)
		default:
			return nil, fmt.Errorf("%s: RoPE scaling %q is not supported (supported: none, linear, yarn, rope_freqs)", file, st)
		}
	}
	if v, ok := f.Int(arch + ".rope.scaling.original_context_length"); ok {
		c.RoPE.OriginalContext = int(v)
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
