package train

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/tokenizer"
)

func testCorpus() string {
	var sb strings.Builder
	words := []string{"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog. ", "\n"}
	r := RNG{State: 5}
	for sb.Len() < 20000 {
		sb.WriteString(words[r.Intn(len(words))])
	}
	return sb.String()
}

func tinyOptions(out string) Options {
	o := DefaultOptions()
	o.Out = out
	o.Dim, o.Layers, o.Heads, o.Ctx, o.Batch = 16, 2, 2, 16, 4
	o.Steps, o.Warmup, o.EvalEvery, o.EvalIters, o.SaveEvery = 40, 5, 10, 2, 10
	o.LR, o.MinLR = 3e-3, 3e-4
	o.Threads = 2
	return o
}

func run(t *testing.T, o Options) *Result {
	t.Helper()
	tr, err := NewTrainer(o, testCorpus())
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTrainingLearns checks the loss drops well below the uniform
// cross-entropy ln(V) on a small repetitive corpus.
func TestTrainingLearns(t *testing.T) {
	o := tinyOptions("")
	o.Steps = 150
	res := run(t, o)
	first := res.Losses[0]
	if math.Abs(first-math.Log(29)) > 0.1 { // 27 distinct characters + space + newline
		t.Errorf("first loss %.3f, want about ln(29) = %.3f", first, math.Log(29))
	}
	if res.TrainLoss > 1.6 || res.ValLoss > 1.7 {
		t.Errorf("after %d steps train %.3f val %.3f, want < 1.6 / 1.7", res.Steps, res.TrainLoss, res.ValLoss)
	}
}

// TestDeterministicResume: 40 steps straight equal 20 steps, then a resume
// to 40, bit for bit — also with a different thread count.
func TestDeterministicResume(t *testing.T) {
	dir := t.TempDir()
	straight := run(t, tinyOptions(filepath.Join(dir, "a")))
	o := tinyOptions(filepath.Join(dir, "b"))
	o.Until = 20
	run(t, o)
	o.Until = 0
	o.Resume = true
	o.Threads = 1
	resumed := run(t, o)
	if len(straight.Losses) != 40 || len(resumed.Losses) != 40 {
		t.Fatalf("loss histories of %d and %d steps", len(straight.Losses), len(resumed.Losses))
	}
	for i := range straight.Losses {
		if straight.Losses[i] != resumed.Losses[i] {
			t.Fatalf("step %d: straight %v, resumed %v", i+1, straight.Losses[i], resumed.Losses[i])
		}
	}
	if straight.ValLoss != resumed.ValLoss {
		t.Errorf("val loss %v vs %v", straight.ValLoss, resumed.ValLoss)
	}
	// Only the last two step folders are kept, and current names the last.
	ents, _ := os.ReadDir(filepath.Join(dir, "b"))
	var steps []string
	for _, e := range ents {
		if e.IsDir() {
			steps = append(steps, e.Name())
		}
	}
	if strings.Join(steps, ",") != "step-000030,step-000040" {
		t.Errorf("step folders %v", steps)
	}
	cur, _ := os.ReadFile(filepath.Join(dir, "b", CurrentFile))
	if strings.TrimSpace(string(cur)) != "step-000040" {
		t.Errorf("current = %q", cur)
	}
	ck, err := LoadCheckpoint(filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if ck.State.Step != 40 || ck.Model.Config.Dim != 16 || ck.Tokenizer.VocabSize() != 29 {
		t.Errorf("checkpoint: step %d dim %d vocab %d", ck.State.Step, ck.Model.Config.Dim, ck.Tokenizer.VocabSize())
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "loss.png")); err != nil {
		t.Errorf("loss.png: %v", err)
	}
}

// TestDivergenceKeepsCheckpoint: an absurd learning rate makes the loss
// blow up; training stops with ErrDiverged and the last checkpoint stays
// current and loadable.
func TestDivergenceKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	o := tinyOptions(dir)
	o.Steps, o.SaveEvery, o.Warmup, o.Clip = 200, 1, 0, 0
	o.LR, o.MinLR = 1e30, 1e30
	tr, err := NewTrainer(o, testCorpus())
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run()
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("err = %v, want ErrDiverged", err)
	}
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range ck.Model.Params {
		if math.IsNaN(float64(v)) {
			t.Fatal("current checkpoint holds NaN weights")
		}
	}
	if ck.State.Step >= tr.State.Step+1 {
		t.Errorf("checkpoint step %d is not before the divergence", ck.State.Step)
	}
}

