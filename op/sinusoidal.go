package op

import (
	"fmt"

	"github.com/llmparts/llmparts/posenc"
)

func init() {
	Register("sinusoidal", sinusoidalOp)
}

// sinusoidalOp returns sinusoidal absolute position encodings:
//
//	{"op":"sinusoidal","d":…,"positions":[…],"layout":"interleaved"|"concat","base":…}
//	→ {"y":[…]}   ([position][d])
//
// Defaults: layout interleaved, base 10000.
func sinusoidalOp(req *Request) (map[string]any, error) {
	d, err := req.Int("d")
	if err != nil {
		return nil, err
	}
	pos, err := req.Ints("positions")
	if err != nil {
		return nil, err
	}
	ls, err := req.StringOr("layout", "interleaved")
	if err != nil {
		return nil, err
	}
	layout, err := posenc.ParseSinLayout(ls)
	if err != nil {
		return nil, err
	}
	base, err := req.FloatOr("base", 10000)
	if err != nil {
		return nil, err
	}
	if base == 0 {
		return nil, fmt.Errorf("base must be positive, got 0")
	}
	y, err := posenc.Sinusoidal{Dim: d, Base: base, Layout: layout}.Table(pos)
	if err != nil {
		return nil, err
	}
	return map[string]any{"y": y}, nil
}
