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
		return &norm.LayerNorm{Dim: c.Dim, Weight: w, Bias: b, Eps: c.Eps, Arith: norm.ArithFast}
	}
	p := 0.0
	if c.Norm == NormPRMS {
		p = c.NormP
	}
	return &norm.RMSNorm{Dim: c.Dim, Weight: w, Eps: c.Eps, P: p, Arith: norm.ArithFast}
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
//
// Each (sequence, head) is two small matrix products on the [T × hd]
// blocks (strided views of q, k, v): S = scale·Q·Kᵀ, then O = P·V with the
// entries above the diagonal of P set to 0.
//
// With ALiBi slopes (one per query head, else nil) the score of query t
// against key u ≤ t gets m_h·(u − t) added before the softmax (Press et
// al.): a constant bias, so attentionBackward is unchanged.
func attentionForward(out, att, q, k, v []float32, B, T, H, KH, hd int, alibi []float64) {
	scale := float32(1 / math.Sqrt(float64(hd)))
	group := H / KH
	D, kvd := H*hd, KH*hd
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			g := h / group
			P := att[(b*H+h)*T*T:][:T*T]
			qb, kb, vb := q[b*T*D+h*hd:], k[b*T*kvd+g*hd:], v[b*T*kvd+g*hd:]
			kernel.Sgemm(false, true, T, T, hd, scale, qb, D, kb, kvd, 0, P, T)
			for t := 0; t < T; t++ {
				p := P[t*T : t*T+T]
				if alibi != nil {
					for u := 0; u < t; u++ {
						p[u] += float32(alibi[h] * float64(u-t))
					}
				}
				kernel.Softmax(p[:t+1])
				clear(p[t+1:])
			}
			kernel.Sgemm(false, false, T, hd, T, 1, P, T, vb, kvd, 0, out[b*T*D+h*hd:], D)
		}
	}
}

// attentionBackward writes dq, dk, dv (overwriting them) from dout, using
// dP (T·T floats) as scratch.
//
//	dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS_tu = p_tu·(dP_tu − Σ_w p_tw·dP_tw)·scale,
//	dQ = dS·K,  dK = dSᵀ·Q
//
// The query heads sharing a kv head add into its dk and dv in head order.
func attentionBackward(dq, dk, dv, dout, att, q, k, v, dP []float32, B, T, H, KH, hd int) {
	scale := float32(1 / math.Sqrt(float64(hd)))
	group := H / KH
	D, kvd := H*hd, KH*hd
	dP = dP[:T*T]
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			g := h / group
			bt := beta(h%group != 0)
			P := att[(b*H+h)*T*T:][:T*T]
			qb, kb, vb := q[b*T*D+h*hd:], k[b*T*kvd+g*hd:], v[b*T*kvd+g*hd:]
			dob := dout[b*T*D+h*hd:]
			kernel.Sgemm(false, true, T, T, hd, 1, dob, D, vb, kvd, 0, dP, T)
			kernel.Sgemm(true, false, T, hd, T, 1, P, T, dob, D, bt, dv[b*T*kvd+g*hd:], kvd)
			for t := 0; t < T; t++ {
				p := P[t*T : t*T+t+1]
				dp := dP[t*T : t*T+T]
				sum := kernel.Dot(p, dp[:t+1])
				for u, pu := range p {
					dp[u] = pu * (dp[u] - sum) * scale
				}
				clear(dp[t+1:])
			}
			kernel.Sgemm(false, false, T, hd, T, 1, dP, T, kb, kvd, 0, dq[b*T*D+h*hd:], D)
			kernel.Sgemm(true, false, T, hd, T, 1, dP, T, qb, D, bt, dk[b*T*kvd+g*hd:], kvd)
		}
	}
}

// ---- MLP activations -----------------------------------------------------

// swigluForward: a = silu(g) ⊙ u with silu(x) = x·σ(x) (the kernel's
// vectorised float32 exp), for rows gu = [g | u] of 2F; it keeps silu(g)
// in sg for the backward pass. ones holds at least F ones.
func swigluForward(a, sg, gu, ones []float32, F int) {
	for r := 0; r+F <= len(a); r += F {
		g, u := gu[2*r:2*r+F], gu[2*r+F:2*r+2*F]
		kernel.SiLUMul(sg[r:r+F], g, ones[:F])
		kernel.Mul(a[r:r+F], sg[r:r+F], u)
	}
}

// swigluBackward writes rows dgu = [dg | du] from da, with
// dg = da·u·σ(g)·(1 + g·(1−σ(g))) = da·u·(σ + silu·(1−σ)), du = da·silu(g),
// and σ(g) = silu(g)/g (½ at g ≈ 0).
func swigluBackward(dgu, da, sg, gu []float32, F int) {
	for r := 0; r+F <= len(da); r += F {
		g, u := gu[2*r:2*r+F], gu[2*r+F:2*r+2*F]
		dg, du := dgu[2*r:2*r+F], dgu[2*r+F:2*r+2*F]
		d, sr := da[r:r+F], sg[r:r+F]
		for i, x := range g {
			sx := sr[i]
			s := float32(0.5)
			if x > 1e-20 || x < -1e-20 {
				s = sx / x
			}
			dg[i] = d[i] * u[i] * (s + sx*(1-s))
			du[i] = d[i] * sx
		}
	}
}

const geluC = 0.7978845608028654 // sqrt(2/π)

// geluForward is GPT-2's tanh approximation:
// gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
func geluForward(a, u []float32) {
	for i := range a {
		x := float64(u[i])
		a[i] = float32(0.5 * x * (1 + math.Tanh(geluC*(x+0.044715*x*x*x))))
	}
}

// geluBackward: d/dx = ½(1+tanh(z)) + ½x(1−tanh²(z))·√(2/π)(1+3·0.044715x²).
func geluBackward(du, da, u []float32) {
	for i := range da {
		x := float64(u[i])
		th := math.Tanh(geluC * (x + 0.044715*x*x*x))
		d := 0.5*(1+th) + 0.5*x*(1-th*th)*geluC*(1+3*0.044715*x*x)
		du[i] = da[i] * float32(d)
	}
}

// ---- loss -----------------------------------------------------------------

// crossEntropyForward turns logits [N][V] into probabilities in place
// (kernel.Softmax, float32) and returns the summed negative log-likelihood
// of targets, accumulated in float64 in row order:
//
//	−log p_t = (max − x_t) + log Σ exp(x − max) = (max − x_t) − log p_max
//
// (p_max ≥ 1/V, so the loss never underflows to a clamp).
func crossEntropyForward(logits []float32, targets []int, N, V int) float64 {
	var total float64
	for r := 0; r < N; r++ {
		row := logits[r*V : r*V+V]
		mx := kernel.Max(row)
		xt := row[targets[r]]
		kernel.Softmax(row)
		total += float64(mx) - float64(xt) - math.Log(float64(kernel.Max(row)))
	}
	return total
}

// crossEntropyBackward turns probabilities into dL/dlogits = (p − onehot)·scale.
func crossEntropyBackward(probs []float32, targets []int, N, V int, scale float32) {
	for r := 0; r < N; r++ {
		row := probs[r*V : r*V+V]
		row[targets[r]] -= 1
		kernel.Scale(scale, row)
	}
}
