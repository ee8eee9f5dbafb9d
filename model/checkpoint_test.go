package model_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// writeCheckpoint saves a train.Model the way the trainer does: a step
// folder with config.json and model.safetensors, named by DIR/current.
func writeCheckpoint(t *testing.T, dir string, tm *train.Model) {
	c := tm.Config
	step := filepath.Join(dir, "step-000001")
	if err := os.MkdirAll(step, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"hidden_size": c.Dim, "intermediate_size": c.Hidden, "num_hidden_layers": c.Layers,
		"num_attention_heads": c.Heads, "num_key_value_heads": c.KVHeads, "vocab_size": c.Vocab,
		"max_position_embeddings": c.Ctx, "rms_norm_eps": c.Eps, "rope_theta": c.RopeTheta,
		"tie_word_embeddings": c.Tied, "llmparts_norm": c.Norm, "llmparts_norm_p": c.NormP,
		"llmparts_pos": c.Pos, "llmparts_mlp": c.MLP, "llmparts_rope_layout": "neox",
	}
	if c.EmbedScale != 0 {
		cfg["llmparts_embed_scale"] = c.EmbedScale
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(step, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var ts []*safetensors.Tensor
	for _, p := range tm.Tensors {
		st, err := safetensors.F32Tensor(p.Name, p.Shape, tm.Params[p.Offset:p.Offset+p.Size])
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, st)
	}
	if err := safetensors.WriteFile(filepath.Join(step, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "current"), []byte("step-000001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainerCheckpoints loads checkpoints of every norm × position × MLP
// variant of the trainer's model and checks that the mean cross-entropy
// computed from our logits equals the trainer's own forward loss.
func TestTrainerCheckpoints(t *testing.T) { testTrainerCheckpoints(t, false) }

// TestSaveCheckpoint does the same through the trainer's own
// SaveCheckpoint (step folder, current pointer, tokenizer.json).
func TestSaveCheckpoint(t *testing.T) { testTrainerCheckpoints(t, true) }

func testTrainerCheckpoints(t *testing.T, viaTrainer bool) {
	variants := []train.Config{}
	for _, norm := range []string{train.NormRMS, train.NormPRMS, train.NormLayer} {
		for _, pos := range []string{train.PosRoPE, train.PosSinusoidal, train.PosLearned, train.PosNone, train.PosALiBi} {
			for _, mlp := range []string{train.MLPSwiGLU, train.MLPGELU} {
				variants = append(variants, train.Config{
					Vocab: 23, Dim: 16, Layers: 2, Heads: 4, KVHeads: 2, Hidden: 24, Ctx: 12,
					Norm: norm, NormP: 0.4, Eps: 1e-5, Pos: pos, RopeTheta: 10000, MLP: mlp, Tied: mlp == train.MLPGELU,
				})
				// The trainer's default for sinusoidal positions scales
				// the embeddings by √d (llmparts_embed_scale); any
				// position kind honours a scale set by hand.
				es := 2.5
				if pos == train.PosSinusoidal {
					es = 4 // √16
				}
				variants = append(variants, variants[len(variants)-1])
				variants[len(variants)-1].EmbedScale = es
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, c := range variants {
		tm, err := train.NewModel(c, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		// Large random weights so every mechanism shows in the logits.
		for j := range tm.Params {
			tm.Params[j] = float32(rng.NormFloat64() * 0.4)
		}
		tokens := make([]int, c.Ctx)
		targets := make([]int, c.Ctx)
		for j := range tokens {
			tokens[j] = rng.IntN(c.Vocab)
			targets[j] = rng.IntN(c.Vocab)
		}
		want, err := tm.Forward(tokens, targets, 1)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if viaTrainer {
			tok := tokenizer.NewChar("abcdefghijklmnopqrstuv")
			if _, err := train.SaveCheckpoint(dir, tm, nil, tok, train.State{Step: 7}, 1); err != nil {
				t.Fatal(err)
			}
		} else {
			writeCheckpoint(t, dir, tm)
		}
		m, err := model.Load(dir, model.Options{Threads: 1})
		if err != nil {
			t.Fatalf("%s/%s/%s: %v", c.Norm, c.Pos, c.MLP, err)
		}
		s := m.NewSession(0)
		logits, err := s.ForwardAll(tokens, 0)
		if err != nil {
			t.Fatal(err)
		}
		var loss float64
		V := c.Vocab
		for j, tg := range targets {
			row := logits[j*V : (j+1)*V]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v))
			}
			var z float64
			for _, v := range row {
				z += math.Exp(float64(v) - mx)
			}
			loss += mx + math.Log(z) - float64(row[tg])
		}
		loss /= float64(len(targets))
		if math.Abs(loss-want) > 1e-4*math.Max(1, want) {
			t.Errorf("%s/%s/%s scale %v: loss %v, trainer says %v", c.Norm, c.Pos, c.MLP, c.EmbedScale, loss, want)
		}
		m.Close()
	}
}

// TestCheckpointBadConfigValues edits config.json of a copy of the embedded
// default checkpoint: values the forward pass cannot use are errors at load.
func TestCheckpointBadConfigValues(t *testing.T) {
	src := "../defaultmodel/model"
	for _, tc := range []struct {
		key  string
		val  any
		want string
	}{
		{"rms_norm_eps", -1.0, "config.json: rms_norm_eps -1 must be a finite number > 0"},
		{"rms_norm_eps", 0.0, "config.json: rms_norm_eps 0 must be a finite number > 0"},
		{"max_position_embeddings", -5, "config.json: max_position_embeddings -5 is negative"},
		{"rope_theta", 0.0, "config.json: RoPE base (freq_base, rope_theta) 0 must be a finite number > 0"},
		{"rope_theta", -3.0, "config.json: RoPE base (freq_base, rope_theta) -3 must be a finite number > 0"},
		{"hidden_size", 1 << 30, "config.json: dim = 1073741824 is out of range"},
		{"llmparts_norm", "batchnorm", `config.json: unknown llmparts_norm "batchnorm"`},
	} {
		dir := t.TempDir()
		for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Skipf("default model files not found: %v", err)
			}
			if name == "config.json" {
				var cfg map[string]any
				if err := json.Unmarshal(b, &cfg); err != nil {
					t.Fatal(err)
				}
				cfg[tc.key] = tc.val
				if b, err = json.Marshal(cfg); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := model.Load(dir, model.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %v: err = %v, want %q", tc.key, tc.val, err, tc.want)
		}
	}
	// The unedited copy loads (so the failures above are the edited values).
	if _, err := model.Load(src, model.Options{Threads: 1}); err != nil {
		t.Fatalf("default model: %v", err)
	}
}

// TestCheckpointChecksum (issue 14 item 13): a flipped bit in the weights
// of a trainer checkpoint is an error at load naming the file, found
// through the SHA256SUMS the trainer wrote.
func TestCheckpointChecksum(t *testing.T) {
	c := train.Config{Vocab: 22, Dim: 8, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 16, Ctx: 8, Norm: train.NormRMS, Eps: 1e-5,
		Pos: train.PosRoPE, RopeTheta: 10000, MLP: train.MLPSwiGLU, Tied: true}
	tm, err := train.NewModel(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	step, err := train.SaveCheckpoint(dir, tm, nil, tokenizer.NewChar("abcdefghijklmnopqrstuv"), train.State{Step: 7}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Load(dir, model.Options{Threads: 1}); err != nil {
		t.Fatalf("intact: %v", err)
	}
	p := filepath.Join(step, "model.safetensors")
	b, _ := os.ReadFile(p)
	b[len(b)-5] ^= 1
	os.WriteFile(p, b, 0o644)
	if _, err := model.Load(dir, model.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "model.safetensors: SHA-256 mismatch") {
		t.Fatalf("flipped bit: %v", err)
	}
}

// TestCheckpointI32Tensor (item 17): a tensor of an integer dtype is an
// error naming the file and the tensor.
func TestCheckpointI32Tensor(t *testing.T) {
	c := train.Config{Vocab: 22, Dim: 8, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 16, Ctx: 8, Norm: train.NormRMS, Eps: 1e-5,
		Pos: train.PosRoPE, RopeTheta: 10000, MLP: train.MLPSwiGLU, Tied: true}
	tm, err := train.NewModel(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeCheckpoint(t, dir, tm)
	p := filepath.Join(dir, "step-000001", "model.safetensors")
	sf, err := safetensors.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var ts []*safetensors.Tensor
	for _, x := range sf.Tensors {
		if x.Name == "model.norm.weight" {
			x = &safetensors.Tensor{Name: x.Name, DType: safetensors.I32, Shape: x.Shape, Data: x.Data}
		}
		ts = append(ts, x)
	}
	if err := safetensors.WriteFile(p, ts, nil); err != nil {
		t.Fatal(err)
	}
	_, err = model.Load(dir, model.Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "model.safetensors") || !strings.Contains(err.Error(), "model.norm.weight") || !strings.Contains(err.Error(), "I32") {
		t.Fatalf("I32 tensor: %v", err)
	}
}
