package norm

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

type goldenCase struct {
	Kind         string    `json:"kind"`
	D            int       `json:"d"`
	Rows         int       `json:"rows"`
	Eps          float64   `json:"eps"`
	EpsOutside   bool      `json:"eps_outside"`
	WeightOffset float32   `json:"weight_offset"`
	P            float64   `json:"p"`
	X            []float64 `json:"x"`
	Weight       []float64 `json:"weight"`
	Bias         []float64 `json:"bias"`
	DY           []float64 `json:"dy"`
	Y            []float64 `json:"y"`
	DX           []float64 `json:"dx"`
	DWeight      []float64 `json:"dweight"`
	DBias        []float64 `json:"dbias"`
}

func f32s(v []float64) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

// layer32 and layer64 build the layer under test for a golden case.
func (c *goldenCase) layer() (Layer, func(y, x, s []float64) error, func(dx, dw, db, dy, x, s []float64) error) {
	if c.Kind == "rms_norm" {
		n := &RMSNorm{Dim: c.D, Weight: f32s(c.Weight), Bias: f32s(c.Bias), Eps: c.Eps,
			EpsOutside: c.EpsOutside, WeightOffset: c.WeightOffset, P: c.P}
		return n, n.Forward64, n.Backward64
	}
	n := &LayerNorm{Dim: c.D, Weight: f32s(c.Weight), Bias: f32s(c.Bias), Eps: c.Eps}
	return n, n.Forward64, n.Backward64
}

// close32 reports whether got is within tol·(1+|want|) of want.
func within(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

func checkVec[T float32 | float64](t *testing.T, name string, got []T, want []float64, tol float64) {
	t.Helper()
	if want == nil {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	worst, at := 0.0, -1
	for i := range want {
		e := math.Abs(float64(got[i])-want[i]) / (1 + math.Abs(want[i]))
		if !(e <= worst) {
			worst, at = e, i
		}
	}
	if worst > tol || math.IsNaN(worst) {
		t.Errorf("%s[%d] = %v, want %v (scaled error %.3g > %.3g)", name, at, got[at], want[at], worst, tol)
	}
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 20 {
		t.Fatalf("golden.json has %d cases", len(g.Cases))
	}
	return g.Cases
}

// TestGolden compares float32 and float64 paths with PyTorch float64
// forward outputs and autograd gradients (testdata/gen_golden.py).
func TestGolden(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(c.Kind, func(t *testing.T) {
			l, f64, b64 := c.layer()
			t.Logf("d=%d rows=%d eps=%g outside=%v offset=%g p=%g", c.D, c.Rows, c.Eps, c.EpsOutside, c.WeightOffset, c.P)
			x, dy := f32s(c.X), f32s(c.DY)
			y := make([]float32, len(x))
			stats := make([]float32, c.Rows*l.StatsPerRow())
			if err := l.Forward(y, x, stats); err != nil {
				t.Fatal(err)
			}
			checkVec(t, "y", y, c.Y, 1e-6)
			dx := make([]float32, len(x))
			dw := make([]float32, c.D)
			db := make([]float32, c.D)
			if err := l.Backward(dx, dw, db, dy, x, stats); err != nil {
				t.Fatal(err)
			}
			checkVec(t, "dx", dx, c.DX, 1e-5)
			checkVec(t, "dweight", dw, c.DWeight, 1e-5)
			checkVec(t, "dbias", db, c.DBias, 1e-5)

			y64 := make([]float64, len(x))
			if err := f64(y64, c.X, nil); err != nil {
				t.Fatal(err)
			}
			checkVec(t, "y64", y64, c.Y, 1e-12)
			dx64 := make([]float64, len(x))
			dw64 := make([]float64, c.D)
			db64 := make([]float64, c.D)
			if err := b64(dx64, dw64, db64, c.DY, c.X, nil); err != nil {
				t.Fatal(err)
			}
			checkVec(t, "dx64", dx64, c.DX, 1e-10)
			checkVec(t, "dweight64", dw64, c.DWeight, 1e-10)
			checkVec(t, "dbias64", db64, c.DBias, 1e-10)
		})
	}
}

func TestPublishedValue(t *testing.T) {
	want := []float64{0.365148347, 0.730296695, 1.095445042, 1.460593389}
	n := &RMSNorm{Dim: 4, Eps: 1e-6}
	y := make([]float32, 4)
	if err := n.Forward(y, []float32{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(y[i])-want[i]) > 1e-7 {
			t.Errorf("y[%d] = %.9f, want %.9f", i, y[i], want[i])
		}
	}
	y64 := make([]float64, 4)
	if err := n.Forward64(y64, []float64{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(y64[i]-want[i]) > 1e-9 {
			t.Errorf("y64[%d] = %.10f, want %.9f", i, y64[i], want[i])
		}
	}
}

func randVec(r *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float32(r.NormFloat64() * scale))
	}
	return v
}

