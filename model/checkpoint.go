package model

import (
	"github.com/llmparts/llmparts/internal/le"

	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"

	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/internal/checksum"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/model/spec"
)

// hfConfig is the part of config.json a trainer checkpoint needs.
type hfConfig struct {
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	HeadDim               int      `json:"head_dim"`
	VocabSize             int      `json:"vocab_size"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RMSNormEps            *float64 `json:"rms_norm_eps"` // nil: absent (1e-5)
	RopeTheta             *float64 `json:"rope_theta"`   // nil: absent (10000)
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	Norm                  string   `json:"llmparts_norm"`
	NormP                 float64  `json:"llmparts_norm_p"`
	Pos                   string   `json:"llmparts_pos"`
	MLP                   string   `json:"llmparts_mlp"`
	RopeLayout            string   `json:"llmparts_rope_layout"`
	// EmbedScale multiplies the token embeddings entering the first block
	// (the trainer's x₀ = s·E[tok] + PE[t]); absent means 1.
	EmbedScale float64 `json:"llmparts_embed_scale"`
}

// LoadFS loads a trainer checkpoint (config.json with llmparts_* keys +
// model.safetensors) or a Hugging Face folder (config.json with a
// model_type, model.safetensors or shards, see hf.go) from fsys, following
// the "current" pointer file by spec.ResolveFS's rule; name is used in
// messages. Weights are read
// into memory.
func LoadFS(fsys fs.FS, name string) (*Model, error) {
	dir, err := spec.ResolveFS(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("model: %s: %v", name, err)
	}
	where := path.Join(name, dir)
	// A step folder written by the trainer lists its files' SHA-256 in
	// SHA256SUMS: a flipped bit is an error here, not silently different
	// weights. Folders without the list (Hugging Face, older ones) load.
	if _, err := checksum.Verify(fsys, dir); err != nil {
		return nil, fmt.Errorf("model: %s: %v", where, err)
	}
	cb, err := safeio.ReadFileFS(fsys, path.Join(dir, "config.json"), safeio.MaxConfig, "a JSON config file")
	if err != nil {
		return nil, fmt.Errorf("model: %s: %v", name, err)
	}
	if isHFFolder(cb) {
		m, err := loadHF(fsys, dir, name, cb)
		if err == nil && m.pool == nil {
			m.SetThreads(0)
		}
		return m, err
	}
	var hc hfConfig
	if err := json.Unmarshal(cb, &hc); err != nil {
		return nil, fmt.Errorf("model: %s/config.json: %v", where, err)
	}
	stName := path.Join(dir, "model.safetensors")
	f, st, err := safeio.OpenFS(fsys, stName)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %v", name, err)
	}
	defer f.Close()
	c, err := hfToConfig(hc, path.Join(where, "config.json"))
	if err != nil {
		return nil, err
	}
	sf, err := safetensors.Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("model: %s/model.safetensors: %v", where, err)
	}
	m, err := fromHF(c, sf, path.Join(where, "model.safetensors"))
	if err != nil {
		return nil, err
	}
	m.Info.Format = "checkpoint"
	m.Info.Path = where
	if _, err := fs.Stat(fsys, path.Join(dir, "tokenizer.json")); err == nil {
		m.Info.Tokenizer = path.Join(where, "tokenizer.json")
	}
	if m.pool == nil {
		m.SetThreads(0)
	}
	return m, nil
}

// hfToConfig turns config.json values into a validated Config; file (the
// config.json path) is named in errors. Absent keys take their defaults;
// present but invalid values are errors.
func hfToConfig(hc hfConfig, file string) (Config, error) {
	c := Config{
		Arch: "llama", Dim: hc.HiddenSize, HiddenDim: hc.IntermediateSize, NLayers: hc.NumHiddenLayers,
		NHeads: hc.NumAttentionHeads, NKVHeads: hc.NumKeyValueHeads, HeadDim: hc.HeadDim, VocabSize: hc.VocabSize,
		ContextLen: hc.MaxPositionEmbeddings, NormEps: 1e-5, Norm: NormKind(hc.Norm), NormP: hc.NormP,
		Pos: PosKind(hc.Pos), MLP: MLPKind(hc.MLP), Tied: hc.TieWordEmbeddings,
		EmbedScale: hc.EmbedScale,
	}
	if hc.RMSNormEps != nil {
		c.NormEps = *hc.RMSNormEps
		if !(c.NormEps > 0) || math.IsInf(c.NormEps, 0) {
			return c, fmt.Errorf("%s: rms_norm_eps %v must be a finite number > 0", file, c.NormEps)
		}
	}
	if c.NKVHeads == 0 {
		c.NKVHeads = c.NHeads
	}
	if c.HeadDim == 0 && c.NHeads > 0 {
		c.HeadDim = c.Dim / c.NHeads
	}
	if c.Norm == "" {
		c.Norm = RMSNorm
	}
	if c.Pos == "" {
		c.Pos = PosRoPE
	}
	if c.MLP == "" {
		c.MLP = SwiGLU
	}
	if c.ContextLen < 0 {
		return c, fmt.Errorf("%s: max_position_embeddings %d is negative", file, c.ContextLen)
	}
	switch c.Norm {
	case RMSNorm, PRMSNorm, LayerNorm:
	default:
		return c, fmt.Errorf("%s: unknown llmparts_norm %q (want rmsnorm, prmsnorm or layernorm)", file, c.Norm)
	}
	switch c.Pos {
	case PosRoPE, PosSinusoidal, PosLearned, PosALiBi, PosNone:
	default:
		return c, fmt.Errorf("%s: unknown llmparts_pos %q (want rope, sinusoidal, learned, alibi or none)", file, c.Pos)
	}
	if c.MLP != SwiGLU && c.MLP != GELU {
		return c, fmt.Errorf("%s: unknown llmparts_mlp %q (want swiglu or gelu)", file, c.MLP)
	}
	// HF Llama checkpoints use the half-split layout unless told otherwise.
	c.RoPE = RoPE{Base: 10000, Dim: c.HeadDim, Neox: hc.RopeLayout != "normal"}
	if hc.RopeTheta != nil {
		c.RoPE.Base = *hc.RopeTheta
	}
	if err := c.validate(file); err != nil {
		return c, err
	}
	return c, nil
}

// fromHF binds a trainer checkpoint's tensors (Hugging Face Llama names,
// plus model.embed_positions for learned positions).
func fromHF(c Config, sf *safetensors.File, file string) (*Model, error) {
	fam, _ := LookupFamily("llama")
	name := func(r Role, i int) string {
		if r == PosEmbd {
			return "model.embed_positions"
		}
		return fam.HFName(r, i)
	}
	b := binder{f: fam, c: &c, src: safetensorsSource{sf}, file: file, name: name}
	m, err := b.bind()
	if err != nil {
		return nil, err
	}
	if err := m.check(file); err != nil {
		return nil, err
	}
	return m, nil
}

// safetensorsSource reads tensors of a safetensors file as float32.
type safetensorsSource struct{ sf *safetensors.File }

func (s safetensorsSource) get(name string) (*Tensor, error) {
	t := s.sf.Get(name)
	if t == nil {
		return nil, nil
	}
	rows, cols, err := matShape(t.Shape)
	if err != nil {
		return nil, err
	}
	if t.DType == safetensors.F32 {
		if len(t.Data) != 4*rows*cols {
			return nil, fmt.Errorf("%d bytes for shape %v", len(t.Data), t.Shape)
		}
		return NewF32(name, rows, cols, le.Float32s(t.Data)), nil
	}
	v, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	return NewF32(name, rows, cols, v), nil
}
