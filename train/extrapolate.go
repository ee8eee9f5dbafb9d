package train

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/posenc"
)

// RoPEScaling is an inference-time change of a RoPE model's rotation that
// lets it read contexts Factor times the one it was trained at:
//
//	linear  position interpolation: θ_i / s (positions squeezed into the trained range)
//	ntk     "NTK-aware": base · s^(d/(d−2)), which stretches the low frequencies and keeps the high ones
//	yarn    YaRN: per-pair blend of interpolated and original frequencies by wavelength
//	        (β_fast 32, β_slow 1) and attention factor 1 + 0.1·ln s
//
// all computed by posenc (ggml's rope_ext arithmetic).
type RoPEScaling struct {
	Kind   string  // "linear", "ntk" or "yarn"
	Factor float64 // s
}

// rope returns the scaled rotation for a model of head dimension hd,
// base theta, trained at context trainCtx.
func (sc RoPEScaling) rope(hd int, theta float64, trainCtx int) (*posenc.RoPE, error) {
	if !(sc.Factor >= 1) {
		return nil, fmt.Errorf("train: RoPE scaling factor %v must be ≥ 1", sc.Factor)
	}
	p := posenc.DefaultGGMLParams(hd, posenc.HalfSplit)
	p.FreqBase = theta
	switch sc.Kind {
	case "linear":
		p.FreqScale = 1 / sc.Factor
	case "ntk":
		p.FreqBase = theta * math.Pow(sc.Factor, float64(hd)/float64(hd-2))
	case "yarn":
		p.FreqScale = 1 / sc.Factor
		p.ExtFactor = 1
		p.NCtxOrig = trainCtx
	default:
		return nil, fmt.Errorf("train: unknown RoPE scaling %q (want linear, ntk or yarn)", sc.Kind)
	}
	return p.RoPE(hd)
}

// AtContext returns a copy of m (same weights) whose context is ctx, for
// evaluating it on sequences longer (or shorter) than it was trained on.
// RoPE, ALiBi and sinusoidal positions extend by their formulas (with sc,
// RoPE uses the scaled rotation). A learned table has no rows past the
// trained context: those positions reuse its last row, one possible
// choice — the model has never seen them, so this measures what happens
// rather than a property of the encoding.
func (m *Model) AtContext(ctx int, sc *RoPEScaling) (*Model, error) {
	c := m.Config
	trained := c.Ctx
	c.Ctx = ctx
	if sc != nil && c.Pos != PosRoPE {
		return nil, fmt.Errorf("train: RoPE scaling on a %s model", c.Pos)
	}
	out, err := NewModel(c, 0)
	if err != nil {
		return nil, err
	}
	for _, p := range m.Tensors {
		src := m.Params[p.Offset : p.Offset+p.Size]
		var dst []float32
		for _, q := range out.Tensors {
			if q.Name == p.Name {
				dst = out.Params[q.Offset : q.Offset+q.Size]
			}
		}
		if p.Name == weightName(spec.PosEmbd, 0) {
			D := c.Dim
			for t := 0; t < ctx; t++ {
				copy(dst[t*D:(t+1)*D], src[min(t, trained-1)*D:])
			}
			continue
		}
		copy(dst, src)
	}
	if sc != nil {
		r, err := sc.rope(c.HeadDim(), c.RopeTheta, trained)
		if err != nil {
			return nil, err
		}
		if out.rope, err = r.NewTable(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EvalLoss returns m's mean next-token loss over consecutive windows of
// Config.Ctx tokens from the start of stream, as many as fit in maxTokens
// (at least one): every position of every window counts, so a long
// context's loss includes its far positions.
func (m *Model) EvalLoss(stream []int32, maxTokens int) (float64, error) {
	T := m.Config.Ctx
	n := max(1, maxTokens/T)
	if n*T+1 > len(stream) {
		n = (len(stream) - 1) / T
	}
	if n < 1 {
		return 0, fmt.Errorf("train: %d tokens are too few for a window of %d", len(stream), T)
	}
	tok, tgt := make([]int, T), make([]int, T)
	var sum float64
	for w := 0; w < n; w++ {
		for t := 0; t < T; t++ {
			tok[t], tgt[t] = int(stream[w*T+t]), int(stream[w*T+t+1])
		}
		l, err := m.Forward(tok, tgt, 1)
		if err != nil {
			return 0, err
		}
		sum += l
	}
	return sum / float64(n), nil
}

// ExtrapolationPoint is one line of llmparts ablate --extrapolate --json.
type ExtrapolationPoint struct {
	Name     string  `json:"name"`
	Pos      string  `json:"pos"`
	TrainCtx int     `json:"train_ctx"`
	EvalCtx  int     `json:"eval_ctx"`
	ValLoss  float64 `json:"val_loss"`
}
