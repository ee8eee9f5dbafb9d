package train

import (
	"math"
)

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter):
//
//	m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²
//	θ ← θ − lr·( m̂/(√v̂ + ε) + λ·θ ),   m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
//
// where λ applies only to tensors marked Decay (matrices; not norms,
// biases or embeddings).
type AdamW struct {
	Beta1, Beta2, Eps, WeightDecay float64
	M, V                           []float32
	T                              int // number of updates applied
}

// NewAdamW returns an optimizer for n parameters.
func NewAdamW(n int, beta1, beta2, eps, wd float64) *AdamW {
	return &AdamW{Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: wd, M: make([]float32, n), V: make([]float32, n)}
}

// Step applies one update with learning rate lr to params, given grads.
func (o *AdamW) Step(params, grads []float32, tensors []ParamTensor, lr float64) {
	o.T++
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	c1 := float32(1 - math.Pow(o.Beta1, float64(o.T)))
	c2 := float32(1 - math.Pow(o.Beta2, float64(o.T)))
	eps := float32(o.Eps)
	flr := float32(lr)
	for _, p := range tensors {
		decay := float32(0)
		if p.Decay {
			decay = float32(lr * o.WeightDecay)
		}
		parallelFor((p.Size+4095)/4096, func(lo, hi int) {
			for i := p.Offset + lo*4096; i < p.Offset+min(hi*4096, p.Size); i++ {
				g := grads[i]
				m := b1*o.M[i] + (1-b1)*g
				v := b2*o.V[i] + (1-b2)*g*g
				o.M[i], o.V[i] = m, v
				mh := m / c1
				vh := v / c2
				params[i] -= flr*mh/(float32(math.Sqrt(float64(vh)))+eps) + decay*params[i]
			}
		})
	}
}

// GradNorm returns the global L2 norm of g, summed in a fixed order in
// float64.
func GradNorm(g []float32) float64 {
	const chunk = 1 << 14
	parts := make([]float64, (len(g)+chunk-1)/chunk)
	parallelFor(len(parts), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var s float64
			for _, v := range g[c*chunk : min((c+1)*chunk, len(g))] {
				s += float64(v) * float64(v)
			}
			parts[c] = s
		}
	})
	var s float64
	for _, p := range parts {
		s += p
	}
	return math.Sqrt(s)
}

// ClipGradNorm scales g so its global norm is at most maxNorm (if
// maxNorm > 0) and returns the norm before clipping.
func ClipGradNorm(g []float32, maxNorm float64) float64 {
	n := GradNorm(g)
	if maxNorm > 0 && n > maxNorm {
		s := float32(maxNorm / (n + 1e-6))
		for i := range g {
			g[i] *= s
		}
	}
	return n
}

// LR is the learning-rate schedule: linear warm-up over the first warmup
// steps to max, then a cosine decay to min at step total:
//
//	lr(s) = max·(s+1)/warmup                                   for s < warmup
//	lr(s) = min + ½(1 + cos(π·(s−warmup)/(total−warmup)))·(max−min)  after
func LR(step, warmup, total int, maxLR, minLR float64) float64 {
	if step < warmup {
		return maxLR * float64(step+1) / float64(warmup)
	}
	if step >= total || total <= warmup {
		return minLR
	}
	r := float64(step-warmup) / float64(total-warmup)
	return minLR + 0.5*(1+math.Cos(math.Pi*r))*(maxLR-minLR)
}
