package model_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// TestSameCheckpointFolder checks that model.Load and train.LoadCheckpoint
// pick the same folder of a training output by spec.ResolveFS's rule: the
// folder itself when it holds config.json (even with a current file),
// else the step folder current names; and refuse the same bad folders.
func TestSameCheckpointFolder(t *testing.T) {
	c := train.Config{Vocab: 5, Dim: 8, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 8, Ctx: 4,
		Norm: train.NormRMS, Eps: 1e-5, Pos: train.PosRoPE, RopeTheta: 10000, MLP: train.MLPSwiGLU}
	out := t.TempDir()
	tok := tokenizer.NewChar("abcde")
	for step := 1; step <= 2; step++ {
		tm, err := train.NewModel(c, uint64(step))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := train.SaveCheckpoint(out, tm, nil, tok, train.State{Step: step}, 0); err != nil {
			t.Fatal(err)
		}
	}
	step1, step2 := filepath.Join(out, "step-000001"), filepath.Join(out, "step-000002")
	// A stray pointer inside a step folder does not redirect it.
	if err := os.WriteFile(filepath.Join(step1, "current"), []byte("elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{{out, step2}, {step2, step2}, {step1, step1}} {
		m, err := model.Load(tc.dir, model.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		ck, err := train.LoadCheckpoint(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.Info.Path != tc.want || ck.Dir != tc.want {
			t.Errorf("%s: model loads %s, train loads %s; want %s", tc.dir, m.Info.Path, ck.Dir, tc.want)
		}
	}
	bad := t.TempDir()
	for _, tc := range []struct{ pointer, want string }{
		{"../x\n", `names an invalid folder "../x"`},
		{"", `names an invalid folder ""`},
		{"missing\n", "missing"},
	} {
		if err := os.WriteFile(filepath.Join(bad, "current"), []byte(tc.pointer), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errM := model.Load(bad, model.Options{Threads: 1})
		_, errT := train.LoadCheckpoint(bad)
		if errM == nil || errT == nil || !strings.Contains(errM.Error(), tc.want) || !strings.Contains(errT.Error(), tc.want) {
			t.Errorf("pointer %q: model: %v; train: %v; want both to say %q", tc.pointer, errM, errT, tc.want)
		}
	}
	os.Remove(filepath.Join(bad, "current"))
	_, errM := model.Load(bad, model.Options{Threads: 1})
	_, errT := train.LoadCheckpoint(bad)
	for _, err := range []error{errM, errT} {
		if err == nil || !strings.Contains(err.Error(), "is neither a checkpoint folder") {
			t.Errorf("empty folder: %v", err)
		}
	}
}

// TestConfigRoundTrip: config.json written by train (train.Config.ToHF)
// is spec.Config; read back it gives the same train.Config and the
// model.Config model runs, for every norm × position × MLP; its keys are
// those of the embedded checkpoint, written before the schema was shared.
func TestConfigRoundTrip(t *testing.T) {
	old, err := os.ReadFile("../defaultmodel/model/config.json")
	if err != nil {
		t.Skipf("default model: %v", err)
	}
	var oldKeys map[string]any
	if err := json.Unmarshal(old, &oldKeys); err != nil {
		t.Fatal(err)
	}
	for _, norm := range []string{train.NormRMS, train.NormPRMS, train.NormLayer} {
		for _, pos := range []string{train.PosRoPE, train.PosSinusoidal, train.PosLearned, train.PosNone, train.PosALiBi} {
			for _, mlp := range []string{train.MLPSwiGLU, train.MLPGELU} {
				c := train.Config{Vocab: 7, Dim: 12, Layers: 2, Heads: 3, KVHeads: 1, Hidden: 20, Ctx: 9,
					Norm: norm, NormP: 0.25, Eps: 1e-6, Pos: pos, RopeTheta: 500, MLP: mlp, Tied: mlp == train.MLPGELU, EmbedScale: 1.5}
				if pos == train.PosRoPE || pos == train.PosSinusoidal {
					c.Dim, c.Heads = 12, 3 // head dim 4: even
				}
				b, err := json.Marshal(c.ToHF())
				if err != nil {
					t.Fatal(err)
				}
				var keys map[string]any
				json.Unmarshal(b, &keys)
				for k := range keys {
					// llmparts_embed_scale came later (absent means 1).
					if _, ok := oldKeys[k]; !ok && k != "llmparts_embed_scale" {
						t.Errorf("config.json key %q is new", k)
					}
				}
				for k := range oldKeys {
					if _, ok := keys[k]; !ok {
						t.Errorf("config.json key %q is gone", k)
					}
				}
				var h spec.Config
				if err := json.Unmarshal(b, &h); err != nil {
					t.Fatal(err)
				}
				back, err := train.FromHF(h)
				if err != nil || back != c {
					t.Fatalf("%s/%s/%s: FromHF = %+v, %v; want %+v", norm, pos, mlp, back, err, c)
				}
				h, err = h.Check("config.json")
				if err != nil {
					t.Fatal(err)
				}
				if string(h.Norm) != norm || string(h.Pos) != pos || string(h.MLP) != mlp || *h.RMSNormEps != c.Eps ||
					*h.RopeTheta != c.RopeTheta || h.HeadDim != c.Dim/c.Heads || h.RopeLayout != "neox" {
					t.Errorf("%s/%s/%s: spec.Config %+v", norm, pos, mlp, h)
				}
			}
		}
	}
	// Keys left out take the defaults both executors use.
	var h spec.Config
	json.Unmarshal([]byte(`{"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"max_position_embeddings":4}`), &h)
	c, err := train.FromHF(h)
	if err != nil {
		t.Fatal(err)
	}
	want := train.Config{Vocab: 4, Dim: 8, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 8, Ctx: 4, Norm: train.NormRMS, Eps: spec.DefaultNormEps,
		Pos: train.PosRoPE, RopeTheta: spec.DefaultRopeTheta, MLP: train.MLPSwiGLU}
	if c != want {
		t.Errorf("defaults: %+v, want %+v", c, want)
	}
}
