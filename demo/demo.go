package demo

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/llmparts/llmparts/internal/chart"
	"github.com/llmparts/llmparts/norm"
	"github.com/llmparts/llmparts/posenc"
)

// Check is one measured property.
type Check struct {
	Name     string  // what is checked
	Measured string  // the measured quantity, e.g. "max |f(3.7x) − f(x)|"
	Value    float64 // its value
	Pass     bool
}

// String formats the check as one line: name, measured value, PASS or FAIL.
func (c Check) String() string {
	status := "PASS"
	if !c.Pass {
		status = "FAIL"
	}
	return fmt.Sprintf("%-44s %s = %.3g  %s", c.Name+":", c.Measured, c.Value, status)
}

// Figures lists the PNG files Run writes, in order.
var Figures = []string{"rope_decay.png", "rope_relative.png", "sinusoidal_absolute.png", "alibi_bias.png", "alibi_vs_rope.png", "norm_shift.png", "norm_scale.png", "prmsnorm.png"}

// Run prints every check to w, writes the figures into dir (created if
// needed) and returns the checks. err is non-nil if a figure cannot be
// written or a part reports an error; a failed check is not an error, it
// is a Check with Pass false.
func Run(w io.Writer, dir string) ([]Check, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var all []Check
	for _, step := range []struct {
		title string
		fn    func(dir string) ([]Check, error)
	}{
		{"Normalisation", normChecks},
		{"Rotary position embedding (RoPE)", ropeChecks},
		{"Sinusoidal absolute positions", sinusoidalChecks},
		{"Attention with linear biases (ALiBi)", alibiChecks},
	} {
		fmt.Fprintf(w, "== %s\n", step.title)
		checks, err := step.fn(dir)
		for _, c := range checks {
			fmt.Fprintln(w, c)
		}
		all = append(all, checks...)
		if err != nil {
			return all, fmt.Errorf("demo: %s: %w", step.title, err)
		}
	}
	fmt.Fprintf(w, "== Figures in %s\n", dir)
	for _, f := range Figures {
		fmt.Fprintf(w, "  %s\n", filepath.Join(dir, f))
	}
	return all, nil
}

func randRow(r *rand.Rand, n int, scale, shift float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())*scale + shift
	}
	return x
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if !(d <= m) {
			m = d
		}
	}
	return m
}

