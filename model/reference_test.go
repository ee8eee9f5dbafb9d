package model

import (
	"math"

	"github.com/llmparts/llmparts/norm"
)

// referenceForward is a plain float64 forward over the whole sequence with
// no cache, written straight from the definitions (not from the runtime's
// code paths or the parts it calls); it returns the logits of every
// position. It covers every variation a Config can state.
func referenceForward(m *Model, tokens []int) [][]float64 {
	return referenceForwardCtx(m, tokens, m.Config.ContextLen)
}

// referenceForwardCtx is referenceForward for a session of ctx positions
// (which picks LongRoPE's factors).
func referenceForwardCtx(m *Model, tokens []int, ctx int) [][]float64 {
	c := m.Config
	D, hd := c.Dim, c.HeadDim
	T := len(tokens)
	f64 := func(t *Tensor) [][]float64 {
		v := t.Float32()
		out := make([][]float64, t.Rows)
		for i := range out {
			out[i] = make([]float64, t.Cols)
			for j := range out[i] {
				out[i][j] = float64(v[i*t.Cols+j])
			}
		}
		return out
	}
	matvec := func(w [][]float64, b []float32, x []float64) []float64 {
		y := make([]float64, len(w))
		for i, r := range w {
			for j, v := range r {
				y[i] += v * x[j]
			}
			if b != nil {
				y[i] += float64(b[i])
			}
		}
		return y
	}
	layer := func(l norm.Layer, x []float64) []float64 {
		y := make([]float64, len(x))
		var w, b []float32
		switch l := l.(type) {
		case *norm.LayerNorm:
			w, b = l.Weight, l.Bias
			var mu, vr float64
			for _, v := range x {
				mu += v
			}
			mu /= float64(len(x))
			for _, v := range x {
				vr += (v - mu) * (v - mu)
			}
			vr /= float64(len(x))
			for i, v := range x {
				y[i] = (v - mu) / math.Sqrt(vr+l.Eps)
			}
		case *norm.RMSNorm:
			b = l.Bias
			w = make([]float32, len(x))
			for i := range w {
				w[i] = l.WeightOffset + l.Weight[i]
			}
			k := len(x)
			if l.P > 0 && l.P < 1 {
				k = max(1, int(math.Floor(float64(len(x))*l.P)))
			}
			var ss float64
			for _, v := range x[:k] {
				ss += v * v
			}
			r := math.Sqrt(ss/float64(k) + l.Eps)
			for i, v := range x {
				y[i] = v / r
			}
		}
		for i := range y {
			y[i] *= float64(w[i])
			if b != nil {
				y[i] += float64(b[i])
			}
		}
		return y
	}
	// nrm applies a model norm (identity when absent; per head when it
	// has one layer per head or a layer narrower than x).
	nrm := func(n Norm, x []float64) []float64 {
		if !n.Present() {
			return x
		}
		ls := n.Heads
		if ls == nil {
			ls = []norm.Layer{n.Layer}
		}
		w := ls[0].Width()
		out := make([]float64, 0, len(x))
		for o := 0; o < len(x); o += w {
			out = append(out, layer(ls[(o/w)%len(ls)], x[o:o+w])...)
		}
		return out
	}
	gelu := func(u float64) float64 { return 0.5 * u * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(u+0.044715*u*u*u))) }
	rope := func(v []float64, p int) {
		r := c.RoPE.ForContext(ctx)
		th, mag, err := r.freqs(c.ContextLen)
		if err != nil {
			panic(err)
		}
		n := len(th)
		for h := 0; h < len(v); h += hd {
			for i := 0; i < n; i++ {
				a, b := 2*i, 2*i+1
				if c.RoPE.Neox {
					a, b = i, i+n
				}
				cs, sn := mag*math.Cos(float64(p)*th[i]), mag*math.Sin(float64(p)*th[i])
				x0, x1 := v[h+a], v[h+b]
				v[h+a] = x0*cs - x1*sn
				v[h+b] = x0*sn + x1*cs
			}
		}
	}
	// ALiBi slopes, written from the paper: 2^(−8i/n) for i = 1..n with n
	// the largest power of two ≤ H, then the odd terms of the series for
	// 2n for the remaining heads (max bias m replaces 8).
	slope := func(h int) float64 {
		n := 1
		for n*2 <= c.NHeads {
			n *= 2
		}
		mb := c.ALiBiMaxBias
		if h < n {
			return math.Pow(2, -mb*float64(h+1)/float64(n))
		}
		return math.Pow(2, -mb*float64(2*(h-n)+1)/float64(2*n))
	}
	emb := f64(m.Embed)
	xs := make([][]float64, T)
	for t, tok := range tokens {
		xs[t] = append([]float64(nil), emb[tok]...)
		if s := c.EmbedScale; s != 0 {
			for i := range xs[t] {
				xs[t][i] *= float64(float32(s))
			}
		}
		switch c.Pos {
		case PosLearned:
			for i := range xs[t] {
				xs[t][i] += float64(m.PosEmbed.F32[t*D+i])
			}
		case PosSinusoidal:
			for i := 0; i+1 < D; i += 2 {
				a := float64(t) / math.Pow(10000, float64(i)/float64(D))
				xs[t][i] += math.Sin(a)
				xs[t][i+1] += math.Cos(a)
			}
		}
		xs[t] = nrm(m.EmbedNorm, xs[t])
	}
	scale := float64(c.attnScale())
	group := c.NHeads / c.NKVHeads
	for l, b := range m.Blocks {
		wq, wk, wv, wo := f64(b.WQ), f64(b.WK), f64(b.WV), f64(b.WO)
		wu, wd := f64(b.Up), f64(b.Down)
		var wg [][]float64
		if b.Gate != nil {
			wg = f64(b.Gate)
		}
		mlp := func(h []float64) []float64 {
			up := matvec(wu, b.BUp, h)
			switch {
			case wg == nil:
				for i := range up {
					up[i] = gelu(up[i])
				}
			case c.MLP == GeGLU:
				g := matvec(wg, nil, h)
				for i := range up {
					up[i] *= gelu(g[i])
				}
			default:
				g := matvec(wg, nil, h)
				for i := range up {
					up[i] *= g[i] / (1 + math.Exp(-g[i]))
				}
			}
			return nrm(b.FFNPostNorm, matvec(wd, b.BDown, up))
		}
		qs, ks, vs := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		hs := make([][]float64, T)
		for t := range xs {
			hs[t] = nrm(b.AttnNorm, xs[t])
			qs[t], ks[t], vs[t] = matvec(wq, b.BQ, hs[t]), matvec(wk, b.BK, hs[t]), matvec(wv, b.BV, hs[t])
			qs[t], ks[t] = nrm(b.QNorm, qs[t]), nrm(b.KNorm, ks[t])
			if c.Pos == PosRoPE {
				rope(qs[t], t)
				rope(ks[t], t)
			}
		}
		win := c.window(l)
		for t := range xs {
			out := make([]float64, c.NHeads*hd)
			for h := 0; h < c.NHeads; h++ {
				kh := h / group
				sc := make([]float64, t+1)
				mx := math.Inf(-1)
				for u := 0; u <= t; u++ {
					if win > 0 && t-u >= win {
						sc[u] = math.Inf(-1)
						continue
					}
					for i := 0; i < hd; i++ {
						sc[u] += qs[t][h*hd+i] * ks[u][kh*hd+i]
					}
					sc[u] *= scale
					if cp := c.AttnSoftcap; cp > 0 {
						sc[u] = cp * math.Tanh(sc[u]/cp)
					}
					if c.Pos == PosALiBi {
						sc[u] -= slope(h) * float64(t-u)
					}
					mx = math.Max(mx, sc[u])
				}
				var sum float64
				for u := range sc {
					sc[u] = math.Exp(sc[u] - mx)
					sum += sc[u]
				}
				for u := range sc {
					for i := 0; i < hd; i++ {
						out[h*hd+i] += sc[u] / sum * vs[u][kh*hd+i]
					}
				}
			}
			a := nrm(b.AttnPostNorm, matvec(wo, b.BO, out))
			if c.Parallel {
				h2 := hs[t]
				if b.FFNNorm.Present() {
					h2 = nrm(b.FFNNorm, xs[t])
				}
				f := mlp(h2)
				for i := range xs[t] {
					xs[t][i] += a[i] + f[i]
				}
				continue
			}
			for i := range xs[t] {
				xs[t][i] += a[i]
			}
			f := mlp(nrm(b.FFNNorm, xs[t]))
			for i := range xs[t] {
				xs[t][i] += f[i]
			}
		}
	}
	out := f64(m.Output)
	logits := make([][]float64, T)
	for t := range xs {
		logits[t] = matvec(out, m.OutputBias, nrm(m.FinalNorm, xs[t]))
		if cp := c.FinalSoftcap; cp > 0 {
			for i, v := range logits[t] {
				logits[t][i] = cp * math.Tanh(v/cp)
			}
		}
	}
	return logits
}

// freqs returns θ_i for the RoPE pairs and the magnitude applied to cos
// and sin.
func (r *RoPE) freqs(ctx int) ([]float64, float64, error) {
	rp, err := r.posenc(r.Dim, ctx)
	if err != nil {
		return nil, 0, err
	}
	return rp.InvFreq, rp.Magnitude(), nil
}
