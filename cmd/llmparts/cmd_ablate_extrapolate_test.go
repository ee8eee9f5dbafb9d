package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAblateExtrapolateJSON: one line per (configuration, evaluation
// context) with the documented fields, and the two figures.
func TestAblateExtrapolateJSON(t *testing.T) {
	data := writeCorpus(t)
	figs := t.TempDir()
	stdout, err := captureStdout(t, func() error {
		return execute([]string{"ablate", "--extrapolate", "--json", "--data", data, "--dim", "16", "--layers", "1", "--heads", "2",
			"--ctx", "16", "--batch", "4", "--steps", "3", "--eval-iters", "1", "--eval-tokens", "1024", "--figs", figs})
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != (5+6)*5 {
		t.Fatalf("%d lines, want 55:\n%s", len(lines), stdout)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var p struct {
			Name     string   `json:"name"`
			Pos      string   `json:"pos"`
			TrainCtx int      `json:"train_ctx"`
			EvalCtx  int      `json:"eval_ctx"`
			ValLoss  *float64 `json:"val_loss"`
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Name == "" || p.Pos == "" || p.TrainCtx != 16 || p.ValLoss == nil || !(*p.ValLoss > 0) {
			t.Fatalf("line %q: %+v, %v", l, p, err)
		}
		seen[p.Name] = true
	}
	for _, n := range []string{"rmsnorm+rope", "rmsnorm+alibi", "rmsnorm+learned", "rmsnorm+rope+yarn16x", "rmsnorm+rope+ntk4x"} {
		if !seen[n] {
			t.Errorf("no lines for %s", n)
		}
	}
	for _, f := range []string{"ablation-extrapolation.png", "ablation-extrapolation-rope-scaling.png"} {
		if _, err := os.Stat(filepath.Join(figs, f)); err != nil {
			t.Error(err)
		}
	}
}
