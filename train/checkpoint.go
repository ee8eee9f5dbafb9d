package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/internal/checksum"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/tokenizer"
)

// HFConfig is config.json, the schema model reads too (spec.Config).
type HFConfig = spec.Config

// ToHF converts c to config.json form.
func (c *Config) ToHF() HFConfig {
	act := "silu"
	if c.MLP == MLPGELU {
		act = "gelu_pytorch_tanh"
	}
	// Only the Llama variant is labelled as Llama: transformers would load
	// any other one under that name without complaint and compute a
	// different function (LayerNorm without its bias, SiLU for GELU, no
	// positions...). The others carry our own name, which transformers
	// refuses; llmparts export --to hf writes them as the architecture that
	// matches, where there is one.
	arch, mt := []string{"LlamaForCausalLM"}, "llama"
	if c.Norm != NormRMS || c.Pos != PosRoPE || c.MLP != MLPSwiGLU || c.embedScale() != 1 {
		arch, mt = []string{"LlmpartsForCausalLM"}, "llmparts"
	}
	eps, theta := c.Eps, c.RopeTheta
	return HFConfig{
		Architectures: arch, ModelType: mt,
		HiddenSize: c.Dim, IntermediateSize: c.Hidden, NumHiddenLayers: c.Layers,
		NumAttentionHeads: c.Heads, NumKeyValueHeads: c.KVHeads, VocabSize: c.Vocab,
		MaxPositionEmbeddings: c.Ctx, RMSNormEps: &eps, RopeTheta: &theta,
		TieWordEmbeddings: c.Tied, HiddenAct: act, TorchDtype: "float32",
		Norm: spec.NormKind(c.Norm), NormP: c.NormP, Pos: spec.PosKind(c.Pos), MLP: spec.MLPKind(c.MLP), RopeLayout: "neox",
		EmbedScale: c.embedScale(),
	}
}

// FromHF converts config.json back into a Config: spec.Config.Check gives
// absent keys their defaults, then the trainer's own limits apply (it
// trains the neox RoPE layout only).
func FromHF(h HFConfig) (Config, error) {
	h, err := h.Check("config.json")
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	c := Config{
		Vocab: h.VocabSize, Dim: h.HiddenSize, Layers: h.NumHiddenLayers, Heads: h.NumAttentionHeads,
		KVHeads: h.NumKeyValueHeads, Hidden: h.IntermediateSize, Ctx: h.MaxPositionEmbeddings,
		Norm: string(h.Norm), NormP: h.NormP, Eps: *h.RMSNormEps, Pos: string(h.Pos), RopeTheta: *h.RopeTheta,
		MLP: string(h.MLP), Tied: h.TieWordEmbeddings, EmbedScale: h.EmbedScale,
	}
	if h.RopeLayout != "neox" {
		return c, fmt.Errorf("%w: rope layout %q (the trainer uses neox)", ErrConfig, h.RopeLayout)
	}
	if c.Heads > 0 && h.HeadDim != c.Dim/c.Heads {
		return c, fmt.Errorf("%w: head_dim %d (the trainer uses hidden_size/num_attention_heads = %d)", ErrConfig, h.HeadDim, c.Dim/c.Heads)
	}
	return c, c.Validate()
}

// State is state.json: everything besides tensors needed to resume.
type State struct {
	Step       int         `json:"step"`
	RNG        uint64      `json:"rng_state"`
	AdamT      int         `json:"adam_t"`
	TokensSeen int64       `json:"tokens_seen"`
	Seconds    float64     `json:"seconds"`
	Losses     []float64   `json:"losses"`
	StepMS     []float64   `json:"step_ms"`
	Val        []ValPoint  `json:"val"`
	Best       *ValPoint   `json:"best,omitempty"` // lowest validation loss so far (its folder is named in the best file)
	Options    Options     `json:"options"`
	Extra      interface{} `json:"extra,omitempty"`
}

// check refuses a state that cannot be resumed from: a negative step or
// counts, or an optimizer step count different from the step.
func (s *State) check() error {
	switch {
	case s.Step < 0:
		return fmt.Errorf("step %d is negative", s.Step)
	case s.AdamT < 0 || s.AdamT > s.Step:
		return fmt.Errorf("adam_t %d must be in [0, step %d]", s.AdamT, s.Step)
	case s.TokensSeen < 0 || s.Seconds < 0 || math.IsNaN(s.Seconds):
		return fmt.Errorf("tokens_seen %d and seconds %v must be ≥ 0", s.TokensSeen, s.Seconds)
	case len(s.Losses) > s.Step || len(s.StepMS) > s.Step:
		return fmt.Errorf("%d losses and %d step times for step %d", len(s.Losses), len(s.StepMS), s.Step)
	}
	return nil
}

