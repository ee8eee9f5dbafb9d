package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmparts/llmparts/internal/chart"
	"github.com/llmparts/llmparts/train"
)

// extrapolationLengths are the evaluation contexts of ablate --extrapolate.
var extrapolationLengths = []int{64, 128, 256, 512, 1024}

// runExtrapolate trains RMSNorm models at o.Ctx with each position
// encoding (RoPE, sinusoidal, learned, ALiBi, none) and evaluates their
// validation loss at longer contexts, the RoPE model also with
// inference-time scaling (linear, NTK-aware, YaRN at 4× and 16×). One JSON
// line per (configuration, evaluation context) with --json.
func runExtrapolate(o train.Options, figs string, jsonOut bool, evalTokens int) error {
	o.EvalEvery = max(1, o.Steps/10)
	o.SaveEvery, o.Norm = 0, train.NormRMS
	fmt.Fprintln(os.Stderr, "loading data...")
	corpus, err := train.LoadCorpus(o.Data)
	if err != nil {
		return err
	}
	var points []train.ExtrapolationPoint
	emit := func(p train.ExtrapolationPoint) {
		points = append(points, p)
		if jsonOut {
			b, _ := json.Marshal(p)
			fmt.Println(string(b))
		} else {
			fmt.Printf("%-22s train ctx %4d  eval ctx %5d  val loss %.4f\n", p.Name, p.TrainCtx, p.EvalCtx, p.ValLoss)
		}
	}
	for _, pos := range []string{train.PosRoPE, train.PosSinusoidal, train.PosLearned, train.PosALiBi, train.PosNone} {
		vo := o
		vo.Pos = pos
		tr, err := train.NewTrainer(vo, corpus)
		if err != nil {
			return err
		}
		name := "rmsnorm+" + pos
		onStep, line := progressPrinter(os.Stderr, name+": ")
		tr.OnStep = onStep
		_, err = tr.Run()
		line.Done()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		scalings := []*train.RoPEScaling{nil}
		if pos == train.PosRoPE {
			for _, kind := range []string{"linear", "ntk", "yarn"} {
				for _, f := range []float64{4, 16} {
					scalings = append(scalings, &train.RoPEScaling{Kind: kind, Factor: f})
				}
			}
		}
		for _, sc := range scalings {
			n := name
			if sc != nil {
				n = fmt.Sprintf("%s+%s%gx", name, sc.Kind, sc.Factor)
			}
			for _, L := range extrapolationLengths {
				m, err := tr.Model.AtContext(L, sc)
				if err != nil {
					return err
				}
				loss, err := m.EvalLoss(tr.Data.Val, evalTokens)
				if err != nil {
					return err
				}
				emit(train.ExtrapolationPoint{Name: n, Pos: pos, TrainCtx: o.Ctx, EvalCtx: L, ValLoss: loss})
			}
		}
	}
	if figs == "" {
		return nil
	}
	if err := os.MkdirAll(figs, 0o755); err != nil {
		return err
	}
	series := map[string]*chart.Series{}
	var order []string
	for _, p := range points {
		s, ok := series[p.Name]
		if !ok {
			s = &chart.Series{Name: strings.TrimPrefix(p.Name, "rmsnorm+")}
			series[p.Name] = s
			order = append(order, p.Name)
		}
		s.X, s.Y = append(s.X, float64(p.EvalCtx)), append(s.Y, p.ValLoss)
	}
	plot := func(file, title string, keep func(string) bool) error {
		c := chart.Line{Title: title, XLabel: "evaluation context (tokens)", YLabel: "validation loss (nats/token)", LogX: true}
		for _, n := range order {
			if keep(n) {
				c.Series = append(c.Series, *series[n])
			}
		}
		return c.Save(filepath.Join(figs, file), 0, 0)
	}
	if err := plot("ablation-extrapolation.png", fmt.Sprintf("Trained at context %d, evaluated longer", o.Ctx),
		func(n string) bool { return strings.Count(n, "+") == 1 }); err != nil {
		return err
	}
	return plot("ablation-extrapolation-rope-scaling.png", fmt.Sprintf("RoPE trained at %d: inference-time scaling", o.Ctx),
		func(n string) bool { return strings.HasPrefix(n, "rmsnorm+rope") })
}
