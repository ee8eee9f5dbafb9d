package train

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/tokenizer"
)

// Options are the settings of a training run (the flags of llmparts train).
type Options struct {
	Data string `json:"data"`
	// DataFormat is how Data is read: FormatAuto (""), FormatText,
	// FormatUint16, FormatUint32 or FormatLLMC. Pre-tokenized data needs
	// Tokenizer to name the vocabulary file its ids index.
	DataFormat string  `json:"data_format,omitempty"`
	Out        string  `json:"out"`
	Tokenizer  string  `json:"tokenizer"`
	Norm       string  `json:"norm"`
	P          float64 `json:"p"`
	Pos        string  `json:"pos"`
	MLP        string  `json:"mlp"`
	Dim        int     `json:"dim"`
	Layers     int     `json:"layers"`
	Heads      int     `json:"heads"`
	KVHeads    int     `json:"kv_heads"`
	Hidden     int     `json:"hidden"` // MLP hidden width; 0 means 4·Dim
	Ctx        int     `json:"ctx"`
	Untied     bool    `json:"untied"`
	RopeTheta  float64 `json:"rope_theta"`

	Batch       int     `json:"batch"`
	Accum       int     `json:"accum"`
	Steps       int     `json:"steps"`
	Until       int     `json:"until"` // stop (with a checkpoint) after this step; 0: Steps
	LR          float64 `json:"lr"`
	MinLR       float64 `json:"min_lr"`
	Warmup      int     `json:"warmup"`
	WeightDecay float64 `json:"weight_decay"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Clip        float64 `json:"clip"`
	EvalEvery   int     `json:"eval_every"`
	EvalIters   int     `json:"eval_iters"`
	SaveEvery   int     `json:"save_every"`
	SampleEvery int     `json:"sample_every,omitempty"` // print a short sample every N steps (0: never)
	Seed        uint64  `json:"seed"`
	Threads     int     `json:"threads"`
	Resume      bool    `json:"resume"`
	// Overwrite allows a fresh run into an Out that holds an earlier run
	// (its step folders and current pointer are removed first); without
	// it, or Resume, such an Out is an error.
	Overwrite bool `json:"overwrite,omitempty"`
	// MaxMemory bounds the bytes a run may allocate (model, optimizer,
	// activations, corpus); 0 means the memory available at the start
	// (MemAvailable).
	MaxMemory int64 `json:"max_memory,omitempty"`
	// MaxData bounds the training text read; 0 means DefaultMaxData.
	MaxData int64 `json:"max_data,omitempty"`
}

// DefaultOptions returns the default small model and schedule: dim 128,
// 4 layers, 4 heads, context 64, batch 12, SwiGLU hidden 4·dim, RMSNorm,
// RoPE, AdamW lr 1e-3 → 1e-4 cosine with 100 warm-up steps.
func DefaultOptions() Options {
	return Options{
		Tokenizer: "char", Norm: NormRMS, P: 0.0625, Pos: PosRoPE, MLP: MLPSwiGLU,
		Dim: 128, Layers: 4, Heads: 4, Ctx: 64, RopeTheta: 10000,
		Batch: 12, Accum: 1, Steps: 2000, LR: 1e-3, MinLR: 1e-4, Warmup: 100,
		WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.99, Clip: 1, EvalEvery: 250, EvalIters: 20,
		SaveEvery: 500, Seed: 1337,
	}
}

// Config returns the model configuration the options describe for a
// vocabulary of vocab ids.
func (o *Options) Config(vocab int) Config {
	hidden := o.Hidden
	if hidden <= 0 {
		hidden = 4 * o.Dim
	}
	kv := o.KVHeads
	if kv <= 0 {
		kv = o.Heads
	}
	c := Config{Vocab: vocab, Dim: o.Dim, Layers: o.Layers, Heads: o.Heads, KVHeads: kv, Hidden: hidden,
		Ctx: o.Ctx, Norm: o.Norm, NormP: o.P, Eps: 1e-5, Pos: o.Pos, RopeTheta: o.RopeTheta, MLP: o.MLP, Tied: !o.Untied}
	if o.Pos == PosSinusoidal {
		// The fixed table has amplitude 1; embeddings start at σ = 0.02.
		// Scaling them by √d (Vaswani et al. §3.4) keeps the token signal
		// from drowning in the positions.
		c.EmbedScale = math.Sqrt(float64(o.Dim))
	}
	return c
}

func (o *Options) validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrConfig}, a...)...) }
	for _, f := range []struct {
		name string
		v    float64
	}{{"lr", o.LR}, {"min-lr", o.MinLR}, {"weight-decay", o.WeightDecay}, {"clip", o.Clip}, {"p", o.P}, {"beta1", o.Beta1}, {"beta2", o.Beta2}, {"rope-theta", o.RopeTheta}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return bad("%s is %v, want a finite number", f.name, f.v)
		}
	}
	// Sizes: a present but invalid value is an error (0 is the documented
	// default only for hidden and kv-heads); each is bounded so products
	// of a few stay inside int64.
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{{"dim", o.Dim, 1}, {"layers", o.Layers, 1}, {"heads", o.Heads, 1}, {"kv-heads", o.KVHeads, 0}, {"hidden", o.Hidden, 0},
		{"ctx", o.Ctx, 1}, {"batch", o.Batch, 1}, {"accum", o.Accum, 1}} {
		if f.v < f.min || f.v > maxDimension {
			return bad("%s %d must be in [%d, %d]", f.name, f.v, f.min, maxDimension)
		}
	}
	switch {
	case o.Threads < 0 || o.Threads > sysmem.MaxThreads:
		return bad("threads %d must be in [0, %d] (0: all CPUs)", o.Threads, sysmem.MaxThreads)
	case o.Steps < 1:
		return bad("steps %d must be ≥ 1", o.Steps)
	case o.Until < 0 || o.Until > o.Steps:
		return bad("until %d must be in [0, steps=%d]", o.Until, o.Steps)
	case !(o.LR > 0) || o.MinLR < 0 || o.MinLR > o.LR:
		return bad("lr %v must be > 0 and min-lr %v in [0, lr]", o.LR, o.MinLR)
	case o.Warmup < 0 || o.WeightDecay < 0 || o.Clip < 0:
		return bad("warmup %d, weight-decay %v and clip %v must be ≥ 0", o.Warmup, o.WeightDecay, o.Clip)
	case o.Warmup > o.Steps:
		return bad("warmup %d is longer than steps %d (the learning rate would stay near 0)", o.Warmup, o.Steps)
	case o.EvalEvery < 0:
		return bad("eval-every %d must be ≥ 0 (0: only at the end)", o.EvalEvery)
	case o.SaveEvery < 0:
		return bad("save-every %d must be ≥ 0 (0: only at the end)", o.SaveEvery)
	case o.EvalIters < 1:
		return bad("eval-iters %d must be ≥ 1", o.EvalIters)
	case !(o.Beta1 >= 0 && o.Beta1 < 1 && o.Beta2 >= 0 && o.Beta2 < 1):
		return bad("betas must be in [0, 1)")
	case o.MaxMemory < 0 || o.MaxData < 0:
		return bad("max-memory %d and max-data %d must be ≥ 0 (0: default)", o.MaxMemory, o.MaxData)
	case o.Resume && o.Overwrite:
		return bad("--resume and --overwrite contradict each other")
	}
	return nil
}

// Progress is reported after every step.
type Progress struct {
	Step, Steps  int
	Loss, LR     float64
	GradNorm     float64
	TokensPerSec float64
	ETA          time.Duration
	Val          *ValPoint // set on evaluation steps
	Best         bool      // Val is the lowest validation loss so far (the best pointer names this step)
	Sample       string    // set on sampling steps: prompt, then "|", then the continuation
}

// Result summarises a run.
type Result struct {
	Steps        int        `json:"steps"`
	TrainLoss    float64    `json:"train_loss"`
	ValLoss      float64    `json:"val_loss"`
	TokensPerSec float64    `json:"tokens_per_sec"`
	Seconds      float64    `json:"seconds"`
	Params       int        `json:"params"`
	MSPerStep    float64    `json:"ms_per_step"`
	Losses       []float64  `json:"-"`
	StepMS       []float64  `json:"-"`
	Val          []ValPoint `json:"-"`
	Dir          string     `json:"-"` // last checkpoint folder ("" if none written)
}

// ErrDiverged is returned when the loss becomes NaN or infinite.
var ErrDiverged = errors.New("train: diverged")

// Trainer holds a run in progress.
type Trainer struct {
	Opt    Options
	Model  *Model
	AdamW  *AdamW
	Tok    tokenizer.Tokenizer
	Data   *Dataset
	State  State
	OnStep func(Progress) // optional
	Log    io.Writer      // optional messages
}

// NewTrainer prepares a run: it loads and tokenizes the data and builds a
// fresh model, or, with o.Resume and a checkpoint in o.Out, restores it.
// corpus may be pre-loaded text ("" to read o.Data).
func NewTrainer(o Options, corpus string) (*Trainer, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Threads > 0 {
		SetThreads(o.Threads)
	}
	tr := &Trainer{Opt: o}
	var err error
	if o.Resume && o.Out == "" {
		return nil, fmt.Errorf("%w: --resume needs --out", ErrConfig)
	}
	// Everything that can be checked before the data is read and the
	// model allocated: the output folder, and the memory of the model
	// with the smallest vocabulary the tokenizer can give.
	if o.Out != "" {
		if err := PrepareOut(o); err != nil {
			return nil, err
		}
	}
	if !o.Resume {
		c := o.Config(vocabLowerBound(o.Tokenizer))
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if err := checkMemory(&c, o.Batch, 0, o.MaxMemory); err != nil {
			return nil, err
		}
	}
	var ids, valIDs []int32 // pre-tokenized data
	if corpus == "" {
		format, err := DataFormat(o.Data, o.DataFormat)
		if err != nil {
			return nil, err
		}
		if format == FormatText {
			if corpus, err = LoadCorpusLimit(o.Data, o.MaxData); err != nil {
				return nil, err
			}
		} else {
			if ids, err = LoadTokens(o.Data, format); err != nil {
				return nil, err
			}
			if v := valBeside(o.Data); v != "" {
				if valIDs, err = LoadTokens(v, format); err != nil {
					return nil, err
				}
			}
		}
	}
	// The data stays in memory: the text with its token ids (≤ 4 bytes
	// per byte), or the pre-tokenized ids.
	dataBytes := 5*int64(len(corpus)) + 4*int64(len(ids)+len(valIDs))
	if o.Resume {
		ck, d, err := loadCheckpoint(o.Out)
		if err != nil {
			if d == "" {
				return nil, err
			}
			return nil, fmt.Errorf("train: resume from %s: %w", d, err)
		}
		if !ck.HasState {
			return nil, fmt.Errorf("train: resume: %s is missing: the step, the optimizer step count and the data order cannot be restored", filepath.Join(ck.Dir, "state.json"))
		}
		if ck.Opt == nil {
			return nil, fmt.Errorf("train: resume: %s is missing: the AdamW moments cannot be restored", filepath.Join(ck.Dir, "optimizer.safetensors"))
		}
		if ck.State.AdamT != ck.State.Step {
			return nil, fmt.Errorf("train: resume: %s: adam_t %d differs from step %d", filepath.Join(ck.Dir, "state.json"), ck.State.AdamT, ck.State.Step)
		}
		if d := optionDiffs(ck.State.Options, o); len(d) > 0 {
			return nil, fmt.Errorf("%w: --resume continues the saved run with its own options, but %s differ (ResumeOptions merges them)", ErrConfig, strings.Join(d, ", "))
		}
		if o.Steps < ck.State.Options.Steps {
			return nil, fmt.Errorf("%w: --steps %d is below the saved run's %d: --steps may only extend the schedule", ErrConfig, o.Steps, ck.State.Options.Steps)
		}
		if err := checkMemory(&ck.Model.Config, o.Batch, dataBytes, o.MaxMemory); err != nil {
			return nil, err
		}
		tr.Model, tr.AdamW, tr.Tok, tr.State = ck.Model, ck.Opt, ck.Tokenizer, ck.State
		tr.AdamW.Beta1, tr.AdamW.Beta2, tr.AdamW.WeightDecay = o.Beta1, o.Beta2, o.WeightDecay
		if tr.State.Step > o.Steps {
			return nil, fmt.Errorf("train: resume: checkpoint is at step %d, past --steps %d", tr.State.Step, o.Steps)
		}
	} else {
		if ids != nil {
			tr.Tok, err = tokenizerForTokens(o.Tokenizer)
		} else {
			tr.Tok, err = NewTokenizer(o.Tokenizer, corpus)
		}
		if err != nil {
			return nil, err
		}
		cfg := o.Config(tr.Tok.VocabSize())
		if err := checkMemory(&cfg, o.Batch, dataBytes, o.MaxMemory); err != nil {
			return nil, err
		}
		if tr.Model, err = NewModel(cfg, o.Seed); err != nil {
			return nil, err
		}
		tr.AdamW = NewAdamW(len(tr.Model.Params), o.Beta1, o.Beta2, 1e-8, o.WeightDecay)
		tr.State = State{RNG: o.Seed ^ 0x5DEECE66D}
	}
	tr.State.Options = o
	if ids == nil {
		if ids, err = EncodeCorpus(tr.Tok, corpus); err != nil {
			return nil, err
		}
	}
	V := tr.Model.Config.Vocab
	for _, stream := range [][]int32{ids, valIDs} {
		for i, id := range stream {
			if id < 0 || int(id) >= V {
				return nil, fmt.Errorf("train: data: token id %d at %d is outside the vocabulary of %d (is --tokenizer the vocabulary the ids were made with?)", id, i, V)
			}
		}
	}
	if valIDs != nil {
		T := tr.Model.Config.Ctx
		if len(ids) < T+2 || len(valIDs) < T+2 {
			return nil, fmt.Errorf("train: data: %d training and %d validation tokens are too few for context %d", len(ids), len(valIDs), T)
		}
		tr.Data = &Dataset{Train: ids, Val: valIDs}
	} else if tr.Data, err = Split(ids, tr.Model.Config.Ctx); err != nil {
		return nil, err
	}
	return tr, nil
}

// vocabLowerBound is the smallest vocabulary the tokenizer spec can give
// (for the memory check made before the corpus is read).
func vocabLowerBound(spec string) int {
	if n, ok := strings.CutPrefix(spec, "bpe:"); ok {
		if v, err := strconv.Atoi(n); err == nil && v > 2 {
			return v
		}
	}
	return 2
}

// PrepareOut checks the output folder of a run before any compute: it
// must be a folder (created if absent) that can be written to, and one
// that holds an earlier run (a current pointer or step-* folders) is only
// accepted with Resume, or with Overwrite, which removes that run's step
// folders and pointer first. An empty Out is an error here.
func PrepareOut(o Options) error {
	if o.Out == "" {
		return fmt.Errorf("%w: --out is empty: the run would save nothing", ErrConfig)
	}
	st, err := os.Stat(o.Out)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("%w: --out %s is a file, not a folder", ErrConfig, o.Out)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("train: --out %s: %w", o.Out, err)
	}
	var earlier []string
	if err == nil {
		ents, err := os.ReadDir(o.Out)
		if err != nil {
			return fmt.Errorf("train: --out %s: %w", o.Out, err)
		}
		for _, e := range ents {
			if e.Name() == CurrentFile || (e.IsDir() && strings.HasPrefix(e.Name(), "step-")) {
				earlier = append(earlier, e.Name())
			}
		}
	}
	if len(earlier) > 0 && !o.Resume {
		if !o.Overwrite {
			return fmt.Errorf("%w: --out %s holds an earlier run (%s); use --resume to continue it, --overwrite to replace it, or another --out",
				ErrConfig, o.Out, strings.Join(earlier, ", "))
		}
		for _, n := range earlier {
			if err := os.RemoveAll(filepath.Join(o.Out, n)); err != nil {
				return fmt.Errorf("train: --overwrite: %w", err)
			}
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("train: --out: %w", err)
	}
	f, err := os.CreateTemp(o.Out, ".write-test-*")
	if err != nil {
		return fmt.Errorf("train: --out %s is not writable: %w", o.Out, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Evaluate returns the mean validation loss over EvalIters batches drawn
// with a fixed generator of their own, so every evaluation sees the same
// batches and none disturbs the training generator.
func (tr *Trainer) Evaluate() (float64, error) {
	B, T := tr.Opt.Batch, tr.Model.Config.Ctx
	rng := RNG{State: 0xE7A1 ^ tr.Opt.Seed}
	tok, tgt := make([]int, B*T), make([]int, B*T)
	var sum float64
	for i := 0; i < tr.Opt.EvalIters; i++ {
		Batch(tr.Data.Val, B, T, &rng, tok, tgt)
		l, err := tr.Model.Forward(tok, tgt, B)
		if err != nil {
			return 0, err
		}
		sum += l
	}
	return sum / float64(tr.Opt.EvalIters), nil
}

func (tr *Trainer) save() (string, error) {
	if tr.Opt.Out == "" {
		return "", nil
	}
	if err := os.MkdirAll(tr.Opt.Out, 0o755); err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	return SaveCheckpoint(tr.Opt.Out, tr.Model, tr.AdamW, tr.Tok, tr.State, 2)
}

// Run trains until Options.Until (or Steps), evaluating and saving on the
// way, and returns the summary. On divergence it returns ErrDiverged and
// leaves the last good checkpoint current.
func (tr *Trainer) Run() (*Result, error) {
	o := tr.Opt
	m := tr.Model
	B, T := o.Batch, m.Config.Ctx
	until := o.Until
	if until == 0 {
		until = o.Steps
	}
	tok, tgt := make([]int, B*T), make([]int, B*T)
	rng := RNG{State: tr.State.RNG}
	var err error
	res := &Result{Params: len(m.Params)}
	start := time.Now()
	startStep := tr.State.Step
	var runTokens int64
	for tr.State.Step < until {
		step := tr.State.Step
		t0 := time.Now()
		lr := LR(step, o.Warmup, o.Steps, o.LR, o.MinLR)
		m.ZeroGrads()
		var loss float64
		for a := 0; a < o.Accum; a++ {
			Batch(tr.Data.Train, B, T, &rng, tok, tgt)
			l, err := m.Forward(tok, tgt, B)
			if err != nil {
				return nil, err
			}
			m.Backward(1 / float32(o.Accum))
			loss += l
		}
		loss /= float64(o.Accum)
		gn := ClipGradNorm(m.Grads, o.Clip)
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(gn) || math.IsInf(gn, 0) {
			return res, fmt.Errorf("%w at step %d (loss %v, gradient norm %v); the last good checkpoint is kept", ErrDiverged, step+1, loss, gn)
		}
		tr.AdamW.Step(m.Params, m.Grads, m.Tensors, lr)
		dt := time.Since(t0)
		tr.State.Step++
		tr.State.RNG = rng.State
		tr.State.TokensSeen += int64(B * T * o.Accum)
		runTokens += int64(B * T * o.Accum)
		tr.State.Losses = append(tr.State.Losses, loss)
		tr.State.StepMS = append(tr.State.StepMS, float64(dt.Microseconds())/1000)
		el := time.Since(start)
		tr.State.Seconds += dt.Seconds()
		p := Progress{Step: tr.State.Step, Steps: o.Steps, Loss: loss, LR: lr, GradNorm: gn,
			TokensPerSec: float64(runTokens) / el.Seconds()}
		if done := tr.State.Step - startStep; done > 0 {
			p.ETA = time.Duration(float64(el) / float64(done) * float64(until-tr.State.Step))
		}
		last := tr.State.Step == until
		if (o.EvalEvery > 0 && tr.State.Step%o.EvalEvery == 0) || last {
			vl, err := tr.Evaluate()
			if err != nil {
				return nil, err
			}
			vp := ValPoint{Step: tr.State.Step, Loss: vl}
			tr.State.Val = append(tr.State.Val, vp)
			p.Val = &vp
		}
		if p.Val != nil && (tr.State.Best == nil || p.Val.Loss < tr.State.Best.Loss) {
			best := *p.Val
			tr.State.Best, p.Best = &best, true
		}
		// A new best is saved whatever the schedule, so the best pointer
		// always names a folder.
		if (o.SaveEvery > 0 && tr.State.Step%o.SaveEvery == 0) || last || p.Best {
			dir, err := tr.save()
			if err != nil {
				return nil, err
			}
			res.Dir = dir
			if p.Best && dir != "" {
				if err := setPointer(o.Out, BestFile, filepath.Base(dir)); err != nil {
					return nil, err
				}
			}
		}
		if o.SampleEvery > 0 && tr.State.Step%o.SampleEvery == 0 {
			if p.Sample, err = tr.sample(); err != nil {
				return nil, err
			}
		}
		if tr.OnStep != nil {
			tr.OnStep(p)
		}
	}
	secs := time.Since(start).Seconds()
	res.Steps = tr.State.Step
	res.Losses = tr.State.Losses
	res.StepMS = tr.State.StepMS
	res.Val = tr.State.Val
	res.Seconds = secs
	if n := len(res.Losses); n > 0 {
		// Mean of the last (up to) 20 steps smooths the noisy batch loss.
		k := min(20, n)
		for _, l := range res.Losses[n-k:] {
			res.TrainLoss += l
		}
		res.TrainLoss /= float64(k)
	}
	if n := len(res.Val); n > 0 {
		res.ValLoss = res.Val[n-1].Loss
	}
	var ms float64
	done := tr.State.Step - startStep
	for _, v := range res.StepMS[len(res.StepMS)-done:] {
		ms += v
	}
	if done > 0 {
		res.MSPerStep = ms / float64(done)
		res.TokensPerSec = float64(B*T*o.Accum) / (res.MSPerStep / 1000)
	}
	if o.Out != "" {
		if err := tr.plot(filepath.Join(o.Out, "loss.png")); err != nil && tr.Log != nil {
			fmt.Fprintf(tr.Log, "warning: %v\n", err)
		}
	}
	return res, nil
}

// sampleTokens is the length of a --sample-every sample.
const sampleTokens = 120

// sample continues the first tokens of the validation stream with the
// current model: "prompt|continuation".
func (tr *Trainer) sample() (string, error) {
	prompt := tr.Data.Val[:min(len(tr.Data.Val), max(1, tr.Model.Config.Ctx/4))]
	ids := make([]int, len(prompt))
	for i, id := range prompt {
		ids[i] = int(id)
	}
	out, err := tr.Model.Sample(ids, sampleTokens, 0x5A3B1E^uint64(tr.State.Step))
	if err != nil {
		return "", err
	}
	return tr.Tok.Decode(ids) + "|" + tr.Tok.Decode(out), nil
}