// ValPoint is one validation measurement.
type ValPoint struct {
	Step int     `json:"step"`
	Loss float64 `json:"loss"`
}

// Checkpoint is a loaded checkpoint folder.
type Checkpoint struct {
	Dir       string
	Model     *Model
	Opt       *AdamW // nil when optimizer.safetensors is absent
	State     State
	HasState  bool // state.json was present
	Verified  bool // SHA256SUMS was present and every file matched
	Tokenizer tokenizer.Tokenizer
}

// CurrentFile is the pointer file naming the current checkpoint folder
// (spec.ResolveFS documents the rule that reads it).
const CurrentFile = spec.CurrentFile

// BestFile is the pointer file naming the checkpoint folder with the
// lowest validation loss (pruning keeps that folder).
const BestFile = "best"

// setPointer atomically writes the pointer file out/name naming folder.
func setPointer(out, name, folder string) error {
	if err := safetensors.WriteFileAtomic(filepath.Join(out, name), func(w io.Writer) error {
		_, err := io.WriteString(w, folder+"\n")
		return err
	}); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

func stepDir(step int) string { return fmt.Sprintf("step-%06d", step) }

func writeJSON(path string, v any) error {
	return safetensors.WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

func tensorsOf(flat []float32, ps []ParamTensor) ([]*safetensors.Tensor, error) {
	ts := make([]*safetensors.Tensor, 0, len(ps))
	for _, p := range ps {
		t, err := safetensors.F32Tensor(p.Name, p.Shape, flat[p.Offset:p.Offset+p.Size])
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// SaveCheckpoint writes a complete folder out/step-NNNNNN, then makes it
// current by atomically replacing out/current, then prunes all but the
// newest keep step folders. A crash at any moment leaves the previous
// checkpoint current and intact.
func SaveCheckpoint(out string, m *Model, opt *AdamW, tok tokenizer.Tokenizer, st State, keep int) (string, error) {
	name := stepDir(st.Step)
	dir := filepath.Join(out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, "config.json"), m.Config.ToHF()); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	ts, err := tensorsOf(m.Params, m.Tensors)
	if err != nil {
		return "", err
	}
	meta := map[string]string{"format": "pt"}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, meta); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if opt != nil {
		var ots []*safetensors.Tensor
		for _, half := range []struct {
			suffix string
			flat   []float32
		}{{".exp_avg", opt.M}, {".exp_avg_sq", opt.V}} {
			ps := make([]ParamTensor, len(m.Tensors))
			copy(ps, m.Tensors)
			for i := range ps {
				ps[i].Name += half.suffix
			}
			t, err := tensorsOf(half.flat, ps)
			if err != nil {
				return "", err
			}
			ots = append(ots, t...)
		}
		if err := safetensors.WriteFile(filepath.Join(dir, "optimizer.safetensors"), ots, nil); err != nil {
			return "", fmt.Errorf("train: checkpoint: %w", err)
		}
		st.AdamT = opt.T
	}
	if err := SaveTokenizer(tok, filepath.Join(dir, "tokenizer.json")); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, "state.json"), st); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	files := []string{"config.json", "model.safetensors", "tokenizer.json", "state.json"}
	if opt != nil {
		files = append(files, "optimizer.safetensors")
	}
	if err := checksum.Write(dir, files); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := safetensors.SyncDir(dir); err != nil {
		return "", err
	}
	// Make it current: current.tmp, fsync, rename, fsync out.
	if err := setPointer(out, CurrentFile, name); err != nil {
		return "", err
	}
	if keep > 0 {
		pruneSteps(out, name, keep)
	}
	return dir, nil
}

// pruneSteps removes step folders other than the newest keep (never cur).
func pruneSteps(out, cur string, keep int) {
	ents, err := os.ReadDir(out)
	if err != nil {
		return
	}
	var steps []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "step-") {
			steps = append(steps, e.Name())
		}
	}
	sort.Strings(steps)
	best := ""
	if b, err := os.ReadFile(filepath.Join(out, BestFile)); err == nil {
		best = strings.TrimSpace(string(b))
	}
	for i := 0; i < len(steps)-keep; i++ {
		if steps[i] != cur && steps[i] != best {
			os.RemoveAll(filepath.Join(out, steps[i]))
		}
	}
}