func rmsOf(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func apply(l norm.Layer, x []float32) ([]float32, error) {
	y := make([]float32, len(x))
	return y, l.Forward(y, x, nil)
}

// forwardMust applies l and records the first error in *err.
func forwardMust(l norm.Layer, x []float32, err *error) []float32 {
	y, e := apply(l, x)
	if e != nil && *err == nil {
		*err = e
	}
	return y
}

func normChecks(dir string) ([]Check, error) {
	const d = 256
	r := rand.New(rand.NewPCG(1, 2))
	x := randRow(r, d, 1.3, 0.4)
	rms := &norm.RMSNorm{Dim: d}
	ln := &norm.LayerNorm{Dim: d}
	var err error
	add := func(v []float32, a, c float32) []float32 {
		out := make([]float32, len(v))
		for i := range v {
			out[i] = a*v[i] + c
		}
		return out
	}
	y := forwardMust(rms, x, &err)
	var checks []Check

	v := maxAbsDiff(forwardMust(rms, add(x, 3.7, 0), &err), y)
	checks = append(checks, Check{"RMSNorm re-scaling invariance", "max |f(3.7x) − f(x)|", v, v <= 1e-6})

	neg := forwardMust(rms, add(x, -1, 0), &err)
	v = maxAbsDiff(add(neg, -1, 0), y)
	checks = append(checks, Check{"RMSNorm is odd", "max |f(−x) + f(x)|", v, v == 0})

	v = math.Abs(rmsOf(y) - 1)
	checks = append(checks, Check{"RMSNorm output has unit RMS", "|rms(f(x)) − 1|", v, v <= 1e-6})

	pub := []float64{0.365148347, 0.730296695, 1.095445042, 1.460593389}
	y4 := forwardMust(&norm.RMSNorm{Dim: 4, Eps: 1e-6}, []float32{1, 2, 3, 4}, &err)
	v = 0
	for i := range pub {
		v = math.Max(v, math.Abs(float64(y4[i])-pub[i]))
	}
	checks = append(checks, Check{"RMSNorm([1 2 3 4]), eps 1e-6", "max |y − published|", v, v <= 1e-7})

	yl := forwardMust(ln, x, &err)
	v = maxAbsDiff(forwardMust(ln, add(x, 1, 5), &err), yl)
	checks = append(checks, Check{"LayerNorm shift invariance", "max |g(x+5) − g(x)|", v, v <= 1e-5})

	v = maxAbsDiff(forwardMust(rms, add(x, 1, 5), &err), y)
	checks = append(checks, Check{"RMSNorm is NOT shift invariant", "max |f(x+5) − f(x)|", v, v >= 0.1})

	centred := add(x, 1, -float32(mean(x)))
	v = maxAbsDiff(forwardMust(rms, centred, &err), forwardMust(ln, centred, &err))
	checks = append(checks, Check{"RMSNorm = LayerNorm on zero-mean rows", "max |f(x) − g(x)|", v, v <= 1e-5})

	fast := &norm.RMSNorm{Dim: d, Eps: 1e-6, Arith: norm.ArithFast}
	exact := &norm.RMSNorm{Dim: d, Eps: 1e-6}
	v = maxAbsDiff(forwardMust(fast, x, &err), forwardMust(exact, x, &err))
	checks = append(checks, Check{"RMSNorm SIMD kernels vs exact path", "max |f_fast(x) − f(x)|", v, v <= 1e-5})

	zero := forwardMust(rms, make([]float32, d), &err)
	v = maxAbsDiff(zero, make([]float32, d))
	checks = append(checks, Check{"RMSNorm of a zero row, eps 0", "max |f(0)|", v, v == 0})

	for _, l := range []struct {
		name string
		ref  interface {
			Forward64(y, x, stats []float64) error
			Backward64(dx, dw, db, dy, x, stats []float64) error
		}
	}{
		{"RMSNorm backward vs finite differences", &norm.RMSNorm{Dim: 16, Eps: 1e-6, P: 0.5}},
		{"LayerNorm backward vs finite differences", &norm.LayerNorm{Dim: 16, Eps: 1e-5}},
	} {
		e, ferr := fdError(l.ref, r)
		if ferr != nil && err == nil {
			err = ferr
		}
		checks = append(checks, Check{l.name, "max relative error", e, e <= 1e-6})
	}
	if err != nil {
		return checks, err
	}
	return checks, errors.Join(normFigures(dir, x), prmsFigure(dir))
}

func mean(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}

// fdError returns the largest relative error between Backward64's dx and
// central differences of L = Σ dy·y.
func fdError(l interface {
	Forward64(y, x, stats []float64) error
	Backward64(dx, dw, db, dy, x, stats []float64) error
}, r *rand.Rand) (float64, error) {
	const d = 16
	x, dy := make([]float64, d), make([]float64, d)
	for i := range x {
		x[i], dy[i] = r.NormFloat64(), r.NormFloat64()
	}
	dx := make([]float64, d)
	if err := l.Backward64(dx, nil, nil, dy, x, nil); err != nil {
		return 0, err
	}
	y := make([]float64, d)
	loss := func() float64 {
		_ = l.Forward64(y, x, nil)
		s := 0.0
		for i := range y {
			s += dy[i] * y[i]
		}
		return s
	}
	worst := 0.0
	const h = 1e-6
	for i := range x {
		old := x[i]
		x[i] = old + h
		lp := loss()
		x[i] = old - h
		lm := loss()
		x[i] = old
		g := (lp - lm) / (2 * h)
		worst = math.Max(worst, math.Abs(g-dx[i])/(1+math.Abs(g)))
	}
	return worst, nil
}

// normFigures plots how far each norm's output moves when the input is
// shifted by c (norm_shift.png) and the output RMS as the input is scaled
// by a with eps = 1e-5 (norm_scale.png).
func normFigures(dir string, x []float32) error {
	d := len(x)
	rms := &norm.RMSNorm{Dim: d, Eps: 1e-5}
	ln := &norm.LayerNorm{Dim: d, Eps: 1e-5}
	var err error
	yr, yl := forwardMust(rms, x, &err), forwardMust(ln, x, &err)
	var cs, dr, dl []float64
	for i := 0; i <= 200; i++ {
		c := -10 + 0.1*float64(i)
		xs := make([]float32, d)
		for j := range x {
			xs[j] = x[j] + float32(c)
		}
		cs = append(cs, c)
		diff := func(a, b []float32) float64 {
			s := 0.0
			for j := range a {
				e := float64(a[j]) - float64(b[j])
				s += e * e
			}
			return math.Sqrt(s / float64(d))
		}
		dr = append(dr, diff(forwardMust(rms, xs, &err), yr))
		dl = append(dl, diff(forwardMust(ln, xs, &err), yl))
	}
	if err != nil {
		return err
	}
	if err := (chart.Line{
		Title:  fmt.Sprintf("Shifting the input: x + c (d = %d, x ~ N(0.4, 1.3²))", d),
		XLabel: "shift c", YLabel: "rms(f(x + c) − f(x))",
		Series: []chart.Series{{Name: "RMSNorm", X: cs, Y: dr}, {Name: "LayerNorm", X: cs, Y: dl}},
	}).Save(filepath.Join(dir, "norm_shift.png"), 0, 0); err != nil {
		return err
	}
	var as, or, ol []float64
	for i := 0; i <= 160; i++ {
		a := math.Pow(10, -6+0.05*float64(i))
		xs := make([]float32, d)
		for j := range x {
			xs[j] = x[j] * float32(a)
		}
		as = append(as, a)
		or = append(or, rmsOf(forwardMust(rms, xs, &err)))
		ol = append(ol, rmsOf(forwardMust(ln, xs, &err)))
	}
	if err != nil {
		return err
	}
	return chart.Line{
		Title:  "Scaling the input: a·x, eps = 1e-5 (invariant until eps dominates)",
		XLabel: "scale a", YLabel: "rms(f(a·x))", LogX: true,
		Series: []chart.Series{{Name: "RMSNorm", X: as, Y: or}, {Name: "LayerNorm", X: as, Y: ol}},
	}.Save(filepath.Join(dir, "norm_scale.png"), 0, 0)
}

// prmsFigure plots how far pRMSNorm's output is from RMSNorm's as the
// fraction p of the row used to estimate the RMS grows (prmsnorm.png).
func prmsFigure(dir string) error {
	const d, rows = 512, 64
	r := rand.New(rand.NewPCG(9, 9))
	x := randRow(r, d*rows, 1, 0)
	full := &norm.RMSNorm{Dim: d}
	yf := make([]float32, len(x))
	if err := full.Forward(yf, x, nil); err != nil {
		return err
	}
	var ps, errs []float64
	for _, p := range []float64{0.01, 0.02, 0.03, 0.0625, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1} {
		pl := &norm.RMSNorm{Dim: d, P: p}
		y := make([]float32, len(x))
		if err := pl.Forward(y, x, nil); err != nil {
			return err
		}
		s := 0.0
		for i := range y {
			e := float64(y[i]) - float64(yf[i])
			s += e * e
		}
		ps = append(ps, p)
		errs = append(errs, math.Sqrt(s/float64(len(y))))
	}
	return chart.Line{
		Title:  "pRMSNorm: RMS from the first floor(d·p) elements (d = 512, x ~ N(0, 1))",
		XLabel: "p", YLabel: "rms(pRMSNorm(x) − RMSNorm(x))",
		Series: []chart.Series{{Name: "pRMSNorm vs RMSNorm", X: ps, Y: errs}},
	}.Save(filepath.Join(dir, "prmsnorm.png"), 0, 0)
}

// DecayBound returns RoFormer's relative upper bound on |<R_m q, k>| for
// relative distance m: (1/(d/2))·Σ_{j=1}^{d/2} |S_j|, with
// S_j = Σ_{k=0}^{j−1} e^{i·m·θ_k} and invFreq = θ (length d/2).
func DecayBound(invFreq []float64, m float64) float64 {
	var s complex128
	total := 0.0
	for _, th := range invFreq {
		sn, c := math.Sincos(m * th)
		s += complex(c, sn)
		total += cmplx.Abs(s)
	}
	return total / float64(len(invFreq))
}

// smoothedBound averages DecayBound over 41 points of [0.9m, 1.1m], so the
// figure shows the trend rather than the fast oscillation of the bound.
func smoothedBound(invFreq []float64, m float64) float64 {
	const n = 40
	s := 0.0
	for i := 0; i <= n; i++ {
		s += DecayBound(invFreq, m*(0.9+0.2*float64(i)/n))
	}
	return s / (n + 1)
}

// scaledFreqs returns the inverse frequencies of the RoPE variants the
// decay figure compares, all for head dimension d and base 10000.
func scaledFreqs(d int) ([]string, [][]float64, error) {
	const base = 10000.0
	f64 := func(v float64) *float64 { return &v }
	plain, err := posenc.InvFreqs(base, d)
	if err != nil {
		return nil, nil, err
	}
	// Static NTK-aware scaling for α = 4: base · α^(d/(d−2)).
	ntk, err := posenc.InvFreqs(base*math.Pow(4, float64(d)/float64(d-2)), d)
	if err != nil {
		return nil, nil, err
	}
	names := []string{"RoPE (θ = 10000)", "NTK-aware α = 4"}
	freqs := [][]float64{plain, ntk}
	for _, c := range []struct {
		name string
		cfg  posenc.HFConfig
	}{
		{"linear ×4", posenc.HFConfig{HeadDim: d, RopeTheta: f64(base),
			RopeScaling: &posenc.HFRopeScaling{Type: "linear", Factor: f64(4)}}},
		{"YaRN ×4 (from 4096)", posenc.HFConfig{HeadDim: d, RopeTheta: f64(base), MaxPositionEmbeddings: 4096,
			RopeScaling: &posenc.HFRopeScaling{Type: "yarn", Factor: f64(4)}}},
		{"Llama 3 ×8 (from 8192)", posenc.HFConfig{HeadDim: d, RopeTheta: f64(base),
			RopeScaling: &posenc.HFRopeScaling{Type: "llama3", Factor: f64(8), LowFreqFactor: f64(1),
				HighFreqFactor: f64(4), OriginalMaxPositionEmbeddings: f64(8192)}}},
	} {
		f, _, err := c.cfg.InvFreq(0)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.name, err)
		}
		names = append(names, c.name)
		freqs = append(freqs, f)
	}
	return names, freqs, nil
}

