package train

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/norm"
	"github.com/llmparts/llmparts/posenc"
)

// ---- normalisation ----------------------------------------------------

// normLayer returns the norm package's layer for kind over rows of width d
// with gain w and bias b (LayerNorm only):
//
//	RMSNorm:   y = x / sqrt(mean(x²) + ε) ⊙ w
//	pRMSNorm:  the mean of squares runs over the first k = max(1, ⌊p·d⌋) elements
//	LayerNorm: y = (x − μ) / sqrt(var(x) + ε) ⊙ w + b
func normLayer(c *Config, w, b []float32) norm.Layer {
	if c.Norm == NormLayer {
		return &norm.LayerNorm{Dim: c.Dim, Weight: w, Bias: b, Eps: c.Eps}
	}
	p := 0.0
	if c.Norm == NormPRMS {
		p = c.NormP
	}
	return &norm.RMSNorm{Dim: c.Dim, Weight: w, Eps: c.Eps, P: p}
}

// normForward normalises the rows of x into y, keeping the per-row
// statistics (1/rms, or 1/σ and μ) in stats for normBackward.
func normForward(c *Config, y, stats, x, w, b []float32) {
	l := normLayer(c, w, b)
	rows := len(x) / c.Dim
	must(l.Forward(y, x, stats[:rows*l.StatsPerRow()]))
}

// normBackward writes dx and adds dL/dw (and dL/db) into dw (db).
func normBackward(c *Config, dx, dw, db, dy, x, w, stats []float32) {
	l := normLayer(c, w, nil) // the bias does not enter dx
	rows := len(x) / c.Dim
	if c.Norm != NormLayer {
		db = nil
	}
	must(l.Backward(dx, dw, db, dy, x, stats[:rows*l.StatsPerRow()]))
}

// ---- positions ------------------------------------------------------------

// newRope returns the cached cos/sin table of RoPE for head dimension hd
// and positions [0, T), in the NeoX/Hugging Face half-split layout: the pair
// (x_i, x_{i+hd/2}) turns by the angle t·θ^(−2i/hd). Backward applies the
// inverse rotation (a rotation's Jacobian is its transpose).
func newRope(T, hd int, theta float64) (*posenc.Table, error) {
	r, err := posenc.NewRoPE(hd, hd, theta, posenc.HalfSplit)
	if err != nil {
		return nil, fmt.Errorf("train: rope: %w", err)
	}
	t, err := r.NewTable(T)
	if err != nil {
		return nil, fmt.Errorf("train: rope: %w", err)
	}
	return t, nil
}

// sinusoidalTable returns the fixed [T][d] encoding of "Attention is all
// you need": pe[t][2i] = sin(t/10000^(2i/d)), pe[t][2i+1] = cos(...).
func sinusoidalTable(T, d int) ([]float32, error) {
	pos := make([]int, T)
	for i := range pos {
		pos[i] = i
	}
	pe, err := posenc.Sinusoidal{Dim: d}.Table(pos)
	if err != nil {
		return nil, fmt.Errorf("train: sinusoidal positions: %w", err)
	}
	return pe, nil
}

// ---- attention ------------------------------------------------------------

// attentionForward computes causal softmax attention for B sequences of T
// tokens. q is [B·T][H][hd], k and v are [B·T][KH][hd] (query head h reads
// kv head h/(H/KH): grouped-query attention). It writes out [B·T][H][hd]
// and keeps the probabilities att [B][H][T][T] for the backward pass.
//
//	s_tu = q_t·k_u / sqrt(hd) for u ≤ t,  p_t = softmax(s_t),  o_t = Σ_u p_tu v_u
func attentionForward(out, att, q, k, v []float32, B, T, H, KH, hd int) {
	scale := float32(1 / math.Sqrt(float64(hd)))
	group := H / KH
	parallelFor(B*KH, func(lo, hi int) {
		for bg := lo; bg < hi; bg++ {
			b, g := bg/KH, bg%KH
			for h := g * group; h < (g+1)*group; h++ {
				for t := 0; t < T; t++ {
					qt := q[((b*T+t)*H+h)*hd:][:hd]
					p := att[((b*H+h)*T+t)*T:][:T]
					mx := float32(math.Inf(-1))
					for u := 0; u <= t; u++ {
						s := kernel.Dot(qt, k[((b*T+u)*KH+g)*hd:][:hd]) * scale
						p[u] = s
						if s > mx {
							mx = s
						}
					}
					var sum float32
					for u := 0; u <= t; u++ {
						e := float32(math.Exp(float64(p[u] - mx)))
						p[u] = e
						sum += e
					}
					inv := 1 / sum
					for u := 0; u <= t; u++ {
						p[u] *= inv
					}
					for u := t + 1; u < T; u++ {
						p[u] = 0
					}
					ot := out[((b*T+t)*H+h)*hd:][:hd]
					clear(ot)
					for u := 0; u <= t; u++ {
						kernel.Axpy(p[u], v[((b*T+u)*KH+g)*hd:][:hd], ot)
					}
				}
			}
		}
	})
}