// LoadCheckpoint loads a checkpoint folder (or a training output folder,
// through its current pointer): config, weights, optimizer moments,
// tokenizer and state.
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	ck, d, err := loadCheckpoint(dir)
	if err != nil && d != "" {
		return nil, fmt.Errorf("train: checkpoint %s: %w", d, err)
	}
	return ck, err
}

// loadCheckpoint is LoadCheckpoint returning the resolved folder ("" when
// dir did not resolve, the error then being complete) and the error of
// loading it without a prefix.
func loadCheckpoint(dir string) (*Checkpoint, string, error) {
	d, err := spec.Resolve(dir)
	if err != nil {
		return nil, "", fmt.Errorf("train: %w", err)
	}
	ck, err := LoadCheckpointFS(os.DirFS(d), ".")
	if err != nil {
		return nil, d, err
	}
	ck.Dir = d
	return ck, d, nil
}

// LoadCheckpointFS loads the checkpoint folder dir of fsys (for example an
// embedded model). optimizer.safetensors and state.json are optional.
func LoadCheckpointFS(fsys fs.FS, dir string) (*Checkpoint, error) {
	ck := &Checkpoint{Dir: dir}
	found, err := checksum.Verify(fsys, dir)
	if err != nil {
		return nil, err
	}
	ck.Verified = found
	b, err := safeio.ReadFileFS(fsys, path.Join(dir, "config.json"), safeio.MaxConfig, "a JSON config file")
	if err != nil {
		return nil, err
	}
	var h HFConfig
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	cfg, err := FromHF(h)
	if err != nil {
		return nil, err
	}
	m, err := NewModel(cfg, 0)
	if err != nil {
		return nil, err
	}
	f, err := readSafetensorsFS(fsys, path.Join(dir, "model.safetensors"))
	if err != nil {
		return nil, err
	}
	if err := fill(m.Params, m.Tensors, f, ""); err != nil {
		return nil, fmt.Errorf("model.safetensors: %w", err)
	}
	ck.Model = m
	if _, err := fs.Stat(fsys, path.Join(dir, "state.json")); err == nil {
		b, err := safeio.ReadFileFS(fsys, path.Join(dir, "state.json"), safeio.MaxConfig, "a JSON state file")
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &ck.State); err != nil {
			return nil, fmt.Errorf("state.json: %w", err)
		}
		if err := ck.State.check(); err != nil {
			return nil, fmt.Errorf("state.json: %w", err)
		}
		ck.HasState = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if of, err := readSafetensorsFS(fsys, path.Join(dir, "optimizer.safetensors")); err == nil {
		opt := NewAdamW(len(m.Params), 0.9, 0.99, 1e-8, 0)
		if err := fill(opt.M, m.Tensors, of, ".exp_avg"); err != nil {
			return nil, fmt.Errorf("optimizer.safetensors: %w", err)
		}
		if err := fill(opt.V, m.Tensors, of, ".exp_avg_sq"); err != nil {
			return nil, fmt.Errorf("optimizer.safetensors: %w", err)
		}
		opt.T = ck.State.AdamT
		ck.Opt = opt
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	tb, err := safeio.ReadFileFS(fsys, path.Join(dir, "tokenizer.json"), safeio.MaxTokenizer, "a tokenizer file")
	if err != nil {
		return nil, err
	}
	tok, err := ParseTokenizer(tb)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != cfg.Vocab {
		return nil, fmt.Errorf("tokenizer has %d ids, config.json says vocab_size %d", tok.VocabSize(), cfg.Vocab)
	}
	ck.Tokenizer = tok
	return ck, nil
}

func readSafetensorsFS(fsys fs.FS, name string) (*safetensors.File, error) {
	if _, err := fs.Stat(fsys, name); err != nil {
		return nil, err
	}
	f, st, err := safeio.OpenFS(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sf, err := safetensors.Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sf, nil
}

func fill(flat []float32, ps []ParamTensor, f *safetensors.File, suffix string) error {
	for _, p := range ps {
		t := f.Get(p.Name + suffix)
		if t == nil {
			return fmt.Errorf("tensor %s is missing", p.Name+suffix)
		}
		if len(t.Shape) != len(p.Shape) {
			return fmt.Errorf("tensor %s has shape %v, want %v", t.Name, t.Shape, p.Shape)
		}
		for i := range p.Shape {
			if t.Shape[i] != p.Shape[i] {
				return fmt.Errorf("tensor %s has shape %v, want %v", t.Name, t.Shape, p.Shape)
			}
		}
		v, err := t.Float32s()
		if err != nil {
			return err
		}
		copy(flat[p.Offset:p.Offset+p.Size], v)
	}
	return nil
}