func ropeChecks(dir string) ([]Check, error) {
	const d = 128
	var checks []Check
	names, freqs, err := scaledFreqs(d)
	if err != nil {
		return nil, err
	}
	// Figure (a): the decay bound against relative distance, log-x.
	var series []chart.Series
	var ms []float64
	for i := 0; i <= 300; i++ {
		ms = append(ms, math.Pow(10, 4.2*float64(i)/300)) // 1 … ~16000
	}
	for k, f := range freqs {
		ys := make([]float64, len(ms))
		for i, m := range ms {
			ys[i] = smoothedBound(f, m)
		}
		series = append(series, chart.Series{Name: names[k], X: ms, Y: ys})
	}
	// The raw bound, averaged over every integer distance in a band.
	band := func(lo, hi int) float64 {
		s := 0.0
		for m := lo; m <= hi; m++ {
			s += DecayBound(freqs[0], float64(m))
		}
		return s / float64(hi-lo+1)
	}
	near, far := band(1, 10), band(1000, 4000)
	checks = append(checks, Check{"RoPE long-term decay (d = 128)", "mean bound m∈[1000,4000] / m∈[1,10]",
		far / near, far/near < 0.5})
	// Linear ×4 divides every θ by 4, so its bound at 4m is the plain
	// bound at m: the decay curve is stretched along m.
	v := 0.0
	for _, m := range []float64{3, 50, 700} {
		v = math.Max(v, math.Abs(DecayBound(freqs[2], 4*m)-DecayBound(freqs[0], m)))
	}
	checks = append(checks, Check{"Linear ×4 stretches the decay ×4", "max |B_lin(4m) − B(m)|", v, v <= 1e-9})
	if err := (chart.Line{
		Title:  "RoPE long-term decay: (1/(d/2))·Σ|S_j|, d = 128, mean over m·[0.9, 1.1]",
		XLabel: "relative distance m", YLabel: "relative upper bound", LogX: true,
		Series: series,
	}).Save(filepath.Join(dir, "rope_decay.png"), 0, 0); err != nil {
		return checks, err
	}

	// Figure (b) and the relative-position check with posenc.RoPE in float32.
	const hd = 64
	rope, err := posenc.NewRoPE(hd, 0, 10000, posenc.HalfSplit)
	if err != nil {
		return checks, err
	}
	r := rand.New(rand.NewPCG(3, 4))
	q, k := randRow(r, hd, 1, 0), randRow(r, hd, 1, 0)
	score := func(m, n int) (float64, error) {
		qm, kn := append([]float32(nil), q...), append([]float32(nil), k...)
		if err := rope.Apply(qm, 1, 1, []int{m}); err != nil {
			return 0, err
		}
		if err := rope.Apply(kn, 1, 1, []int{n}); err != nil {
			return 0, err
		}
		s := 0.0
		for i := range qm {
			s += float64(qm[i]) * float64(kn[i])
		}
		return s, nil
	}
	var rel []chart.Series
	worst, scale := 0.0, 0.0
	var base []float64
	for _, off := range []int{0, 100, 1000, 10000} {
		var xs, ys []float64
		for delta := 0; delta <= 256; delta++ {
			s, err := score(off+delta, off)
			if err != nil {
				return checks, err
			}
			xs = append(xs, float64(delta))
			ys = append(ys, s)
		}
		if base == nil {
			base = ys
			for _, v := range ys {
				scale = math.Max(scale, math.Abs(v))
			}
		}
		for i := range ys {
			worst = math.Max(worst, math.Abs(ys[i]-base[i]))
		}
		rel = append(rel, chart.Series{Name: fmt.Sprintf("n = %d", off), X: xs, Y: ys})
	}
	checks = append(checks, Check{"RoPE score depends on m − n only", "max |s(m+o, n+o) − s(m, n)| / max|s|",
		worst / scale, worst/scale <= 1e-5})
	qr := append([]float32(nil), q...)
	if err := rope.Apply(qr, 1, 1, []int{12345}); err != nil {
		return checks, err
	}
	v = math.Abs(rmsOf(qr)/rmsOf(q) - 1)
	checks = append(checks, Check{"RoPE preserves the norm", "| |R_m q|/|q| − 1 |", v, v <= 1e-6})
	if err := (chart.Line{
		Title:  "RoPE: <R_m q, R_n k> vs m − n at four offsets n (curves overlap)",
		XLabel: "relative position m − n", YLabel: "attention score",
		Series: rel,
	}).Save(filepath.Join(dir, "rope_relative.png"), 0, 0); err != nil {
		return checks, err
	}
	return checks, nil
}