// configs are the layers exercised by the randomized tests.
func configs(r *rand.Rand, d int) map[string]Layer {
	w := f32s(randVec(r, d, 0.3))
	for i := range w {
		w[i] += 1
	}
	b := f32s(randVec(r, d, 0.1))
	return map[string]Layer{
		"rms":             &RMSNorm{Dim: d, Eps: 1e-5},
		"rms_weight":      &RMSNorm{Dim: d, Weight: w, Eps: 1e-6},
		"rms_outside":     &RMSNorm{Dim: d, Weight: w, Eps: 1e-2, EpsOutside: true},
		"rms_gemma":       &RMSNorm{Dim: d, Weight: b, Eps: 1e-6, WeightOffset: 1},
		"rms_bias":        &RMSNorm{Dim: d, Weight: w, Bias: b, Eps: 1e-6},
		"prms_0.25":       &RMSNorm{Dim: d, Weight: w, Eps: 1e-6, P: 0.25},
		"prms_0.6_out":    &RMSNorm{Dim: d, Weight: w, Eps: 1e-3, P: 0.6, EpsOutside: true},
		"layer":           &LayerNorm{Dim: d, Eps: 1e-5},
		"layer_weight":    &LayerNorm{Dim: d, Weight: w, Bias: b, Eps: 1e-5},
		"layer_tiny_eps":  &LayerNorm{Dim: d, Weight: w, Eps: 1e-12},
		"rms_weight_eps0": &RMSNorm{Dim: d, Weight: w},
	}
}

type ref64 interface {
	Forward64(y, x, stats []float64) error
	Backward64(dx, dw, db, dy, x, stats []float64) error
}

// TestFiniteDifferences checks the float64 Backward against central
// differences of L = Σ dy·y with respect to x, weight and bias.
func TestFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const rows = 2
	for _, d := range []int{1, 2, 5, 8, 13} {
		for name, l := range configs(r, d) {
			n := l.(ref64)
			x, dy := randVec(r, rows*d, 1), randVec(r, rows*d, 1)
			loss := func() float64 {
				y := make([]float64, len(x))
				if err := n.Forward64(y, x, nil); err != nil {
					t.Fatal(err)
				}
				s := 0.0
				for i := range y {
					s += dy[i] * y[i]
				}
				return s
			}
			dx, dw, db := make([]float64, len(x)), make([]float64, d), make([]float64, d)
			if err := n.Backward64(dx, dw, db, dy, x, nil); err != nil {
				t.Fatal(err)
			}
			const h = 1e-6
			numeric := func(p *float64) float64 {
				old := *p
				*p = old + h
				lp := loss()
				*p = old - h
				lm := loss()
				*p = old
				return (lp - lm) / (2 * h)
			}
			for i := range x {
				if g := numeric(&x[i]); !within(dx[i], g, 1e-5) {
					t.Errorf("%s d=%d: dx[%d] = %.9g, finite difference %.9g", name, d, i, dx[i], g)
				}
			}
			// Parameters live in float32 slices; perturb through float64
			// copies by rebuilding the layer's view of them.
			var weight, bias []float32
			switch v := l.(type) {
			case *RMSNorm:
				weight, bias = v.Weight, v.Bias
			case *LayerNorm:
				weight, bias = v.Weight, v.Bias
			}
			// Loss is linear in bias and in weight, so a float32 step of
			// about 2^-10 (divided by the step actually taken after
			// rounding) gives an exact-enough difference quotient.
			const hw = 1.0 / 1024
			for _, pv := range []struct {
				name string
				p    []float32
				g    []float64
			}{{"dweight", weight, dw}, {"dbias", bias, db}} {
				for i := range pv.p {
					old := pv.p[i]
					pv.p[i] = old + hw
					lp, hi := loss(), float64(pv.p[i])
					pv.p[i] = old - hw
					lm, lo := loss(), float64(pv.p[i])
					pv.p[i] = old
					if g := (lp - lm) / (hi - lo); !within(pv.g[i], g, 1e-6) {
						t.Errorf("%s d=%d: %s[%d] = %.9g, finite difference %.9g", name, d, pv.name, i, pv.g[i], g)
					}
				}
			}
		}
	}
}

