package train

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Variant is one configuration of an ablation.
type Variant struct {
	Name string `json:"name"`
	Norm string `json:"norm"`
	Pos  string `json:"pos"`
}

// AblationVariants are the configurations llmparts ablate compares: the
// three norms with RoPE fixed, then the four position schemes with RMSNorm
// fixed (rmsnorm+rope appears once).
func AblationVariants() []Variant {
	return []Variant{
		{"layernorm+rope", NormLayer, PosRoPE},
		{"rmsnorm+rope", NormRMS, PosRoPE},
		{"prmsnorm+rope", NormPRMS, PosRoPE},
		{"rmsnorm+sinusoidal", NormRMS, PosSinusoidal},
		{"rmsnorm+learned", NormRMS, PosLearned},
		{"rmsnorm+none", NormRMS, PosNone},
	}
}

// AblationResult is one row of the ablation table: one configuration
// trained with one seed.
type AblationResult struct {
	Variant
	Seed         uint64     `json:"seed"`
	MSPerStep    float64    `json:"ms_per_step"`
	TokensPerSec float64    `json:"tokens_per_sec"`
	TrainLoss    float64    `json:"train_loss"`
	ValLoss      float64    `json:"val_loss"`
	Losses       []float64  `json:"-"`
	Val          []ValPoint `json:"-"`
}

// SeedSummary is one configuration's final losses over several seeds:
// their mean and sample standard deviation.
type SeedSummary struct {
	Variant
	Seeds     int     `json:"seeds"`
	TrainMean float64 `json:"train_loss_mean"`
	TrainSD   float64 `json:"train_loss_sd"`
	ValMean   float64 `json:"val_loss_mean"`
	ValSD     float64 `json:"val_loss_sd"`
}

// SummarizeSeeds groups results by configuration (in the order of their
// first appearance) and returns the mean and sample standard deviation
// of each one's train and validation losses.
func SummarizeSeeds(rs []AblationResult) []SeedSummary {
	var order []string
	by := map[string][]AblationResult{}
	for _, r := range rs {
		if _, ok := by[r.Name]; !ok {
			order = append(order, r.Name)
		}
		by[r.Name] = append(by[r.Name], r)
	}
	out := make([]SeedSummary, 0, len(order))
	for _, name := range order {
		g := by[name]
		tr := make([]float64, len(g))
		va := make([]float64, len(g))
		for i, r := range g {
			tr[i], va[i] = r.TrainLoss, r.ValLoss
		}
		s := SeedSummary{Variant: g[0].Variant, Seeds: len(g)}
		s.TrainMean, s.TrainSD = MeanSD(tr)
		s.ValMean, s.ValSD = MeanSD(va)
		out = append(out, s)
	}
	return out
}

// MeanSD returns the mean of xs and their sample standard deviation
// sqrt(Σ(x−mean)²/(n−1)) (0 for fewer than two values).
func MeanSD(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// TimeSteps measures the wall time of full training steps (forward,
// backward, clipping and AdamW on a fixed batch) for every variant,
// interleaving the variants round by round so that a change in machine
// load affects all of them alike; it returns the median ms per step of
// each. Weights are fresh copies, so training results are untouched.
func TimeSteps(base Options, vocab int, vs []Variant, rounds int) ([]float64, error) {
	type rig struct {
		m   *Model
		opt *AdamW
	}
	rigs := make([]rig, len(vs))
	for i, v := range vs {
		o := base
		o.Norm, o.Pos = v.Norm, v.Pos
		m, err := NewModel(o.Config(vocab), o.Seed)
		if err != nil {
			return nil, err
		}
		rigs[i] = rig{m, NewAdamW(len(m.Params), o.Beta1, o.Beta2, 1e-8, o.WeightDecay)}
	}
	B, T := base.Batch, base.Ctx
	tok, tgt := make([]int, B*T), make([]int, B*T)
	r := RNG{State: 42}
	for i := range tok {
		tok[i], tgt[i] = r.Intn(vocab), r.Intn(vocab)
	}
	times := make([][]float64, len(vs))
	for round := -1; round < rounds; round++ { // round −1 warms up
		for i, rg := range rigs {
			t0 := time.Now()
			rg.m.ZeroGrads()
			if _, err := rg.m.Forward(tok, tgt, B); err != nil {
				return nil, fmt.Errorf("train: timing %s: %w", vs[i].Name, err)
			}
			rg.m.Backward(1)
			ClipGradNorm(rg.m.Grads, 1)
			rg.opt.Step(rg.m.Params, rg.m.Grads, rg.m.Tensors, 1e-4)
			if round >= 0 {
				times[i] = append(times[i], float64(time.Since(t0).Microseconds())/1000)
			}
		}
	}
	med := make([]float64, len(vs))
	for i, ts := range times {
		med[i] = median(ts)
	}
	return med, nil
}

// TimeNorm returns the median time in ms of one forward plus one backward
// pass of each norm kind (LayerNorm, RMSNorm, pRMSNorm with p) over a
// [rows × dim] activation, interleaved over rounds: the cost the norm
// choice changes, without the matrix products around it.
func TimeNorm(rows, dim int, p float64, rounds int) (map[string]float64, error) {
	kinds := []string{NormLayer, NormRMS, NormPRMS}
	r := RNG{State: 3}
	x := make([]float32, rows*dim)
	dy := make([]float32, rows*dim)
	for i := range x {
		x[i], dy[i] = float32(r.Normal()), float32(r.Normal())
	}
	y := make([]float32, rows*dim)
	dx := make([]float32, rows*dim)
	stats := make([]float32, 2*rows)
	w, b := make([]float32, dim), make([]float32, dim)
	dw, db := make([]float32, dim), make([]float32, dim)
	for i := range w {
		w[i] = 1
	}
	times := make([][]float64, len(kinds))
	for round := -1; round < rounds; round++ {
		for i, k := range kinds {
			c := &Config{Dim: dim, Norm: k, NormP: p, Eps: 1e-5}
			t0 := time.Now()
			normForward(c, y, stats, x, w, b)
			normBackward(c, dx, dw, db, dy, x, w, stats)
			if round >= 0 {
				times[i] = append(times[i], float64(time.Since(t0).Nanoseconds())/1e6)
			}
		}
	}
	out := map[string]float64{}
	for i, k := range kinds {
		out[k] = median(times[i])
	}
	return out, nil
}

func median(ts []float64) float64 {
	sort.Float64s(ts)
	n := len(ts)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return ts[n/2]
	}
	return (ts[n/2-1] + ts[n/2]) / 2
}