func sinusoidalChecks(dir string) ([]Check, error) {
	const d = 128
	s := posenc.Sinusoidal{Dim: d}
	row := func(p int) ([]float32, error) {
		v := make([]float32, d)
		return v, s.Row(p, v)
	}
	dotAt := func(p, q int) (float64, error) {
		a, err := row(p)
		if err != nil {
			return 0, err
		}
		b, err := row(q)
		if err != nil {
			return 0, err
		}
		t := 0.0
		for i := range a {
			t += float64(a[i]) * float64(b[i])
		}
		return t, nil
	}
	worst := 0.0
	for _, k := range []int{1, 7, 50} {
		ref, err := dotAt(0, k)
		if err != nil {
			return nil, err
		}
		for _, p := range []int{3, 100, 2000} {
			v, err := dotAt(p, p+k)
			if err != nil {
				return nil, err
			}
			worst = math.Max(worst, math.Abs(v-ref))
		}
	}
	checks := []Check{{"Sinusoidal PE(p)·PE(p+k) depends on k only", "max deviation (d = 128)", worst, worst <= 1e-4}}

	// Added to the content, the encoding makes scores depend on absolute
	// positions: (q + PE(m))·(k + PE(n)) for the same m − n at several n.
	const hd = 64
	sp := posenc.Sinusoidal{Dim: hd}
	r := rand.New(rand.NewPCG(3, 4))
	q, k := randRow(r, hd, 1, 0), randRow(r, hd, 1, 0)
	var series []chart.Series
	spread := 0.0
	var first []float64
	for _, off := range []int{0, 100, 1000, 10000} {
		var xs, ys []float64
		for delta := 0; delta <= 256; delta++ {
			pm, pn := make([]float32, hd), make([]float32, hd)
			if err := sp.Row(off+delta, pm); err != nil {
				return checks, err
			}
			if err := sp.Row(off, pn); err != nil {
				return checks, err
			}
			v := 0.0
			for i := range pm {
				v += (float64(q[i]) + float64(pm[i])) * (float64(k[i]) + float64(pn[i]))
			}
			xs, ys = append(xs, float64(delta)), append(ys, v)
		}
		if first == nil {
			first = ys
		}
		for i := range ys {
			spread = math.Max(spread, math.Abs(ys[i]-first[i]))
		}
		series = append(series, chart.Series{Name: fmt.Sprintf("n = %d", off), X: xs, Y: ys})
	}
	checks = append(checks, Check{"Added sinusoidal PE: score depends on n too", "max |s(m+o, n+o) − s(m, n)|", spread, spread > 1})
	err := chart.Line{
		Title:  "Sinusoidal PE added: (q + PE(m))·(k + PE(n)) vs m − n (curves differ)",
		XLabel: "relative position m − n", YLabel: "attention score",
		Series: series,
	}.Save(filepath.Join(dir, "sinusoidal_absolute.png"), 0, 0)
	return checks, err
}
