package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/internal/chart"
	"github.com/llmparts/llmparts/train"
)

func init() { register(newAblateCmd) }

func newAblateCmd() *cobra.Command {
	o := train.DefaultOptions()
	o.Steps = 300
	o.Warmup = 30
	o.EvalIters = 40
	var (
		figs        string
		rounds      int
		jsonOut     bool
		extrapolate bool
		evalTokens  int
		seeds       int
	)
	c := &cobra.Command{
		Use:   "ablate [--data PATH] [--steps N] [--seeds N] [--json] [flags]",
		Short: "the seed papers' claims measured: LayerNorm/RMSNorm/pRMSNorm and RoPE/sinusoidal/learned/no positions side by side, over N seeds as mean ± sd (docs/ABLATION.md)",
		Long: `Train the same small model (same seed, data and steps) with LayerNorm, RMSNorm and
pRMSNorm (RoPE fixed), then with RoPE, sinusoidal, learned and no positions (RMSNorm
fixed), and report ms per step (median of interleaved timing rounds), tokens/s and
final losses (docs/ABLATION.md). With --seeds N every configuration is trained
with the seeds S, S+1, …, S+N−1 (S = --seed; the seed sets the initial weights
and the batches), and the table gives each loss as mean ± sample standard
deviation, then says which differences exceed the spread.`,
		Example: "  llmparts ablate --data input.txt --steps 300 --figs docs/img\n  llmparts ablate --data input.txt --steps 300 --seeds 3 --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("warmup") && o.Warmup > o.Steps {
				o.Warmup = o.Steps / 10 // the default warm-up is 10 % of the default 300 steps
			}
			if extrapolate {
				if evalTokens < 1 {
					return usageErrorf("--eval-tokens %d must be ≥ 1", evalTokens)
				}
				return runExtrapolate(o, figs, jsonOut, evalTokens)
			}
			if seeds < 1 || seeds > 100 {
				return usageErrorf("--seeds %d: want 1 to 100", seeds)
			}
			return runAblate(o, figs, rounds, seeds, jsonOut)
		},
	}
	fs := c.Flags()
	trainFlags(fs, &o)
	fs.Float64VarP(&o.P, "p", "p", o.P, "pRMSNorm fraction p")
	fs.StringVar(&figs, "figs", ".", "folder for ablation-loss-norm.png, ablation-loss-pos.png and ablation-step-time.png (\"\": none)")
	fs.IntVar(&rounds, "timing-rounds", 20, "interleaved timing rounds for ms per step")
	fs.BoolVar(&jsonOut, "json", false, "print one JSON line per configuration on stdout")
	fs.BoolVar(&extrapolate, "extrapolate", false, "length extrapolation instead: train RMSNorm models at --ctx with RoPE, sinusoidal, learned, ALiBi and no positions, evaluate at 64…1024 (RoPE also with linear/NTK/YaRN scaling 4× and 16×); --json prints {name,pos,train_ctx,eval_ctx,val_loss} per line")
	fs.IntVar(&seeds, "seeds", 1, "train every configuration with this many seeds (--seed, --seed+1, …) and report mean ± sd; --json adds one summary line per configuration")
	fs.IntVar(&evalTokens, "eval-tokens", 8192, "with --extrapolate: validation tokens per evaluation (whole windows of the evaluation context)")
	return c
}

