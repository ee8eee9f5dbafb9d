package posenc

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func applied(t *testing.T, e QKEncoder, x []float32, p int) []float32 {
	t.Helper()
	y := append([]float32(nil), x...)
	if err := e.Apply(y, 1, 1, []int{p}); err != nil {
		t.Fatal(err)
	}
	return y
}

// encoders returns a variety of rotations with magnitude 1.
func encoders(t *testing.T) map[string]*RoPE {
	t.Helper()
	out := map[string]*RoPE{}
	for _, l := range []Layout{Interleaved, HalfSplit} {
		r, err := NewRoPE(32, 0, 10000, l)
		if err != nil {
			t.Fatal(err)
		}
		out["plain "+l.String()] = r
		r, err = NewRoPE(40, 24, 500000, l)
		if err != nil {
			t.Fatal(err)
		}
		out["partial "+l.String()] = r
		g := DefaultGGMLParams(32, l)
		g.FreqScale, g.FreqFactors = 0.25, []float64{1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16, 16}
		r, err = g.RoPE(32)
		if err != nil {
			t.Fatal(err)
		}
		out["ggml linear+factors "+l.String()] = r
	}
	return out
}

func TestRelativePosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, r := range encoders(t) {
		t.Run(name, func(t *testing.T) {
			q, k := randVec(rng, r.Dim), randVec(rng, r.Dim)
			for _, mn := range [][2]int{{5, 3}, {100, 0}, {40000, 39990}, {1 << 20, 1<<20 - 77}, {3, 9}} {
				m, n := mn[0], mn[1]
				lhs := dot(applied(t, r, q, m), applied(t, r, k, n))
				rhs := dot(applied(t, r, q, m-n), k)
				if math.Abs(lhs-rhs) > 2e-5*(1+math.Abs(rhs)) {
					t.Errorf("<R_%d q, R_%d k> = %v, <R_%d q, k> = %v", m, n, lhs, m-n, rhs)
				}
			}
		})
	}
}

func TestRotationGroup(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for name, r := range encoders(t) {
		t.Run(name, func(t *testing.T) {
			x := randVec(rng, r.Dim)
			// R_0 = I exactly.
			y := applied(t, r, x, 0)
			for i := range x {
				if y[i] != x[i] {
					t.Fatalf("R_0 changed dim %d: %v -> %v", i, x[i], y[i])
				}
			}
			for _, p := range []int{1, 17, 10000, 1 << 20} {
				y := applied(t, r, x, p)
				// norm preserved
				if n0, n1 := math.Sqrt(dot(x, x)), math.Sqrt(dot(y, y)); math.Abs(n0-n1) > 1e-6*n0 {
					t.Errorf("pos %d: norm %v -> %v", p, n0, n1)
				}
				// R_m R_n = R_{m+n}
				yy := applied(t, r, applied(t, r, x, p), 3*p+1)
				z := applied(t, r, x, 4*p+1)
				for i := range z {
					if math.Abs(float64(yy[i]-z[i])) > 2e-6 {
						t.Fatalf("pos %d: R_m R_n != R_{m+n} at %d: %v vs %v", p, i, yy[i], z[i])
					}
				}
				// backward is R_{-m}, and undoes the forward.
				b := append([]float32(nil), x...)
				if err := r.Backward(b, 1, 1, []int{p}); err != nil {
					t.Fatal(err)
				}
				neg := applied(t, r, x, -p)
				if err := r.Backward(y, 1, 1, []int{p}); err != nil {
					t.Fatal(err)
				}
				for i := range x {
					if b[i] != neg[i] {
						t.Fatalf("pos %d: backward %v != R_-m %v at %d", p, b[i], neg[i], i)
					}
					if math.Abs(float64(y[i]-x[i])) > 1e-6 {
						t.Fatalf("pos %d: backward(forward(x)) = %v, want %v", p, y[i], x[i])
					}
				}
				// dims past n_dims untouched
				for i := r.RotaryDims(); i < r.Dim; i++ {
					if z[i] != x[i] {
						t.Fatalf("pass-through dim %d changed", i)
					}
				}
			}
		})
	}
}

