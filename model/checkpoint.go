package model

import (
	"github.com/llmparts/llmparts/internal/le"

	"encoding/json"
	"fmt"
	"io/fs"
	"path"

	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/internal/checksum"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/model/spec"
)

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
	var hc spec.Config
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
// config.json path) is named in errors. spec.Config.Check gives absent keys
// their defaults and refuses values no executor can use.
func hfToConfig(hc spec.Config, file string) (Config, error) {
	hc, err := hc.Check(file)
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Arch: "llama", Dim: hc.HiddenSize, HiddenDim: hc.IntermediateSize, NLayers: hc.NumHiddenLayers,
		NHeads: hc.NumAttentionHeads, NKVHeads: hc.NumKeyValueHeads, HeadDim: hc.HeadDim, VocabSize: hc.VocabSize,
		ContextLen: hc.MaxPositionEmbeddings, NormEps: *hc.RMSNormEps, Norm: hc.Norm, NormP: hc.NormP,
		Pos: hc.Pos, MLP: hc.MLP, Tied: hc.TieWordEmbeddings, EmbedScale: hc.EmbedScale,
	}
	c.RoPE = RoPE{Base: *hc.RopeTheta, Dim: c.HeadDim, Neox: hc.RopeLayout == "neox"}
	if err := c.validate(file); err != nil {
		return c, err
	}
	return c, nil
}

// fromHF binds a trainer checkpoint's tensors (spec.TrainerName: Hugging
// Face Llama names, plus model.embed_positions for learned positions).
func fromHF(c Config, sf *safetensors.File, file string) (*Model, error) {
	fam, _ := LookupFamily("llama")
	b := binder{f: fam, c: &c, src: safetensorsSource{sf}, file: file, name: spec.TrainerName}
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