// attentionBackward writes dq, dk, dv (overwriting them) from dout.
//
//	dv_u = Σ_t p_tu·do_t,  dp_tu = do_t·v_u,  ds_tu = p_tu·(dp_tu − Σ_w p_tw·dp_tw),
//	dq_t = scale·Σ_u ds_tu·k_u,  dk_u = scale·Σ_t ds_tu·q_t
//
// Work is split by (sequence, kv head) so that the heads sharing a kv head
// accumulate into dk and dv on one goroutine, in a fixed order.
func attentionBackward(dq, dk, dv, dout, att, q, k, v []float32, B, T, H, KH, hd int) {
	scale := float32(1 / math.Sqrt(float64(hd)))
	group := H / KH
	parallelFor(B*KH, func(lo, hi int) {
		dp := make([]float32, T)
		for bg := lo; bg < hi; bg++ {
			b, g := bg/KH, bg%KH
			for t := 0; t < T; t++ {
				clear(dk[((b*T+t)*KH+g)*hd:][:hd])
				clear(dv[((b*T+t)*KH+g)*hd:][:hd])
			}
			for h := g * group; h < (g+1)*group; h++ {
				for t := 0; t < T; t++ {
					p := att[((b*H+h)*T+t)*T:][:T]
					dot := dout[((b*T+t)*H+h)*hd:][:hd]
					var sum float32
					for u := 0; u <= t; u++ {
						s := kernel.Dot(dot, v[((b*T+u)*KH+g)*hd:][:hd])
						kernel.Axpy(p[u], dot, dv[((b*T+u)*KH+g)*hd:][:hd])
						dp[u] = s
						sum += p[u] * s
					}
					qt := q[((b*T+t)*H+h)*hd:][:hd]
					dqt := dq[((b*T+t)*H+h)*hd:][:hd]
					clear(dqt)
					for u := 0; u <= t; u++ {
						ds := p[u] * (dp[u] - sum) * scale
						kernel.Axpy(ds, k[((b*T+u)*KH+g)*hd:][:hd], dqt)
						kernel.Axpy(ds, qt, dk[((b*T+u)*KH+g)*hd:][:hd])
					}
				}
			}
		}
	})
}

// ---- MLP activations -----------------------------------------------------

// swigluForward: a = silu(g) ⊙ u with silu(x) = x·σ(x); it keeps σ(g)
// in sig for the backward pass.
func swigluForward(a, sig, g, u []float32) {
	parallelFor(len(a)/1024+1, func(lo, hi int) {
		for i := lo * 1024; i < min(hi*1024, len(a)); i++ {
			x := g[i]
			s := float32(1 / (1 + math.Exp(-float64(x))))
			sig[i] = s
			a[i] = x * s * u[i]
		}
	})
}

// swigluBackward: dg = da·u·σ(g)·(1 + g·(1−σ(g))), du = da·silu(g).
func swigluBackward(dg, du, da, sig, g, u []float32) {
	parallelFor(len(da)/1024+1, func(lo, hi int) {
		for i := lo * 1024; i < min(hi*1024, len(da)); i++ {
			x := g[i]
			s := sig[i]
			dg[i] = da[i] * u[i] * s * (1 + x*(1-s))
			du[i] = da[i] * x * s
		}
	})
}

const geluC = 0.7978845608028654 // sqrt(2/π)

// geluForward is GPT-2's tanh approximation:
// gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
func geluForward(a, u []float32) {
	parallelFor(len(a)/1024+1, func(lo, hi int) {
		for i := lo * 1024; i < min(hi*1024, len(a)); i++ {
			x := float64(u[i])
			a[i] = float32(0.5 * x * (1 + math.Tanh(geluC*(x+0.044715*x*x*x))))
		}
	})
}

// geluBackward: d/dx = ½(1+tanh(z)) + ½x(1−tanh²(z))·√(2/π)(1+3·0.044715x²).
func geluBackward(du, da, u []float32) {
	parallelFor(len(da)/1024+1, func(lo, hi int) {
		for i := lo * 1024; i < min(hi*1024, len(da)); i++ {
			x := float64(u[i])
			th := math.Tanh(geluC * (x + 0.044715*x*x*x))
			d := 0.5*(1+th) + 0.5*x*(1-th*th)*geluC*(1+3*0.044715*x*x)
			du[i] = da[i] * float32(d)
		}
	})
}

// ---- loss -----------------------------------------------------------------

// crossEntropyForward turns logits [N][V] into probabilities in place and
// returns the summed negative log-likelihood of targets (in float64).
func crossEntropyForward(logits []float32, targets []int, N, V int) float64 {
	losses := make([]float64, N)
	parallelFor(N, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := logits[r*V : r*V+V]
			mx := row[0]
			for _, x := range row {
				if x > mx {
					mx = x
				}
			}
			var sum float64
			for i, x := range row {
				e := math.Exp(float64(x - mx))
				row[i] = float32(e)
				sum += e
			}
			pt := float64(row[targets[r]]) / sum
			losses[r] = -math.Log(math.Max(pt, 1e-45))
			inv := float32(1 / sum)
			for i := range row {
				row[i] *= inv
			}
		}
	})
	var total float64
	for _, l := range losses {
		total += l
	}
	return total
}

// crossEntropyBackward turns probabilities into dL/dlogits = (p − onehot)·scale.
func crossEntropyBackward(probs []float32, targets []int, N, V int, scale float32) {
	for r := 0; r < N; r++ {
		row := probs[r*V : r*V+V]
		row[targets[r]] -= 1
		for i := range row {
			row[i] *= scale
		}
	}
}
