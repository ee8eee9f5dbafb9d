package train

import (
	"fmt"

	"github.com/llmparts/llmparts/internal/chart"
)

// plot draws the training loss (and validation points) of the run so far.
func (tr *Trainer) plot(path string) error {
	xs := make([]float64, len(tr.State.Losses))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	series := []chart.Series{{Name: "train", X: xs, Y: tr.State.Losses}}
	if len(tr.State.Val) > 0 {
		var vx, vy []float64
		for _, v := range tr.State.Val {
			vx = append(vx, float64(v.Step))
			vy = append(vy, v.Loss)
		}
		series = append(series, chart.Series{Name: "validation", X: vx, Y: vy})
	}
	c := chart.Line{Title: "llmparts train", XLabel: "step", YLabel: "cross-entropy (nats/token)", Series: series}
	if err := c.Save(path, 0, 0); err != nil {
		return fmt.Errorf("train: loss chart: %w", err)
	}
	return nil
}