// TestBackwardIsAdjoint checks <R x, g> = <x, Rᵀ g> with a magnitude ≠ 1,
// i.e. that Backward is the true gradient map.
func TestBackwardIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := DefaultGGMLParams(16, HalfSplit)
	g.FreqScale, g.ExtFactor, g.NCtxOrig, g.AttnFactor = 0.25, 1, 512, 0.8
	r, err := g.RoPE(20)
	if err != nil {
		t.Fatal(err)
	}
	pos := []int{0, 9, 300, 70000}
	x, gr := randVec(rng, 4*2*20), randVec(rng, 4*2*20)
	rx, rg := append([]float32(nil), x...), append([]float32(nil), gr...)
	if err := r.Apply(rx, 4, 2, pos); err != nil {
		t.Fatal(err)
	}
	if err := r.Backward(rg, 4, 2, pos); err != nil {
		t.Fatal(err)
	}
	if a, b := dot(rx, gr), dot(x, rg); math.Abs(a-b) > 1e-5*(1+math.Abs(a)) {
		t.Errorf("<Rx, g> = %v but <x, Rᵀg> = %v", a, b)
	}
}

func TestTableMatchesApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for name, r := range encoders(t) {
		t.Run(name, func(t *testing.T) {
			tab, err := r.NewTable(50000)
			if err != nil {
				t.Fatal(err)
			}
			pos := []int{0, 1, 49999, 40000, 7, 7}
			x := randVec(rng, len(pos)*3*r.Dim)
			a, b := append([]float32(nil), x...), append([]float32(nil), x...)
			if err := r.Apply(a, len(pos), 3, pos); err != nil {
				t.Fatal(err)
			}
			if err := tab.Apply(b, len(pos), 3, pos); err != nil {
				t.Fatal(err)
			}
			for i := range a {
				if math.Abs(float64(a[i]-b[i])) > 1e-6 {
					t.Fatalf("table and direct differ at %d: %v vs %v", i, a[i], b[i])
				}
			}
			if err := tab.Backward(b, len(pos), 3, pos); err != nil {
				t.Fatal(err)
			}
			for i := range x {
				if math.Abs(float64(b[i]-x[i])) > 1e-6 {
					t.Fatalf("table backward(forward) at %d: %v vs %v", i, b[i], x[i])
				}
			}
			c, sn, err := tab.Row(40000)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c {
				want := math.Cos(40000 * r.InvFreq[i])
				if math.Abs(float64(c[i])-want) > 1e-7 || math.Abs(float64(sn[i])-math.Sin(40000*r.InvFreq[i])) > 1e-7 {
					t.Fatalf("Row(40000)[%d] = %v, %v", i, c[i], sn[i])
				}
			}
			if _, _, err := tab.Row(-1); err == nil {
				t.Error("Row(-1) accepted")
			}
			if err := tab.Apply(a[:r.Dim], 1, 1, []int{50000}); err == nil {
				t.Error("position past the table accepted")
			}
		})
	}
}

// bigAngleSinCos reduces p·θ modulo 2π in 200-bit arithmetic and returns
// its cos and sin: the exact-maths reference for long positions.
func bigAngleSinCos(p int, theta float64) (float64, float64) {
	const prec = 200
	// 2π to 60 digits.
	twoPi, _ := new(big.Float).SetPrec(prec).SetString("6.28318530717958647692528676655900576839433879875021164194989")
	a := new(big.Float).SetPrec(prec).SetFloat64(theta)
	a.Mul(a, new(big.Float).SetPrec(prec).SetInt64(int64(p)))
	q := new(big.Float).SetPrec(prec).Quo(a, twoPi)
	n, _ := q.Int(nil)
	a.Sub(a, new(big.Float).SetPrec(prec).Mul(twoPi, new(big.Float).SetPrec(prec).SetInt(n)))
	r, _ := a.Float64()
	return math.Cos(r), math.Sin(r)
}