func runAblate(o train.Options, figs string, rounds, seeds int, jsonOut bool) error {
	if rounds < 1 {
		return usageErrorf("--timing-rounds %d must be ≥ 1", rounds)
	}
	o.EvalEvery = max(1, o.Steps/10)
	o.SaveEvery = 0
	fmt.Fprintln(os.Stderr, "loading data...")
	corpus, err := train.LoadCorpus(o.Data)
	if err != nil {
		return err
	}
	vs := train.AblationVariants()
	var results []train.AblationResult
	vocab := 0
	for k := range seeds {
		seed := o.Seed + uint64(k)
		for _, v := range vs {
			vo := o
			vo.Norm, vo.Pos, vo.Seed = v.Norm, v.Pos, seed
			tr, err := train.NewTrainer(vo, corpus)
			if err != nil {
				return err
			}
			vocab = tr.Model.Config.Vocab
			prefix := v.Name + ": "
			if seeds > 1 {
				prefix = fmt.Sprintf("%s (seed %d): ", v.Name, seed)
			}
			onStep, line := progressPrinter(os.Stderr, prefix)
			tr.OnStep = onStep
			res, err := tr.Run()
			line.Done()
			if err != nil {
				return fmt.Errorf("%s (seed %d): %w", v.Name, seed, err)
			}
			results = append(results, train.AblationResult{Variant: v, Seed: seed, TrainLoss: res.TrainLoss, ValLoss: res.ValLoss, Losses: res.Losses, Val: res.Val})
		}
	}
	fmt.Fprintf(os.Stderr, "timing %d interleaved rounds of one training step per configuration...\n", rounds)
	ms, err := train.TimeSteps(o, vocab, vs, rounds)
	if err != nil {
		return err
	}
	// Step time does not depend on the seed: one timing per configuration.
	tokens := float64(o.Batch * o.Ctx)
	for i := range results {
		results[i].MSPerStep = ms[i%len(vs)]
		results[i].TokensPerSec = tokens / (ms[i%len(vs)] / 1000)
	}
	nt, err := train.TimeNorm(o.Batch*o.Ctx, o.Dim, o.P, 10*rounds)
	if err != nil {
		return err
	}
	var tw io.Writer = os.Stdout
	if jsonOut {
		tw = os.Stderr
	}
	printAblation(tw, o, results[:len(vs)])
	var sum []train.SeedSummary
	if seeds > 1 {
		sum = train.SummarizeSeeds(results)
		printSeeds(tw, o, seeds, sum, ms)
	}
	fmt.Fprintf(tw, "\nnorm alone (forward+backward over %d×%d, median of %d): layernorm %.3f ms, rmsnorm %.3f ms (%+.1f%%), prmsnorm %.3f ms (%+.1f%%)\n",
		o.Batch*o.Ctx, o.Dim, 10*rounds, nt[train.NormLayer], nt[train.NormRMS], (nt[train.NormLayer]/nt[train.NormRMS]-1)*100,
		nt[train.NormPRMS], (nt[train.NormLayer]/nt[train.NormPRMS]-1)*100)
	if jsonOut {
		for _, r := range results {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
		for _, r := range sum {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
	}
	if figs != "" {
		note := ""
		if seeds > 1 {
			note = fmt.Sprintf(", mean of %d seeds, band min–max", seeds)
		}
		if err := ablationCharts(figs, note, results, len(vs)); err != nil {
			return err
		}
	}
	return nil
}

// printSeeds prints the mean ± sd table and the differences that matter:
// a difference of means is called larger than the spread when it exceeds
// twice the larger of the two standard deviations.
func printSeeds(w io.Writer, o train.Options, n int, sum []train.SeedSummary, ms []float64) {
	fmt.Fprintf(w, "\n%d seeds (%d…%d): mean ± sample standard deviation\n\n", n, o.Seed, o.Seed+uint64(n)-1)
	fmt.Fprintf(w, "%-20s %10s %20s %20s\n", "configuration", "ms/step", "train loss", "val loss")
	by := map[string]train.SeedSummary{}
	for i, s := range sum {
		by[s.Name] = s
		fmt.Fprintf(w, "%-20s %10.1f %11.4f ± %.4f %11.4f ± %.4f\n", s.Name, ms[i], s.TrainMean, s.TrainSD, s.ValMean, s.ValSD)
	}
	fmt.Fprintf(w, "\nvalidation loss differences (larger than the spread: |Δ| > 2 × the larger sd)\n")
	for _, p := range [][2]string{
		{"rmsnorm+rope", "layernorm+rope"}, {"prmsnorm+rope", "rmsnorm+rope"},
		{"rmsnorm+sinusoidal", "rmsnorm+rope"}, {"rmsnorm+learned", "rmsnorm+rope"}, {"rmsnorm+none", "rmsnorm+rope"},
		{"rmsnorm+learned", "rmsnorm+sinusoidal"}, {"rmsnorm+none", "rmsnorm+learned"},
	} {
		a, okA := by[p[0]]
		b, okB := by[p[1]]
		if !okA || !okB {
			continue
		}
		d, spread := a.ValMean-b.ValMean, max(a.ValSD, b.ValSD)
		verdict := "within the spread"
		if math.Abs(d) > 2*spread {
			verdict = "larger than the spread"
		}
		fmt.Fprintf(w, "  %-20s − %-20s %+8.4f  (sd ≤ %.4f): %s\n", p[0], p[1], d, spread, verdict)
	}
}

func printAblation(w io.Writer, o train.Options, rs []train.AblationResult) {
	fmt.Fprintf(w, "ablation: dim %d, %d layers, %d heads, ctx %d, batch %d, %s MLP, %d steps, seed %d\n\n",
		o.Dim, o.Layers, o.Heads, o.Ctx, o.Batch, o.MLP, o.Steps, o.Seed)
	fmt.Fprintf(w, "%-20s %10s %10s %11s %9s %18s\n", "configuration", "ms/step", "tokens/s", "train loss", "val loss", "speed-up vs LN")
	var ln float64
	for _, r := range rs {
		if r.Norm == train.NormLayer && r.Pos == train.PosRoPE {
			ln = r.MSPerStep
		}
	}
	for _, r := range rs {
		sp := ""
		if r.Pos == train.PosRoPE && ln > 0 {
			sp = fmt.Sprintf("%+.1f%%", (ln/r.MSPerStep-1)*100)
		}
		fmt.Fprintf(w, "%-20s %10.1f %10.0f %11.4f %9.4f %18s\n", r.Name, r.MSPerStep, r.TokensPerSec, r.TrainLoss, r.ValLoss, sp)
	}
}

// ablationCharts draws the loss curves and step times; note is added to
// the curves' titles. rs holds nv configurations per seed, seed after seed
// (rs[k] and rs[k+nv] are the same configuration); with several seeds each
// curve is the mean over the seeds with a band from their minimum to their
// maximum.
func ablationCharts(dir, note string, rs []train.AblationResult, nv int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// smooth is the batch loss under a 20-step moving average.
	smooth := func(losses []float64) []float64 {
		ys := make([]float64, len(losses))
		var run float64
		for i, l := range losses {
			run += l
			if i >= 20 {
				run -= losses[i-20]
			}
			ys[i] = run / float64(min(i+1, 20))
		}
		return ys
	}
	curves := func(keep func(train.AblationResult) bool, title, file string) error {
		var ss []chart.Series
		for i := 0; i < nv; i++ {
			r := rs[i]
			if !keep(r) {
				continue
			}
			s := chart.Series{Name: r.Name, X: make([]float64, len(r.Losses)), Y: smooth(r.Losses)}
			for j := range s.X {
				s.X[j] = float64(j + 1)
			}
			if n := len(rs) / nv; n > 1 {
				s.Lo, s.Hi = slices.Clone(s.Y), slices.Clone(s.Y)
				for k := i + nv; k < len(rs); k += nv {
					ys := smooth(rs[k].Losses)
					for j := range min(len(ys), len(s.Y)) {
						y := ys[j]
						s.Y[j] += y
						s.Lo[j], s.Hi[j] = min(s.Lo[j], y), max(s.Hi[j], y)
					}
				}
				for j := range s.Y {
					s.Y[j] /= float64(n)
				}
			}
			ss = append(ss, s)
		}
		c := chart.Line{Title: title, XLabel: "step", YLabel: "train loss (20-step mean)", Series: ss}
		return c.Save(filepath.Join(dir, file), 0, 0)
	}
	if err := curves(func(r train.AblationResult) bool { return r.Pos == train.PosRoPE }, "Norms (RoPE fixed"+note+")", "ablation-loss-norm.png"); err != nil {
		return err
	}
	if err := curves(func(r train.AblationResult) bool { return r.Norm == train.NormRMS }, "Positions (RMSNorm fixed"+note+")", "ablation-loss-pos.png"); err != nil {
		return err
	}
	b := chart.Bar{Title: "Training step time", YLabel: "ms per step (median)"}
	for _, r := range rs[:nv] {
		b.Labels = append(b.Labels, r.Name)
		b.Values = append(b.Values, r.MSPerStep)
	}
	return b.Save(filepath.Join(dir, "ablation-step-time.png"), 0, 0)
}
