package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/llmparts/llmparts/internal/chart"
	"github.com/llmparts/llmparts/posenc"
)

// softmax32 returns the softmax of row, computed in float64.
func softmax32(row []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	out := make([]float64, len(row))
	z := 0.0
	for i, v := range row {
		out[i] = math.Exp(float64(v) - mx)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

// alibiChecks measures ALiBi's properties and draws its bias per head and
// its attention-weight factor e^{−m_h·d} beside RoPE's decay bound.
func alibiChecks(dir string) ([]Check, error) {
	const heads = 8
	a, err := posenc.NewALiBi(heads, posenc.DefaultALiBiMaxBias)
	if err != nil {
		return nil, err
	}
	var checks []Check

	// 1. Attention probabilities of a query over its past keys depend on the
	// distances only: the same scores at offset o give the same softmax
	// (float32 scores, bias added by posenc.ALiBi.AddBias).
	r := rand.New(rand.NewPCG(5, 6))
	const L = 64
	scores := randRow(r, L, 1, 0)
	probs := func(h, off int) ([]float64, error) {
		row := append([]float32(nil), scores...)
		if err := a.AddBias(row, h, off+L-1, off); err != nil {
			return nil, err
		}
		return softmax32(row), nil
	}
	worst := 0.0
	for h := 0; h < heads; h++ {
		ref, err := probs(h, 0)
		if err != nil {
			return nil, err
		}
		for _, off := range []int{1000, 100000} {
			p, err := probs(h, off)
			if err != nil {
				return nil, err
			}
			for i := range p {
				worst = math.Max(worst, math.Abs(p[i]-ref[i]))
			}
		}
	}
	checks = append(checks, Check{"ALiBi attention depends on i − j only", "max |p(i+o, j+o) − p(i, j)|, o ≤ 1e5",
		worst, worst <= 1e-6})

	// 2. Hugging Face's BLOOM adds m_h·j instead of m_h·(j − i): a constant
	// per row, so softmax is the same.
	worst = 0.0
	const q = 40
	for h := 0; h < heads; h++ {
		ours := append([]float32(nil), scores[:q+1]...)
		if err := a.AddBias(ours, h, q, 0); err != nil {
			return checks, err
		}
		hf := append([]float32(nil), scores[:q+1]...)
		for j := range hf {
			hf[j] = float32(float64(hf[j]) + a.Slopes[h]*float64(j))
		}
		po, ph := softmax32(ours), softmax32(hf)
		for j := range po {
			worst = math.Max(worst, math.Abs(po[j]-ph[j]))
		}
	}
	checks = append(checks, Check{"ALiBi m·(j − i) and HF's m·j: same attention", "max |Δp|", worst, worst <= 1e-6})

	// 3. With 12 heads the 4 extra slopes are the geometric means of
	// neighbouring 8-head slopes (m_0 = 1): the odd terms of the 16-head
	// sequence.
	a12, err := posenc.NewALiBi(12, posenc.DefaultALiBiMaxBias)
	if err != nil {
		return checks, err
	}
	dev := 0.0
	prev := 1.0
	for k := 0; k < 4; k++ {
		gm := math.Sqrt(prev * a12.Slopes[k])
		dev = math.Max(dev, math.Abs(a12.Slopes[8+k]/gm-1))
		prev = a12.Slopes[k]
	}
	checks = append(checks, Check{"ALiBi 12 heads: extra slopes interleave", "max |m_{8+k}/√(m_{k−1}·m_k) − 1|", dev, dev <= 1e-12})

	// Figure (a): bias vs distance per head.
	var series []chart.Series
	for h := 0; h < heads; h++ {
		var xs, ys []float64
		for d := 0; d <= 32; d++ {
			xs = append(xs, float64(d))
			ys = append(ys, a.Bias(h, d, 0))
		}
		series = append(series, chart.Series{Name: fmt.Sprintf("head %d: m = 1/%g", h+1, 1/a.Slopes[h]), X: xs, Y: ys})
	}
	if err := (chart.Line{
		Title:  "ALiBi: bias m_h·(j − i) added to the score of key j for query i, 8 heads",
		XLabel: "distance i − j", YLabel: "bias",
		Series: series, LegendBottomLeft: true,
	}).Save(filepath.Join(dir, "alibi_bias.png"), 0, 0); err != nil {
		return checks, err
	}

	// Figure (b): the factor e^{−m_h·d} ALiBi puts on a key's attention
	// weight, beside RoPE's decay bound normalised to 1 at distance 0.
	freqs, err := posenc.InvFreqs(10000, 128)
	if err != nil {
		return checks, err
	}
	var ms []float64
	for i := 0; i <= 300; i++ {
		ms = append(ms, math.Pow(10, 4.2*float64(i)/300))
	}
	series = series[:0]
	for _, h := range []int{0, 2, 5, 7} {
		ys := make([]float64, len(ms))
		for i, m := range ms {
			ys[i] = math.Exp(-a.Slopes[h] * m)
		}
		series = append(series, chart.Series{Name: fmt.Sprintf("ALiBi head %d: e^(−d/%g)", h+1, 1/a.Slopes[h]), X: ms, Y: ys})
	}
	b0 := DecayBound(freqs, 0)
	ys := make([]float64, len(ms))
	for i, m := range ms {
		ys[i] = smoothedBound(freqs, m) / b0
	}
	series = append(series, chart.Series{Name: "RoPE d = 128: decay bound / bound(0)", X: ms, Y: ys})
	err = chart.Line{
		Title:  "Distance penalty: ALiBi's weight factor e^(−m_h·d) beside RoPE's decay bound",
		XLabel: "distance d", YLabel: "relative weight", LogX: true,
		Series: series,
	}.Save(filepath.Join(dir, "alibi_vs_rope.png"), 0, 0)
	return checks, err
}
