package model_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/model"
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
