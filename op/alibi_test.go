package op

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestAlibiOpGolden: the op's slopes are those of posenc's independent
// golden file (Hugging Face's build_alibi_tensor and ggml's max_bias form,
// plain Python float64).
func TestAlibiOpGolden(t *testing.T) {
	b, err := os.ReadFile("../posenc/testdata/alibi.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		HF []struct {
			Heads  int       `json:"heads"`
			Slopes []float64 `json:"slopes"`
		} `json:"hf"`
		GGML []struct {
			Heads   int       `json:"heads"`
			MaxBias float64   `json:"max_bias"`
			Slopes  []float64 `json:"slopes"`
		} `json:"ggml"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.HF) == 0 || len(g.GGML) == 0 {
		t.Fatal("empty golden")
	}
	for _, c := range g.HF {
		out := call(t, map[string]any{"op": "alibi", "id": 1, "n_head": c.Heads})
		near(t, "slopes", floats(t, out["slopes"]), c.Slopes, 0, 1e-13)
	}
	for _, c := range g.GGML {
		out := call(t, map[string]any{"op": "alibi", "id": 1, "n_head": c.Heads, "max_bias": c.MaxBias})
		near(t, "slopes", floats(t, out["slopes"]), c.Slopes, 0, 1e-13)
	}
}

func TestAlibiOpBias(t *testing.T) {
	// 2 heads: slopes 1/16 and 1/256; positions 0, 1, 3.
	out := call(t, map[string]any{"op": "alibi", "id": 1, "n_head": 2, "positions": []int{0, 1, 3}})
	near(t, "slopes", floats(t, out["slopes"]), []float64{1.0 / 16, 1.0 / 256}, 0, 0)
	m0, m1 := 1.0/16, 1.0/256
	want := []float64{
		0, m0, 3 * m0, -m0, 0, 2 * m0, -3 * m0, -2 * m0, 0,
		0, m1, 3 * m1, -m1, 0, 2 * m1, -3 * m1, -2 * m1, 0,
	}
	near(t, "bias", floats(t, out["bias"]), want, 0, 0)
	for _, line := range []string{
		`{"op":"alibi","id":1,"n_head":0}`,
		`{"op":"alibi","id":1,"n_head":4,"max_bias":0}`,
		`{"op":"alibi","id":1,"n_head":4,"max_bias":NaN}`,
		`{"op":"alibi","id":1,"n_head":4,"positions":[1e12]}`,
		`{"op":"alibi","id":1,"n_head":65536,"positions":[` + strings.Repeat("1,", 99) + `1]}`,
		`{"op":"alibi","id":1,"n_head":4,"slope":1}`,
	} {
		if resp, ok := Do([]byte(line)); ok {
			t.Errorf("%s: want an error, got %s", line, resp)
		}
	}
}
