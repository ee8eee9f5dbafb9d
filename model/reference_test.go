package model

import "math"

// referenceForward is a plain float64 forward over the whole sequence with
// no cache, written straight from the definitions; it returns the logits
// of every position.
func referenceForward(m *Model, tokens []int) [][]float64 {
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
	matvec := func(w [][]float64, x []float64) []float64 {
		y := make([]float64, len(w))
		for i, r := range w {
			for j, v := range r {
				y[i] += v * x[j]
			}
		}
		return y
	}
	norm := func(n Norm, x []float64) []float64 {
		y := make([]float64, len(x))
		switch n.Kind {
		case LayerNorm:
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
				y[i] = (v - mu) / math.Sqrt(vr+n.Eps) * float64(n.Weight[i])
				if n.Bias != nil {
					y[i] += float64(n.Bias[i])
				}
			}
		default:
			k := len(x)
			if n.Kind == PRMSNorm && n.P > 0 && n.P < 1 {
				k = max(1, int(math.Floor(float64(len(x))*n.P)))
			}
			var ss float64
			for _, v := range x[:k] {
				ss += v * v
			}
			r := math.Sqrt(ss/float64(k) + n.Eps)
			for i, v := range x {
				y[i] = v / r * float64(n.Weight[i])
				if n.Bias != nil {
					y[i] += float64(n.Bias[i])
				}
			}
		}
		return y
	}
	rope := func(v []float64, p int) {
		th, mag, err := c.RoPE.freqs(c.ContextLen)
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
	emb := f64(m.Embed)
	xs := make([][]float64, T)
	for t, tok := range tokens {
		xs[t] = append([]float64(nil), emb[tok]...)
		if s := c.EmbedScale; s != 0 {
			for i := range xs[t] {
				xs[t][i] *= s
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
	}
	group := c.NHeads / c.NKVHeads
	for _, b := range m.Blocks {
		wq, wk, wv, wo := f64(b.WQ), f64(b.WK), f64(b.WV), f64(b.WO)
		wu, wd := f64(b.Up), f64(b.Down)
		var wg [][]float64
		if b.Gate != nil {
			wg = f64(b.Gate)
		}
		qs, ks, vs := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for t := range xs {
			h := norm(b.AttnNorm, xs[t])
			qs[t], ks[t], vs[t] = matvec(wq, h), matvec(wk, h), matvec(wv, h)
			if b.BQ != nil {
				for i := range qs[t] {
					qs[t][i] += float64(b.BQ[i])
				}
				for i := range ks[t] {
					ks[t][i] += float64(b.BK[i])
					vs[t][i] += float64(b.BV[i])
				}
			}
			if c.Pos == PosRoPE {
				rope(qs[t], t)
				rope(ks[t], t)
			}
		}
		for t := range xs {
			out := make([]float64, c.NHeads*hd)
			for h := 0; h < c.NHeads; h++ {
				kh := h / group
				sc := make([]float64, t+1)
				mx := math.Inf(-1)
				for u := 0; u <= t; u++ {
					for i := 0; i < hd; i++ {
						sc[u] += qs[t][h*hd+i] * ks[u][kh*hd+i]
					}
					sc[u] /= math.Sqrt(float64(hd))
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
			o := matvec(wo, out)
			for i := range xs[t] {
				xs[t][i] += o[i]
			}
			h := norm(b.FFNNorm, xs[t])
			up := matvec(wu, h)
			if c.MLP == GELU {
				for i, u := range up {
					up[i] = 0.5 * u * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(u+0.044715*u*u*u)))
				}
			} else {
				g := matvec(wg, h)
				for i := range up {
					up[i] *= g[i] / (1 + math.Exp(-g[i]))
				}
			}
			d := matvec(wd, up)
			for i := range xs[t] {
				xs[t][i] += d[i]
			}
		}
	}
	out := f64(m.Output)
	logits := make([][]float64, T)
	for t := range xs {
		logits[t] = matvec(out, norm(m.FinalNorm, xs[t]))
	}
	return logits
}
