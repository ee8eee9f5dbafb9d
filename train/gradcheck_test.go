package train

import (
	"fmt"
	"math"
	"testing"
)

func tinyConfig(norm, pos string) Config {
	return Config{Vocab: 11, Dim: 8, Layers: 2, Heads: 2, KVHeads: 1, Hidden: 12, Ctx: 5,
		Norm: norm, NormP: 0.5, Eps: 1e-5, Pos: pos, RopeTheta: 10000, MLP: MLPSwiGLU}
}

// TestGradientCheck compares the analytic gradient of every parameter
// tensor with central finite differences, for every norm × position
// combination (plus GELU, untied head and multi-head attention variants).
func TestGradientCheck(t *testing.T) {
	type tc struct {
		norm, pos, mlp string
		tied           bool
		kv             int
	}
	var cases []tc
	for _, n := range []string{NormRMS, NormPRMS, NormLayer} {
		for _, p := range []string{PosRoPE, PosSinusoidal, PosLearned, PosNone, PosALiBi} {
			cases = append(cases, tc{n, p, MLPSwiGLU, true, 1})
		}
	}
	cases = append(cases, tc{NormRMS, PosRoPE, MLPGELU, false, 2}, tc{NormLayer, PosLearned, MLPGELU, false, 1})
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s/%s/tied=%v/kv=%d", c.norm, c.pos, c.mlp, c.tied, c.kv)
		t.Run(name, func(t *testing.T) {
			cfg := tinyConfig(c.norm, c.pos)
			cfg.MLP, cfg.Tied, cfg.KVHeads = c.mlp, c.tied, c.kv
			if c.pos == PosSinusoidal {
				cfg.EmbedScale = math.Sqrt(float64(cfg.Dim)) // as Options.Config sets it
			}
			m, err := NewModel(cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			// Larger weights than the 0.02 init make every path matter.
			rng := RNG{State: 99}
			for i := range m.Params {
				m.Params[i] += float32(rng.Normal() * 0.3)
			}
			B := 2
			tok := make([]int, B*cfg.Ctx)
			tgt := make([]int, B*cfg.Ctx)
			for i := range tok {
				tok[i] = rng.Intn(cfg.Vocab)
				tgt[i] = rng.Intn(cfg.Vocab)
			}
			m.ZeroGrads()
			if _, err := m.Forward(tok, tgt, B); err != nil {
				t.Fatal(err)
			}
			m.Backward(1)
			grad := append([]float32(nil), m.Grads...)
			const h = 1e-2
			worst := 0.0
			for _, p := range m.Tensors {
				for j := 0; j < p.Size; j += 1 + p.Size/7 {
					i := p.Offset + j
					orig := m.Params[i]
					central := func(h float32) float64 {
						m.Params[i] = orig + h
						lp, _ := m.Forward(tok, tgt, B)
						m.Params[i] = orig - h
						lm, _ := m.Forward(tok, tgt, B)
						m.Params[i] = orig
						// Divide by the step actually taken in float32.
						return (lp - lm) / (float64(orig+h) - float64(orig-h))
					}
					// Richardson extrapolation cancels the O(h²) error of
					// the central difference.
					num := (4*central(h/2) - central(h)) / 3
					ana := float64(grad[i])
					diff := math.Abs(num - ana)
					if diff > 2e-4+1e-2*math.Abs(ana) {
						t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", p.Name, j, ana, num)
					}
					worst = math.Max(worst, diff)
				}
			}
			t.Logf("worst |analytic-numeric| = %.3g", worst)
		})
	}
}
