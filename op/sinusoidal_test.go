package op

import (
	"math"
	"testing"
)

func TestSinusoidalOpGolden(t *testing.T) {
	for _, c := range posencGolden(t)["sinusoidal"] {
		out := call(t, map[string]any{"op": "sinusoidal", "id": 1, "d": c["d"], "positions": c["positions"],
			"layout": c["layout"], "base": c["base"]})
		near(t, "y", floats(t, out["y"]), floats(t, c["y"]), 1e-7, 0)
	}
}

func TestSinusoidalOpDefaults(t *testing.T) {
	out := call(t, mustObj(t, `{"op":"sinusoidal","id":1,"d":4,"positions":[1,0]}`))
	near(t, "y", floats(t, out["y"]), []float64{math.Sin(1), math.Cos(1), math.Sin(0.01), math.Cos(0.01), 0, 1, 0, 1}, 1e-7, 0)
	out = call(t, mustObj(t, `{"op":"sinusoidal","id":1,"d":4,"positions":[2],"layout":"concat","base":100}`))
	near(t, "y", floats(t, out["y"]), []float64{math.Sin(2), math.Sin(0.2), math.Cos(2), math.Cos(0.2)}, 1e-7, 0)
	for _, line := range []string{
		`{"op":"sinusoidal","id":1,"d":3,"positions":[1]}`,
		`{"op":"sinusoidal","id":1,"d":0,"positions":[1]}`,
		`{"op":"sinusoidal","id":1,"d":4,"positions":[1],"base":0}`,
		`{"op":"sinusoidal","id":1,"d":4,"positions":[1],"base":-3}`,
		`{"op":"sinusoidal","id":1,"d":4,"positions":[1],"layout":"zigzag"}`,
		`{"op":"sinusoidal","id":1,"d":4}`,
	} {
		if resp, ok := Do([]byte(line)); ok {
			t.Errorf("%s: want an error, got %s", line, resp)
		}
	}
}