func TestBadOptions(t *testing.T) {
	for name, f := range map[string]func(*Options){
		"norm":   func(o *Options) { o.Norm = "batchnorm" },
		"pos":    func(o *Options) { o.Pos = "xpos" },
		"heads":  func(o *Options) { o.Heads = 3 },
		"kv":     func(o *Options) { o.KVHeads = 3 },
		"steps":  func(o *Options) { o.Steps = 0 },
		"until":  func(o *Options) { o.Until = 99 },
		"tok":    func(o *Options) { o.Tokenizer = "words" },
		"p":      func(o *Options) { o.Norm, o.P = NormPRMS, 0 },
		"lr":     func(o *Options) { o.LR = -1 },
		"wd-nan": func(o *Options) { o.WeightDecay = math.NaN() },
		"clip":   func(o *Options) { o.Clip = math.Inf(1) },
		"p-nan":  func(o *Options) { o.Norm, o.P = NormPRMS, math.NaN() },
		"resume": func(o *Options) { o.Resume, o.Out = true, "" },
	} {
		o := tinyOptions("")
		f(&o)
		if _, err := NewTrainer(o, testCorpus()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLRSchedule(t *testing.T) {
	if got := LR(0, 10, 100, 1, 0.1); got != 0.1 {
		t.Errorf("LR(0) = %v, want 0.1", got)
	}
	if got := LR(9, 10, 100, 1, 0.1); got != 1 {
		t.Errorf("LR(9) = %v, want 1", got)
	}
	if got := LR(55, 10, 100, 1, 0.1); math.Abs(got-0.55) > 1e-12 {
		t.Errorf("LR(55) = %v, want 0.55 (half-way down the cosine)", got)
	}
	if got := LR(100, 10, 100, 1, 0.1); got != 0.1 {
		t.Errorf("LR(100) = %v, want 0.1", got)
	}
}

func TestAdamWFirstStep(t *testing.T) {
	// The first Adam step moves every parameter by lr·sign(g) (m̂/√v̂ = ±1),
	// and decoupled decay adds lr·λ·θ on decayed tensors only.
	p := []float32{1, 1}
	g := []float32{0.5, -2}
	ts := []ParamTensor{{Name: "w", Offset: 0, Size: 1, Decay: true}, {Name: "n", Offset: 1, Size: 1}}
	o := NewAdamW(2, 0.9, 0.99, 1e-8, 0.1)
	o.Step(p, g, ts, 0.01)
	if math.Abs(float64(p[0])-(1-0.01-0.001)) > 1e-6 || math.Abs(float64(p[1])-1.01) > 1e-6 {
		t.Errorf("params after one step = %v, want [0.989 1.01]", p)
	}
	gg := []float32{3, 4}
	if n := ClipGradNorm(gg, 1); n != 5 || math.Abs(float64(gg[0])-0.6) > 1e-5 {
		t.Errorf("clip: norm %v, g %v", n, gg)
	}
}

func TestCharTokenizer(t *testing.T) {
	tok, err := NewTokenizer("char:2", "aab€b")
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 3 { // a, b, U+FFFD
		t.Fatalf("vocab %d, want 3", tok.VocabSize())
	}
	ids, err := tok.Encode("ba€", tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Decode(ids); got != "ba\uFFFD" {
		t.Errorf("round trip %q", got)
	}
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := SaveTokenizer(tok, path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTokenizer(path)
	if err != nil {
		t.Fatal(err)
	}
	if ids2, _ := back.Encode("ba€", tokenizer.EncodeOptions{}); len(ids2) != 3 || ids2[2] != ids[2] {
		t.Errorf("reloaded tokenizer encodes %v, want %v", ids2, ids)
	}
	strict, _ := NewTokenizer("char", "ab")
	if _, err := strict.Encode("abc", tokenizer.EncodeOptions{}); err == nil {
		t.Error("char tokenizer encoded an unknown character")
	}
}

// TestTokenizerFiles: every tokenizer the trainer builds saves to a
// tokenizer.json that both ParseTokenizer and tokenizer.ParseJSON (what
// the inference side uses) read back to the same ids.
func TestTokenizerFiles(t *testing.T) {
	corpus := testCorpus()
	for _, spec := range []string{"char", "char:100", "bpe:300"} {
		tok, err := NewTokenizer(spec, corpus)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		path := filepath.Join(t.TempDir(), "tokenizer.json")
		if err := SaveTokenizer(tok, path); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		b, _ := os.ReadFile(path)
		mine, err := ParseTokenizer(b)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		theirs, err := tokenizer.ParseJSON(b)
		if err != nil {
			t.Fatalf("%s: tokenizer.ParseJSON: %v", spec, err)
		}
		text := "the lazy dog jumps over the quick brown fox."
		want, err := tok.Encode(text, tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if spec == "bpe:300" && len(want) >= len(text) {
			t.Errorf("bpe:300 encodes %d characters as %d tokens: no merges learned", len(text), len(want))
		}
		for name, tt := range map[string]tokenizer.Tokenizer{"ParseTokenizer": mine, "ParseJSON": theirs} {
			got, err := tt.Encode(text, tokenizer.EncodeOptions{})
			if err != nil || len(got) != len(want) {
				t.Fatalf("%s %s: %v %v, want %v", spec, name, got, err, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s %s: %v, want %v", spec, name, got, want)
				}
			}
			if tt.Decode(got) != text || tt.VocabSize() != tok.VocabSize() {
				t.Errorf("%s %s: decode %q, vocab %d/%d", spec, name, tt.Decode(got), tt.VocabSize(), tok.VocabSize())
			}
		}
	}
	if _, err := NewTokenizer("bpe:10", corpus); err == nil {
		t.Error("bpe:10 accepted")
	}
}

// TestEvalAndSaveDoNotChangeTrajectory: evaluating and checkpointing at
// odd intervals leaves the training losses bit-identical.
// TestEvalAndSaveDoNotChangeTrajectory: evaluating, saving and sampling
// leave the training losses bit for bit as they were.
func TestEvalAndSaveDoNotChangeTrajectory(t *testing.T) {
	a := tinyOptions("")
	a.Steps, a.EvalEvery, a.SaveEvery = 25, 0, 0
	b := tinyOptions(t.TempDir())
	b.Steps, b.EvalEvery, b.SaveEvery, b.SampleEvery = 25, 3, 7, 5
	ra, rb := run(t, a), run(t, b)
	for i := range ra.Losses {
		if ra.Losses[i] != rb.Losses[i] {
			t.Fatalf("step %d: %v without eval/save, %v with", i+1, ra.Losses[i], rb.Losses[i])
		}
	}
	if len(rb.Val) != 9 { // steps 3, 6, ..., 24 and the last
		t.Errorf("%d validation points, want 9", len(rb.Val))
	}
}