// TestFloat32MatchesReference runs the float32 fast path against the
// float64 reference, with stats kept and recomputed, and checks that
// dWeight and dBias accumulate.
func TestFloat32MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{1, 3, 4, 7, 64, 129} {
		for name, l := range configs(r, d) {
			n := l.(ref64)
			const rows = 3
			x, dy := randVec(r, rows*d, 2), randVec(r, rows*d, 1)
			y64 := make([]float64, len(x))
			dx64, dw64, db64 := make([]float64, len(x)), make([]float64, d), make([]float64, d)
			if err := n.Forward64(y64, x, nil); err != nil {
				t.Fatal(err)
			}
			if err := n.Backward64(dx64, dw64, db64, dy, x, nil); err != nil {
				t.Fatal(err)
			}
			x32, dy32 := f32s(x), f32s(dy)
			y := make([]float32, len(x))
			stats := make([]float32, rows*l.StatsPerRow())
			if err := l.Forward(y, x32, stats); err != nil {
				t.Fatal(err)
			}
			checkVec(t, name+" y", y, y64, 1e-6)
			for _, st := range [][]float32{stats, nil} {
				dx, dw, db := make([]float32, len(x)), make([]float32, d), make([]float32, d)
				for rep := 0; rep < 2; rep++ { // dw, db accumulate: twice the gradient
					if err := l.Backward(dx, dw, db, dy32, x32, st); err != nil {
						t.Fatal(err)
					}
				}
				checkVec(t, name+" dx", dx, dx64, 1e-5)
				for i := range dw {
					if !within(float64(dw[i]), 2*dw64[i], 1e-5) || !within(float64(db[i]), 2*db64[i], 1e-5) {
						t.Fatalf("%s: after two calls dw[%d]=%g db[%d]=%g, want %g, %g", name, i, dw[i], i, db[i], 2*dw64[i], 2*db64[i])
					}
				}
			}
			// In place: y may be x, dx may be dy.
			xc, dyc := append([]float32(nil), x32...), append([]float32(nil), dy32...)
			if err := l.Forward(xc, xc, nil); err != nil {
				t.Fatal(err)
			}
			checkVec(t, name+" in-place y", xc, y64, 1e-6)
			if err := l.Backward(dyc, nil, nil, dyc, x32, nil); err != nil {
				t.Fatal(err)
			}
			checkVec(t, name+" in-place dx", dyc, dx64, 1e-5)
		}
	}
}

