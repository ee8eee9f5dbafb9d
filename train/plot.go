package train

import (
	"fmt"
	"path/filepath"

	"github.com/llmparts/llmparts/internal/chart"
)

// smoothWindow returns the width of the moving average over n steps:
// about 4 % of the run, odd, at least 5 (1 for tiny runs).
func smoothWindow(n int) int {
	w := max(5, n/25) | 1
	return min(w, max(1, n|1))
}

// smooth returns the centred moving average of ys over w points (odd):
// out_i is the mean of ys[i−w/2 … i+w/2], the window cut at the ends. A
// centred mean does not lag behind a falling loss as an exponential one
// does.
func smooth(ys []float64, w int) []float64 {
	out := make([]float64, len(ys))
	pre := make([]float64, len(ys)+1)
	for i, y := range ys {
		pre[i+1] = pre[i] + y
	}
	for i := range ys {
		lo, hi := max(0, i-w/2), min(len(ys), i+w/2+1)
		out[i] = (pre[hi] - pre[lo]) / float64(hi-lo)
	}
	return out
}

// title says what was trained: the variant, the shape, the vocabulary and
// the data.
func (tr *Trainer) title() string {
	c := tr.Model.Config
	data := "Go standard library"
	if tr.Opt.Data != "" {
		data = filepath.Base(tr.Opt.Data)
	}
	return fmt.Sprintf("%s + %s + %s, d%d L%d H%d ctx %d, %s vocab %d, %s",
		c.Norm, c.Pos, c.MLP, c.Dim, c.Layers, c.Heads, c.Ctx, tr.Tok.Kind(), c.Vocab, data)
}

// plot draws the training loss per step, its smoothed curve and the
// validation points of the run so far.
func (tr *Trainer) plot(path string) error {
	xs := make([]float64, len(tr.State.Losses))
	w := smoothWindow(len(xs))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	series := []chart.Series{
		{Name: "train (per step)", X: xs, Y: tr.State.Losses},
		{Name: fmt.Sprintf("train (mean of %d steps)", w), X: xs, Y: smooth(tr.State.Losses, w)},
	}
	if len(tr.State.Val) > 0 {
		var vx, vy []float64
		for _, v := range tr.State.Val {
			vx = append(vx, float64(v.Step))
			vy = append(vy, v.Loss)
		}
		series = append(series, chart.Series{Name: "validation", X: vx, Y: vy})
	}
	c := chart.Line{Title: tr.title(), XLabel: "step", YLabel: "cross-entropy (nats/token)", Series: series}
	if err := c.Save(path, 0, 0); err != nil {
		return fmt.Errorf("train: loss chart: %w", err)
	}
	return nil
}
