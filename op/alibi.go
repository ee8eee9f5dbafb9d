package op

import (
	"fmt"

	"github.com/llmparts/llmparts/posenc"
)

func init() {
	Register("alibi", alibiOp)
}

// maxAlibiBias bounds the bias matrix "alibi" returns (heads × positions²).
const maxAlibiBias = 1 << 24

// alibiOp returns the ALiBi slopes of posenc.ALiBiSlopes (ggml's max_bias
// form; Hugging Face's build_alibi_tensor at max_bias 8), in float64:
//
//	{"op":"alibi","n_head":…,"max_bias":…,"positions":[…]}
//	→ {"slopes":[…],"bias":[…]}
//
// max_bias defaults to 8. With positions p (optional), "bias" is
// [head][i][j] = m_h·(p_j − p_i), the term added to the scaled attention
// score of query p_i and key p_j (masking is the caller's business).
func alibiOp(req *Request) (map[string]any, error) {
	heads, err := req.Int("n_head")
	if err != nil {
		return nil, err
	}
	maxBias, err := req.FloatOr("max_bias", posenc.DefaultALiBiMaxBias)
	if err != nil {
		return nil, err
	}
	pos, err := req.IntsOr("positions")
	if err != nil {
		return nil, err
	}
	a, err := posenc.NewALiBi(heads, maxBias)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"slopes": a.Slopes}
	if pos != nil {
		if n := len(pos); n > 0 && (n > maxAlibiBias/n || heads > maxAlibiBias/(n*n)) {
			return nil, fmt.Errorf("%d heads × %d² positions is too large", heads, n)
		}
		for _, p := range pos {
			if p < -posenc.MaxPosition || p > posenc.MaxPosition {
				return nil, fmt.Errorf("position %d out of range", p)
			}
		}
		bias := make([]float64, 0, heads*len(pos)*len(pos))
		for h := 0; h < heads; h++ {
			for _, q := range pos {
				for _, k := range pos {
					bias = append(bias, a.Bias(h, q, k))
				}
			}
		}
		out["bias"] = bias
	}
	return out, nil
}