func forward(t *testing.T, l Layer, x []float32) []float32 {
	t.Helper()
	y := make([]float32, len(x))
	if err := l.Forward(y, x, nil); err != nil {
		t.Fatal(err)
	}
	return y
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		if d := math.Abs(float64(a[i]) - float64(b[i])); !(d <= m) {
			m = d
		}
	}
	return m
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const d = 64
	x := f32s(randVec(r, 2*d, 1.5))
	rms := &RMSNorm{Dim: d}
	ln := &LayerNorm{Dim: d}
	scaled, neg, shifted := make([]float32, len(x)), make([]float32, len(x)), make([]float32, len(x))
	for i, v := range x {
		scaled[i], neg[i], shifted[i] = 3.7*v, -v, v+5
	}
	y := forward(t, rms, x)

	if m := maxAbsDiff(forward(t, rms, scaled), y); m > 1e-6 {
		t.Errorf("RMSNorm scale invariance: max |f(3.7x) − f(x)| = %g", m)
	}
	yn := forward(t, rms, neg)
	for i := range yn {
		yn[i] = -yn[i]
	}
	if m := maxAbsDiff(yn, y); m != 0 {
		t.Errorf("RMSNorm oddness: max |f(−x) + f(x)| = %g", m)
	}
	for row := 0; row < 2; row++ {
		ms := 0.0
		for _, v := range y[row*d : (row+1)*d] {
			ms += float64(v) * float64(v)
		}
		if ms /= d; math.Abs(ms-1) > 1e-6 {
			t.Errorf("RMSNorm row %d: mean(y²) = %.9f, want 1", row, ms)
		}
	}
	// Equal to LayerNorm on zero-mean rows.
	centred := append([]float32(nil), x...)
	for row := 0; row < 2; row++ {
		rr := centred[row*d : (row+1)*d]
		m := float32(sum(rr) / d)
		for i := range rr {
			rr[i] -= m
		}
	}
	if m := maxAbsDiff(forward(t, rms, centred), forward(t, ln, centred)); m > 1e-5 {
		t.Errorf("RMSNorm vs LayerNorm on zero-mean rows: max diff %g", m)
	}
	// LayerNorm is shift invariant, RMSNorm is not.
	if m := maxAbsDiff(forward(t, ln, shifted), forward(t, ln, x)); m > 1e-5 {
		t.Errorf("LayerNorm shift invariance: max diff %g", m)
	}
	if m := maxAbsDiff(forward(t, rms, shifted), y); m < 0.1 {
		t.Errorf("RMSNorm should change under a shift of 5, max diff only %g", m)
	}
	// LayerNorm output: mean 0, variance 1.
	yl := forward(t, ln, x)
	mean, variance := meanVar(yl[:d])
	if math.Abs(mean) > 1e-6 || math.Abs(variance-1) > 1e-5 {
		t.Errorf("LayerNorm output mean %g, variance %g", mean, variance)
	}
}

// TestBackwardClosedForms checks gradient identities that follow from the
// invariances: RMSNorm (eps 0) is scale invariant, so Σ x·dx = 0; LayerNorm
// is shift and scale invariant, so Σ dx = 0 and Σ x·dx = 0; and with
// dy = y, L = ½|y|² = d/2 is constant for RMSNorm, so dx = 0.
func TestBackwardClosedForms(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const d = 33
	x, dy := f32s(randVec(r, d, 1)), f32s(randVec(r, d, 1))
	w := f32s(randVec(r, d, 1))
	for name, l := range map[string]Layer{
		"rms": &RMSNorm{Dim: d, Weight: w}, "layer": &LayerNorm{Dim: d, Weight: w},
	} {
		dx := make([]float32, d)
		if err := l.Backward(dx, nil, nil, dy, x, nil); err != nil {
			t.Fatal(err)
		}
		if s := dot(x, dx); math.Abs(s) > 1e-5 {
			t.Errorf("%s: Σ x·dx = %g, want 0", name, s)
		}
		if _, ok := l.(*LayerNorm); ok {
			if s := sum(dx); math.Abs(s) > 1e-5 {
				t.Errorf("layer: Σ dx = %g, want 0", s)
			}
		}
	}
	n := &RMSNorm{Dim: d}
	y := forward(t, n, x)
	dx := make([]float32, d)
	if err := n.Backward(dx, nil, nil, y, x, nil); err != nil {
		t.Fatal(err)
	}
	for i, v := range dx {
		if math.Abs(float64(v)) > 1e-6 {
			t.Errorf("RMSNorm dy=y: dx[%d] = %g, want 0", i, v)
		}
	}
	// pRMSNorm: elements past k do not feed the rms, so their dx is r·dy·w.
	p := &RMSNorm{Dim: d, P: 0.25}
	st := make([]float32, 1)
	forward(t, p, x)
	if err := p.Forward(make([]float32, d), x, st); err != nil {
		t.Fatal(err)
	}
	if err := p.Backward(dx, nil, nil, dy, x, st); err != nil {
		t.Fatal(err)
	}
	if p.K() != 8 {
		t.Fatalf("K = %d, want floor(33·0.25) = 8", p.K())
	}
	for i := p.K(); i < d; i++ {
		if want := float64(st[0]) * float64(dy[i]); !within(float64(dx[i]), want, 1e-6) {
			t.Errorf("pRMSNorm dx[%d] = %g, want r·dy = %g", i, dx[i], want)
		}
	}
}

func TestZeroRowsAndNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	b := []float32{0.5, -1, 2}
	for name, l := range map[string]Layer{
		"rms_eps0":         &RMSNorm{Dim: 3, Bias: b},
		"rms_outside_eps0": &RMSNorm{Dim: 3, Bias: b, EpsOutside: true},
		"prms_eps0":        &RMSNorm{Dim: 3, Bias: b, P: 0.4},
		"layer_eps0":       &LayerNorm{Dim: 3, Bias: b},
		"rms_eps":          &RMSNorm{Dim: 3, Bias: b, Eps: 1e-6},
	} {
		x := []float32{0, 0, 0, 1, 2, 3, nan, 1, 1}
		if _, ok := l.(*LayerNorm); ok {
			x[0], x[1], x[2] = 4, 4, 4 // constant row: zero variance
		}
		y := forward(t, l, x)
		for i := 0; i < 3; i++ {
			if y[i] != b[i] {
				t.Errorf("%s: zero row y[%d] = %g, want bias %g", name, i, y[i], b[i])
			}
		}
		for i := 3; i < 6; i++ {
			if math.IsNaN(float64(y[i])) {
				t.Errorf("%s: finite row gave NaN at %d", name, i)
			}
		}
		for i := 6; i < 9; i++ {
			if !math.IsNaN(float64(y[i])) {
				t.Errorf("%s: NaN row gave %g at %d, want NaN", name, y[i], i)
			}
		}
		dx := make([]float32, len(x))
		if err := l.Backward(dx, make([]float32, 3), nil, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, x, nil); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if name != "rms_eps" && dx[i] != 0 {
				t.Errorf("%s: zero row dx[%d] = %g, want 0", name, i, dx[i])
			}
			if math.IsNaN(float64(dx[i])) {
				t.Errorf("%s: zero row dx[%d] is NaN", name, i)
			}
		}
	}
	// An infinite element: that element becomes NaN (∞·0), the rest 0,
	// as torch computes x·rsqrt(∞).
	y := forward(t, &RMSNorm{Dim: 3}, []float32{inf, 1, 2})
	if !math.IsNaN(float64(y[0])) || y[1] != 0 || y[2] != 0 {
		t.Errorf("RMSNorm of [Inf 1 2] = %v, want [NaN 0 0]", y)
	}
	// Huge and tiny float32 values do not overflow the float64 sums.
	y = forward(t, &RMSNorm{Dim: 2}, []float32{3e38, 3e38})
	if y[0] != 1 || y[1] != 1 {
		t.Errorf("RMSNorm of [3e38 3e38] = %v, want [1 1]", y)
	}
	y = forward(t, &RMSNorm{Dim: 2}, []float32{1e-30, -1e-30})
	if y[0] != 1 || y[1] != -1 {
		t.Errorf("RMSNorm of [1e-30 -1e-30] = %v, want [1 -1]", y)
	}
}