// checkExact compares e (direct and cached) against the big.Float angle
// reference at position p.
func checkExact(t *testing.T, r *RoPE, p int, x []float32) {
	t.Helper()
	want := make([]float64, r.Dim)
	for i := range x {
		want[i] = float64(x[i])
	}
	n := r.RotaryDims()
	for i := 0; i < n/2; i++ {
		a, b := i, i+n/2
		if r.Layout == Interleaved {
			a, b = 2*i, 2*i+1
		}
		c, s := bigAngleSinCos(p, r.InvFreq[i])
		c, s = c*r.Magnitude(), s*r.Magnitude()
		want[a] = float64(x[a])*c - float64(x[b])*s
		want[b] = float64(x[a])*s + float64(x[b])*c
	}
	encs := []QKEncoder{r}
	if r.Dim <= 16 {
		tab, err := r.NewTable(p + 1)
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, tab)
	}
	for _, e := range encs {
		y := applied(t, e, x, p)
		for i := range want {
			if d := math.Abs(float64(y[i]) - want[i]); d > 1e-5 {
				t.Fatalf("%T pos %d dim %d: got %v want %v (diff %g)", e, p, i, y[i], want[i], d)
			}
		}
	}
}

func TestLongPositionPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		name string
		r    func() (*RoPE, error)
	}{
		{"plain", func() (*RoPE, error) { return NewRoPE(128, 0, 10000, HalfSplit) }},
		{"llama3", func() (*RoPE, error) {
			th, f, lo, hi, o := 500000.0, 8.0, 1.0, 4.0, 8192.0
			return HFConfig{RopeTheta: &th, HeadDim: 128, RopeScaling: &HFRopeScaling{Type: "llama3", Factor: &f,
				LowFreqFactor: &lo, HighFreqFactor: &hi, OriginalMaxPositionEmbeddings: &o}}.RoPE(0)
		}},
		{"ggml yarn", func() (*RoPE, error) {
			g := DefaultGGMLParams(64, Interleaved)
			g.FreqScale, g.ExtFactor, g.NCtxOrig = 1.0/16, 1, 4096
			return g.RoPE(64)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.r()
			if err != nil {
				t.Fatal(err)
			}
			// The cached table is checked on a 16-dim copy holding 8 of the
			// frequencies, to keep a 2²⁰-position table small.
			sub := &RoPE{Dim: 16, Layout: r.Layout, Scale: r.Scale}
			for i := 0; i < 8; i++ {
				sub.InvFreq = append(sub.InvFreq, r.InvFreq[i*len(r.InvFreq)/8])
			}
			for _, p := range []int{10000, 40000, 1 << 20} {
				for _, e := range []*RoPE{r, sub} {
					checkExact(t, e, p, randVec(rng, e.Dim))
				}
			}
		})
	}
}

