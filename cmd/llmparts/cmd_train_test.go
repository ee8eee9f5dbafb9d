package main

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// captureStdout runs f with os.Stdout redirected and returns what it printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	ferr := f()
	w.Close()
	os.Stdout = old
	return <-done, ferr
}

func writeCorpus(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "corpus.txt")
	text := strings.Repeat("to be or not to be, that is the question.\n", 300)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrainCommandJSON(t *testing.T) {
	data := writeCorpus(t)
	out := filepath.Join(t.TempDir(), "out")
	stdout, err := captureStdout(t, func() error {
		return execute([]string{"train", "--data", data, "--out", out, "--dim", "16", "--layers", "1", "--heads", "2",
			"--ctx", "16", "--batch", "4", "--steps", "30", "--warmup", "3", "--lr", "3e-3", "--eval-every", "10", "--eval-iters", "2", "--json"})
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var res struct {
		Steps        int     `json:"steps"`
		TrainLoss    float64 `json:"train_loss"`
		ValLoss      float64 `json:"val_loss"`
		TokensPerSec float64 `json:"tokens_per_sec"`
		Seconds      float64 `json:"seconds"`
		Params       int     `json:"params"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last stdout line %q: %v", lines[len(lines)-1], err)
	}
	if res.Steps != 30 || res.Params == 0 || res.TokensPerSec <= 0 || res.Seconds <= 0 {
		t.Errorf("summary %+v", res)
	}
	if res.ValLoss <= 0 || res.ValLoss > 2.5 { // ln(18 characters) ≈ 2.9 at the start
		t.Errorf("val loss %v after 30 steps", res.ValLoss)
	}
	for _, f := range []string{"current", "loss.png", "step-000030/config.json", "step-000030/model.safetensors",
		"step-000030/optimizer.safetensors", "step-000030/tokenizer.json", "step-000030/state.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

func TestTrainCommandBadFlags(t *testing.T) {
	data := writeCorpus(t)
	for _, args := range [][]string{
		{"--norm", "batchnorm"},
		{"--pos", "xpos"}, // alibi is a position kind now
		{"--heads", "3"},
		{"--no-such-flag"},
		{"extra"},
	} {
		err := execute(append([]string{"train", "--data", data, "--out", t.TempDir(), "--steps", "1", "--warmup", "0"}, args...))
		if err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestAblateCommandJSON(t *testing.T) {
	data := writeCorpus(t)
	figs := t.TempDir()
	stdout, err := captureStdout(t, func() error {
		return execute([]string{"ablate", "--data", data, "--dim", "16", "--layers", "1", "--heads", "2", "--ctx", "16",
			"--batch", "2", "--steps", "4", "--eval-iters", "1", "--timing-rounds", "1", "--figs", figs, "--json"})
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d JSON lines, want 6:\n%s", len(lines), stdout)
	}
	for _, l := range lines {
		var r struct {
			Name      string  `json:"name"`
			Norm      string  `json:"norm"`
			Pos       string  `json:"pos"`
			MS        float64 `json:"ms_per_step"`
			TokPerSec float64 `json:"tokens_per_sec"`
			Train     float64 `json:"train_loss"`
			Val       float64 `json:"val_loss"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Name != r.Norm+"+"+r.Pos || r.MS <= 0 || r.TokPerSec <= 0 || r.Train <= 0 || r.Val <= 0 {
			t.Errorf("row %+v", r)
		}
	}
	for _, f := range []string{"ablation-loss-norm.png", "ablation-loss-pos.png", "ablation-step-time.png"} {
		if _, err := os.Stat(filepath.Join(figs, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

// TestAblateSeeds: --seeds 2 trains every configuration with seeds 1337
// and 1338; each seed's rows equal a single-seed run with that seed, the
// two differ, the figures are written, and the summary lines hold the mean and the sample standard
// deviation of the two (for two values: (a+b)/2 and |a−b|/√2).
func TestAblateSeeds(t *testing.T) {
	data := writeCorpus(t)
	args := []string{"ablate", "--data", data, "--dim", "16", "--layers", "1", "--heads", "2", "--ctx", "16",
		"--batch", "2", "--steps", "4", "--eval-iters", "1", "--timing-rounds", "1", "--figs", "", "--json"}
	type row struct {
		Name      string  `json:"name"`
		Seed      uint64  `json:"seed"`
		Train     float64 `json:"train_loss"`
		Val       float64 `json:"val_loss"`
		Seeds     int     `json:"seeds"`
		TrainMean float64 `json:"train_loss_mean"`
		TrainSD   float64 `json:"train_loss_sd"`
		ValMean   float64 `json:"val_loss_mean"`
		ValSD     float64 `json:"val_loss_sd"`
	}
	run := func(extra ...string) []row {
		stdout, err := captureStdout(t, func() error { return execute(append(args, extra...)) })
		if err != nil {
			t.Fatal(err)
		}
		var rs []row
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var r row
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			rs = append(rs, r)
		}
		return rs
	}
	figs := t.TempDir()
	one, two, second := run(), run("--seeds", "2", "--figs", figs), run("--seed", "1338")
	if len(one) != 6 || len(two) != 6*2+6 || len(second) != 6 {
		t.Fatalf("%d, %d and %d JSON lines, want 6, 18 and 6", len(one), len(two), len(second))
	}
	for _, f := range []string{"ablation-loss-norm.png", "ablation-loss-pos.png", "ablation-step-time.png"} {
		if _, err := os.Stat(filepath.Join(figs, f)); err != nil {
			t.Error(err)
		}
	}
	for i := range 6 {
		a, b, s := two[i], two[6+i], two[12+i]
		if a.Seed != 1337 || b.Seed != 1338 || a.Name != one[i].Name || b.Name != a.Name || s.Name != a.Name {
			t.Fatalf("rows %d: %+v %+v %+v", i, a, b, s)
		}
		if a.Train != one[i].Train || a.Val != one[i].Val {
			t.Errorf("%s seed 1337: %v/%v, single-seed run %v/%v", a.Name, a.Train, a.Val, one[i].Train, one[i].Val)
		}
		if b.Train != second[i].Train || b.Val != second[i].Val {
			t.Errorf("%s seed 1338: %v/%v, single run with --seed 1338 %v/%v", b.Name, b.Train, b.Val, second[i].Train, second[i].Val)
		}
		if b.Val == a.Val {
			t.Errorf("%s: seeds 1337 and 1338 gave the same validation loss %v", a.Name, a.Val)
		}
		close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12*math.Max(1, math.Abs(y)) }
		if s.Seeds != 2 || !close(s.ValMean, (a.Val+b.Val)/2) || !close(s.ValSD, math.Abs(a.Val-b.Val)/math.Sqrt2) ||
			!close(s.TrainMean, (a.Train+b.Train)/2) || !close(s.TrainSD, math.Abs(a.Train-b.Train)/math.Sqrt2) {
			t.Errorf("%s summary %+v from %v, %v", a.Name, s, a, b)
		}
	}
	if err := execute(append(args, "--seeds", "0")); err == nil {
		t.Error("--seeds 0 accepted")
	}
}

// TestTrainResumeTakesSavedOptions: after --steps 30 --until 15, a bare
// --resume goes on to step 30 with the saved schedule; a changed option is
// an error.
func TestTrainResumeTakesSavedOptions(t *testing.T) {
	data := writeCorpus(t)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"train", "--data", data, "--out", out, "--dim", "16", "--layers", "1", "--heads", "2",
		"--ctx", "16", "--batch", "4", "--steps", "30", "--warmup", "3", "--lr", "3e-3", "--eval-every", "10", "--eval-iters", "2"}
	if _, err := captureStdout(t, func() error { return execute(append(args, "--until", "15")) }); err != nil {
		t.Fatal(err)
	}
	err := execute([]string{"train", "--out", out, "--resume", "--lr", "1e-2"})
	if err == nil || !strings.Contains(err.Error(), "--lr 0.01 (the saved run has 0.003)") {
		t.Errorf("resume with another --lr: %v", err)
	}
	if err := execute([]string{"train", "--out", out, "--resume", "--data", data, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "step-000030", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Step    int
		Options struct {
			Steps, Warmup, Dim int
			LR                 float64
		}
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Step != 30 || st.Options.Steps != 30 || st.Options.Warmup != 3 || st.Options.Dim != 16 || st.Options.LR != 3e-3 {
		t.Errorf("resumed run: %+v", st)
	}
}
