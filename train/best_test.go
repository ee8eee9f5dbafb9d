package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBestPointer: OUT/best names the saved folder with the lowest
// validation loss, and pruning keeps it; samples arrive on their steps.
func TestBestPointer(t *testing.T) {
	o := tinyOptions(t.TempDir())
	o.Steps, o.EvalEvery, o.SaveEvery, o.SampleEvery = 30, 5, 0, 10
	o.LR, o.MinLR = 3e-2, 3e-2 // loud enough that validation loss goes up again
	tr, err := NewTrainer(o, testCorpus())
	if err != nil {
		t.Fatal(err)
	}
	var samples []string
	tr.OnStep = func(p Progress) {
		if p.Sample != "" {
			samples = append(samples, p.Sample)
		}
	}
	res, err := tr.Run()
	if err != nil {
		t.Fatal(err)
	}
	bestLoss, bestStep := math.Inf(1), 0
	for _, v := range res.Val {
		if v.Loss < bestLoss {
			bestLoss, bestStep = v.Loss, v.Step
		}
	}
	b, err := os.ReadFile(filepath.Join(o.Out, BestFile))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSpace(string(b))
	if name != stepDir(bestStep) {
		t.Fatalf("best names %q; the lowest validation loss %v was at step %d (history %v)", name, bestLoss, bestStep, res.Val)
	}
	sb, err := os.ReadFile(filepath.Join(o.Out, name, "state.json"))
	if err != nil {
		t.Fatalf("the best folder was pruned or not written: %v", err)
	}
	var st State
	if err := json.Unmarshal(sb, &st); err != nil || st.Best == nil || st.Best.Loss != bestLoss || st.Step != bestStep {
		t.Errorf("best folder state: step %d best %+v, %v", st.Step, st.Best, err)
	}
	if len(samples) != 3 {
		t.Fatalf("%d samples, want 3 (steps 10, 20, 30)", len(samples))
	}
	for _, s := range samples {
		if !strings.Contains(s, "|") || len([]rune(s)) < sampleTokens {
			t.Errorf("sample %q", s)
		}
	}
	t.Logf("best %s (val %.4f of %v); sample: %q", name, bestLoss, res.Val, samples[2])
}

func TestSmooth(t *testing.T) {
	got := smooth([]float64{1, 2, 3, 10, 5}, 3)
	want := []float64{1.5, 2, 5, 6, 7.5} // window cut at both ends
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("smooth = %v, want %v", got, want)
		}
	}
	if w := smoothWindow(2500); w != 101 {
		t.Errorf("window for 2500 steps = %d, want 101", w)
	}
	if w := smoothWindow(3); w != 3 {
		t.Errorf("window for 3 steps = %d, want 3", w)
	}
}

// TestPruneKeepsBest: pruning keeps the newest folders and the best one.
func TestPruneKeepsBest(t *testing.T) {
	out := t.TempDir()
	for s := 1; s <= 5; s++ {
		if err := os.Mkdir(filepath.Join(out, stepDir(s)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := setPointer(out, BestFile, stepDir(1)); err != nil {
		t.Fatal(err)
	}
	pruneSteps(out, stepDir(5), 2)
	ents, _ := os.ReadDir(out)
	var left []string
	for _, e := range ents {
		if e.IsDir() {
			left = append(left, e.Name())
		}
	}
	if strings.Join(left, ",") != "step-000001,step-000004,step-000005" {
		t.Errorf("left %v", left)
	}
}
