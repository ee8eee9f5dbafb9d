package train

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeOptions: a resume takes every option from the saved run;
// options given again must be equal except the resumable ones.
func TestResumeOptions(t *testing.T) {
	saved := DefaultOptions()
	saved.Out, saved.Data, saved.Steps, saved.Until, saved.LR, saved.Warmup = "ck", "input.txt", 30, 15, 2e-3, 5
	given := DefaultOptions() // what the command line holds: defaults plus the flags given
	given.Out, given.Resume = "ck", true

	got, err := ResumeOptions(saved, given, []string{"out", "resume", "json"})
	want := saved
	want.Until, want.Resume = 0, true
	if err != nil || got != want {
		t.Fatalf("no flags given again: %+v, %v; want the saved options %+v", got, err, want)
	}

	given.Data, given.LR, given.Steps, given.Until, given.EvalEvery, given.Threads = "input.txt", 2e-3, 50, 40, 7, 1
	got, err = ResumeOptions(saved, given, []string{"out", "resume", "data", "lr", "steps", "until", "eval-every", "threads"})
	want.Steps, want.Until, want.EvalEvery, want.Threads = 50, 40, 7, 1
	if err != nil || got != want {
		t.Errorf("equal and resumable flags: %+v, %v; want %+v", got, err, want)
	}

	given.LR, given.Dim = 1e-3, 64
	_, err = ResumeOptions(saved, given, []string{"out", "resume", "lr", "dim"})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--lr 0.001 (the saved run has 0.002)") || !strings.Contains(err.Error(), "--dim 64") {
		t.Errorf("changed --lr and --dim: %v", err)
	}

	given.Steps = 20
	if _, err = ResumeOptions(saved, given, []string{"steps"}); err == nil || !strings.Contains(err.Error(), "only extend") {
		t.Errorf("--steps below the saved run's: %v", err)
	}
}

// TestResumeRefusesOtherOptions: NewTrainer itself refuses a resume whose
// options differ from the saved run's in what may not change.
func TestResumeRefusesOtherOptions(t *testing.T) {
	o := tinyOptions(filepath.Join(t.TempDir(), "ck"))
	o.Until = 5
	run(t, o)
	o.Resume, o.Until = true, 0
	o.WeightDecay = 0.5
	if _, err := NewTrainer(o, testCorpus()); err == nil || !strings.Contains(err.Error(), "--weight-decay 0.5") {
		t.Errorf("resume with another weight decay: %v", err)
	}
	saved, err := SavedOptions(o.Out)
	if err != nil || saved.Until != 5 || saved.WeightDecay == 0.5 {
		t.Errorf("SavedOptions: %+v, %v", saved, err)
	}
}

// TestConfigLabels: only the Llama variant's config.json says Llama.
func TestConfigLabels(t *testing.T) {
	for _, c := range []struct {
		norm, pos, mlp, want string
	}{
		{NormRMS, PosRoPE, MLPSwiGLU, "llama"},
		{NormLayer, PosRoPE, MLPSwiGLU, "llmparts"},
		{NormRMS, PosRoPE, MLPGELU, "llmparts"},
		{NormRMS, PosSinusoidal, MLPSwiGLU, "llmparts"},
		{NormPRMS, PosRoPE, MLPSwiGLU, "llmparts"},
	} {
		cfg := Config{Norm: c.norm, Pos: c.pos, MLP: c.mlp}
		h := cfg.ToHF()
		if h.ModelType != c.want || (c.want == "llama") != (h.Architectures[0] == "LlamaForCausalLM") {
			t.Errorf("%s+%s+%s: %v %q", c.norm, c.pos, c.mlp, h.Architectures, h.ModelType)
		}
	}
}