// TestPermutedLayouts: rotating Meta-ordered q with Interleaved equals
// rotating the HF-permuted q with HalfSplit, after permuting back — and the
// weight permutation of a projection is the same row permutation.
func TestPermutedLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const nHeads, hd, in = 3, 16, 5
	w := randVec(rng, nHeads*hd*in)
	x := randVec(rng, in)
	wHF, err := PermuteInterleavedToHalf(w, nHeads, hd, in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := PermuteHalfToInterleaved(wHF, nHeads, hd, in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		if back[i] != w[i] {
			t.Fatal("PermuteHalfToInterleaved is not the inverse")
		}
	}
	matvec := func(w []float32) []float32 {
		q := make([]float32, nHeads*hd)
		for r := range q {
			q[r] = float32(dot(w[r*in:(r+1)*in], x))
		}
		return q
	}
	meta, _ := NewRoPE(hd, 0, 10000, Interleaved)
	hf, _ := NewRoPE(hd, 0, 10000, HalfSplit)
	qMeta, qHF := matvec(w), matvec(wHF)
	pos := []int{12345}
	if err := meta.Apply(qMeta, 1, nHeads, pos); err != nil {
		t.Fatal(err)
	}
	if err := hf.Apply(qHF, 1, nHeads, pos); err != nil {
		t.Fatal(err)
	}
	perm, err := PermuteInterleavedToHalf(qMeta, nHeads, hd, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range perm {
		if math.Abs(float64(perm[i]-qHF[i])) > 1e-6 {
			t.Fatalf("dim %d: permuted interleaved %v vs half-split %v", i, perm[i], qHF[i])
		}
	}
	// Row 2j of each head moved to j, row 2j+1 to hd/2+j.
	if wHF[(hd+1)*in] != w[(hd+2)*in] || wHF[(hd+hd/2+1)*in] != w[(hd+3)*in] {
		t.Error("permutation does not map rows (2j, 2j+1) to (j, hd/2+j)")
	}
}

func TestLlama3PublishedBands(t *testing.T) {
	th, f, lo, hi, o := 500000.0, 32.0, 1.0, 4.0, 8192.0
	c := HFConfig{RopeTheta: &th, HeadDim: 64, RopeScaling: &HFRopeScaling{Type: "llama3", Factor: &f,
		LowFreqFactor: &lo, HighFreqFactor: &hi, OriginalMaxPositionEmbeddings: &o}}
	got, attn, err := c.InvFreq(0)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := InvFreqs(th, 64)
	if attn != 1 {
		t.Errorf("attention factor %v, want 1", attn)
	}
	for i := range got {
		ratio := plain[i] / got[i]
		switch {
		case i <= 14:
			if ratio != 1 {
				t.Errorf("pair %d: divided by %v, want kept", i, ratio)
			}
		case i <= 17:
			if !(ratio > 1 && ratio < 32) {
				t.Errorf("pair %d: divided by %v, want smoothed in (1, 32)", i, ratio)
			}
		default:
			if math.Abs(ratio-32) > 1e-12 {
				t.Errorf("pair %d: divided by %v, want 32", i, ratio)
			}
		}
	}
	ff, err := Llama3FreqFactors(th, 64, f, lo, hi, 8192)
	if err != nil {
		t.Fatal(err)
	}
	if ff[0] != 1 || math.Abs(ff[31]-32) > 1e-12 {
		t.Errorf("freq factors %v", ff)
	}
}

func TestYarnAttentionFactorPublished(t *testing.T) {
	f := 4.0
	c := HFConfig{HeadDim: 64, MaxPositionEmbeddings: 4096, RopeScaling: &HFRopeScaling{Type: "yarn", Factor: &f}}
	_, attn, err := c.InvFreq(0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(attn-1.1386294) > 1e-7 {
		t.Errorf("yarn attention factor for factor 4 = %.9f, want 1.1386294", attn)
	}
}

// TestHFMatchesGGML checks that the two parameterisations agree where
// they describe the same rotation.
func TestHFMatchesGGML(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	theta := 10000.0
	same := func(t *testing.T, a, b *RoPE) {
		t.Helper()
		x := randVec(rng, 4*a.Dim)
		pos := []int{0, 77, 40000, 1 << 20}
		ya, yb := append([]float32(nil), x...), append([]float32(nil), x...)
		if err := a.Apply(ya, 4, 1, pos); err != nil {
			t.Fatal(err)
		}
		if err := b.Apply(yb, 4, 1, pos); err != nil {
			t.Fatal(err)
		}
		for i := range ya {
			if math.Abs(float64(ya[i]-yb[i])) > 2e-6 {
				t.Fatalf("dim %d: HF %v vs ggml %v", i, ya[i], yb[i])
			}
		}
	}
	t.Run("linear", func(t *testing.T) {
		f := 4.0
		hf, err := HFConfig{RopeTheta: &theta, HeadDim: 64, RopeScaling: &HFRopeScaling{Type: "linear", Factor: &f}}.RoPE(0)
		if err != nil {
			t.Fatal(err)
		}
		g := DefaultGGMLParams(64, HalfSplit)
		g.FreqScale = 1 / f
		gg, err := g.RoPE(64)
		if err != nil {
			t.Fatal(err)
		}
		same(t, hf, gg)
	})
	t.Run("yarn", func(t *testing.T) {
		for _, f := range []float64{2, 4, 16, 40} {
			for _, l := range []int{2048, 4096, 32768} {
				ff, lf := f, float64(l)
				_ = lf
				hf, err := HFConfig{RopeTheta: &theta, HeadDim: 128, MaxPositionEmbeddings: l,
					RopeScaling: &HFRopeScaling{Type: "yarn", Factor: &ff}}.RoPE(0)
				if err != nil {
					t.Fatal(err)
				}
				g := DefaultGGMLParams(128, HalfSplit)
				g.FreqScale, g.ExtFactor, g.NCtxOrig = 1/f, 1, l
				gg, err := g.RoPE(128)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(hf.Scale-gg.Scale) > 1e-15 {
					t.Errorf("f=%v L=%d: magnitude HF %v ggml %v", f, l, hf.Scale, gg.Scale)
				}
				for i := range hf.InvFreq {
					if math.Abs(hf.InvFreq[i]-gg.InvFreq[i]) > 1e-15*hf.InvFreq[i] {
						t.Errorf("f=%v L=%d pair %d: HF %v ggml %v", f, l, i, hf.InvFreq[i], gg.InvFreq[i])
					}
				}
				same(t, hf, gg)
			}
		}
	})
	t.Run("llama3", func(t *testing.T) {
		th, f, lo, hi, o := 500000.0, 8.0, 1.0, 4.0, 8192.0
		hf, err := HFConfig{RopeTheta: &th, HeadDim: 128, RopeScaling: &HFRopeScaling{Type: "llama3", Factor: &f,
			LowFreqFactor: &lo, HighFreqFactor: &hi, OriginalMaxPositionEmbeddings: &o}}.RoPE(0)
		if err != nil {
			t.Fatal(err)
		}
		g := DefaultGGMLParams(128, HalfSplit)
		g.FreqBase = th
		g.FreqFactors, err = Llama3FreqFactors(th, 128, f, lo, hi, 8192)
		if err != nil {
			t.Fatal(err)
		}
		gg, err := g.RoPE(128)
		if err != nil {
			t.Fatal(err)
		}
		same(t, hf, gg)
	})
}

// TestGGMLMagnitude: ggml scales norms by attn_factor, times
// 1 + 0.1·ln(1/freq_scale) only when ext_factor ≠ 0; with ext_factor 0 the
// YaRN parameters have no effect.
func TestGGMLMagnitude(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x := randVec(rng, 32)
	n0 := math.Sqrt(dot(x, x))
	for _, tc := range []struct {
		fs, ext, attn float64
		want          float64
	}{
		{1, 0, 1, 1},
		{0.25, 0, 1, 1},
		{0.25, 0, 0.7, 0.7},
		{0.25, 1, 1, 1 + 0.1*math.Log(4)},
		{0.125, 0.5, 0.9, 0.9 * (1 + 0.1*math.Log(8))},
		{1, 1, 1, 1},
	} {
		g := DefaultGGMLParams(32, Interleaved)
		g.FreqScale, g.ExtFactor, g.AttnFactor, g.NCtxOrig = tc.fs, tc.ext, tc.attn, 2048
		r, err := g.RoPE(32)
		if err != nil {
			t.Fatal(err)
		}
		y := applied(t, r, x, 12345)
		if got := math.Sqrt(dot(y, y)) / n0; math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%+v: norm ratio %v, want %v", tc, got, tc.want)
		}
		if tc.ext == 0 {
			g2 := g
			g2.BetaFast, g2.BetaSlow, g2.NCtxOrig = 4, 3, 99
			r2, err := g2.RoPE(32)
			if err != nil {
				t.Fatal(err)
			}
			for i := range r.InvFreq {
				if r.InvFreq[i] != r2.InvFreq[i] {
					t.Fatalf("YaRN parameters changed pair %d with ext_factor 0", i)
				}
			}
		}
	}
}

// TestYarnCorrDimsValues checks the correction range against hand values:
// n=64, L=4096, base 10000: d(32) = 64·ln(4096/(64π))/(2 ln 10⁴) ≈ 10.47,
// d(1) ≈ 22.51, so [10, 23].
func TestYarnCorrDimsValues(t *testing.T) {
	lo, hi := YarnCorrDims(64, 4096, 10000, 32, 1)
	if lo != 10 || hi != 23 {
		t.Errorf("corr dims [%v, %v], want [10, 23]", lo, hi)
	}
	lo, hi = YarnCorrDims(8, 0, 10000, 32, 1)
	if lo != 0 || !math.IsInf(hi, -1) {
		t.Errorf("n_ctx_orig 0: [%v, %v], want [0, -Inf]", lo, hi)
	}
	lo, hi = YarnCorrDims(8, 1<<30, 10000, 32, 1)
	// d(32) ≈ 6.73, d(1) ≈ 8.23 → ceil 9, clamped to n−1 = 7.
	if lo != 6 || hi != 7 {
		t.Errorf("huge context: [%v, %v], want [6, 7]", lo, hi)
	}
}