func TestErrors(t *testing.T) {
	ok := make([]float32, 8)
	tests := []struct {
		name string
		l    Layer
		y, x []float32
		st   []float32
		want error
	}{
		{"dim 0", &RMSNorm{}, ok, ok, nil, ErrParam},
		{"negative dim", &LayerNorm{Dim: -2}, ok, ok, nil, ErrParam},
		{"negative eps", &RMSNorm{Dim: 4, Eps: -1e-6}, ok, ok, nil, ErrParam},
		{"NaN eps", &LayerNorm{Dim: 4, Eps: math.NaN()}, ok, ok, nil, ErrParam},
		{"Inf eps", &RMSNorm{Dim: 4, Eps: math.Inf(1)}, ok, ok, nil, ErrParam},
		{"p > 1", &RMSNorm{Dim: 4, P: 1.5}, ok, ok, nil, ErrParam},
		{"p < 0", &RMSNorm{Dim: 4, P: -0.1}, ok, ok, nil, ErrParam},
		{"p NaN", &RMSNorm{Dim: 4, P: math.NaN()}, ok, ok, nil, ErrParam},
		{"offset Inf", &RMSNorm{Dim: 4, WeightOffset: float32(math.Inf(1))}, ok, ok, nil, ErrParam},
		{"weight length", &RMSNorm{Dim: 4, Weight: make([]float32, 3)}, ok, ok, nil, ErrShape},
		{"bias length", &LayerNorm{Dim: 4, Bias: make([]float32, 5)}, ok, ok, nil, ErrShape},
		{"x not whole rows", &RMSNorm{Dim: 3}, ok, ok, nil, ErrShape},
		{"y length", &LayerNorm{Dim: 4}, ok[:4], ok, nil, ErrShape},
		{"stats length", &RMSNorm{Dim: 4}, ok, ok, make([]float32, 1), ErrShape},
		{"layer stats length", &LayerNorm{Dim: 4}, ok, ok, make([]float32, 2), ErrShape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Forward(tc.y, tc.x, tc.st)
			if !errors.Is(err, tc.want) {
				t.Errorf("Forward error %v, want %v", err, tc.want)
			}
			err = tc.l.Backward(tc.y, nil, nil, ok, tc.x, tc.st)
			if !errors.Is(err, tc.want) {
				t.Errorf("Backward error %v, want %v", err, tc.want)
			}
		})
	}
	n := &RMSNorm{Dim: 4}
	if err := n.Backward(ok, make([]float32, 3), nil, ok, ok, nil); !errors.Is(err, ErrShape) {
		t.Errorf("dWeight length: %v", err)
	}
	if err := n.Backward(ok, nil, make([]float32, 5), ok, ok, nil); !errors.Is(err, ErrShape) {
		t.Errorf("dBias length: %v", err)
	}
	if err := n.Backward(ok[:4], nil, nil, ok, ok, nil); !errors.Is(err, ErrShape) {
		t.Errorf("dx length: %v", err)
	}
	if err := n.Forward64(make([]float64, 3), make([]float64, 4), nil); !errors.Is(err, ErrShape) {
		t.Errorf("Forward64 y length: %v", err)
	}
	if err := (&LayerNorm{Dim: 4}).Backward64(make([]float64, 4), make([]float64, 2), nil, make([]float64, 4), make([]float64, 4), nil); !errors.Is(err, ErrShape) {
		t.Errorf("Backward64 dWeight length: %v", err)
	}
}

func TestK(t *testing.T) {
	for _, tc := range []struct {
		d    int
		p    float64
		want int
	}{{16, 0, 16}, {16, 1, 16}, {16, 0.5, 8}, {33, 0.3, 9}, {16, 0.0625, 1}, {3, 0.01, 1}, {10, 0.999, 9}} {
		if got := (&RMSNorm{Dim: tc.d, P: tc.p}).K(); got != tc.want {
			t.Errorf("K(d=%d, p=%g) = %d, want %d", tc.d, tc.p, got, tc.want)
		}
	}
}

func TestNewLayers(t *testing.T) {
	r, l := NewRMSNorm(5, 1e-6), NewLayerNorm(5, 1e-5)
	if r.Validate() != nil || l.Validate() != nil || len(r.Weight) != 5 || r.Weight[4] != 1 || len(l.Bias) != 5 {
		t.Errorf("NewRMSNorm/NewLayerNorm: %+v %+v", r, l)
	}
	if NewRMSNorm(0, 0).Validate() == nil {
		t.Error("NewRMSNorm(0) validated")
	}
}

// TestParamGradManyRows checks that dWeight and dBias summed over many
// rows keep float32 precision (they are accumulated in float64).
func TestParamGradManyRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const d, rows = 4, 50000
	x, dy := randVec(r, rows*d, 1), randVec(r, rows*d, 1)
	for i := range dy {
		dy[i] = float64(float32(math.Abs(dy[i]) + 0.5)) // same sign: sums grow like rows
	}
	for name, l := range map[string]Layer{"rms": &RMSNorm{Dim: d, Eps: 1e-6}, "layer": &LayerNorm{Dim: d, Eps: 1e-5}} {
		dw64, db64 := make([]float64, d), make([]float64, d)
		if err := l.(ref64).Backward64(make([]float64, len(x)), dw64, db64, dy, x, nil); err != nil {
			t.Fatal(err)
		}
		dw, db := make([]float32, d), make([]float32, d)
		if err := l.Backward(make([]float32, len(x)), dw, db, f32s(dy), f32s(x), nil); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < d; i++ {
			for _, c := range []struct {
				got  float32
				want float64
			}{{dw[i], dw64[i]}, {db[i], db64[i]}} {
				if e := math.Abs(float64(c.got)-c.want) / math.Abs(c.want); e > 2e-7 {
					t.Errorf("%s: parameter gradient %g, want %g (relative error %.2g)", name, c.got, c.want, e)
				}
			}
		}
	}
}
