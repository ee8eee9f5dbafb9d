package op

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// posencGolden is posenc's torch float64 golden file; the op handlers must
// reproduce it through the JSON protocol.
func posencGolden(t *testing.T) map[string][]map[string]any {
	t.Helper()
	b, err := os.ReadFile("../posenc/testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g map[string][]map[string]any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// call runs one request and decodes the response, failing on an error line.
func call(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	line, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := Do(line)
	if !ok {
		t.Fatalf("request %.200s failed: %s", line, resp)
	}
	var out map[string]any
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatalf("bad response %.200s: %v", resp, err)
	}
	return out
}

func floats(t *testing.T, v any) []float64 {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("want an array, got %T", v)
	}
	out := make([]float64, len(a))
	for i, x := range a {
		out[i] = x.(float64)
	}
	return out
}

func near(t *testing.T, what string, got, want []float64, abs, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= abs+rel*math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.9g, want %.9g", what, i, got[i], want[i])
		}
	}
}

func TestRopeOpGolden(t *testing.T) {
	for _, c := range posencGolden(t)["ggml"] {
		t.Run(c["name"].(string), func(t *testing.T) {
			req := map[string]any{"op": "rope", "id": 1, "n_tokens": len(c["positions"].([]any))}
			for _, k := range []string{"head_dim", "n_heads", "n_dims", "mode", "positions", "freq_base", "freq_scale",
				"ext_factor", "attn_factor", "beta_fast", "beta_slow", "n_ctx_orig", "freq_factors", "x"} {
				if v, ok := c[k]; ok {
					req[k] = v
				}
			}
			out := call(t, req)
			near(t, "y", floats(t, out["y"]), floats(t, c["y"]), 1e-6, 1e-7)
		})
	}
}

func TestRopeOpDefaultsAndValues(t *testing.T) {
	// One token at position 1, head 4, base 10000, normal mode: pair 0 turns
	// by 1 rad, pair 1 by 0.01 rad.
	out := call(t, map[string]any{"op": "rope", "id": "a", "head_dim": 4, "n_heads": 1, "n_tokens": 1,
		"positions": []int{1}, "x": []float64{1, 0, 1, 0}})
	near(t, "y", floats(t, out["y"]), []float64{math.Cos(1), math.Sin(1), math.Cos(0.01), math.Sin(0.01)}, 1e-7, 0)
	// neox with n_dims 2 of head 4: only (0, 1) rotates — the half-split
	// pair of 2 rotary dims — by angle 3; dims 2, 3 pass through.
	out = call(t, map[string]any{"op": "rope", "id": 2, "head_dim": 4, "n_heads": 1, "n_tokens": 1, "n_dims": 2,
		"mode": "neox", "positions": []int{3}, "x": []float64{1, 2, 3, 4}, "dy": []float64{1, 2, 3, 4}})
	c, s := math.Cos(3), math.Sin(3)
	near(t, "y", floats(t, out["y"]), []float64{c - 2*s, s + 2*c, 3, 4}, 1e-6, 0)
	near(t, "dx", floats(t, out["dx"]), []float64{c + 2*s, -s + 2*c, 3, 4}, 1e-6, 0)
	// integer mode 2 = neox, and YaRN: magnitude 1 + 0.1 ln 4 at freq_scale 1/4.
	out = call(t, map[string]any{"op": "rope", "id": 3, "head_dim": 2, "n_heads": 1, "n_tokens": 1, "mode": 2,
		"positions": []int{0}, "freq_scale": 0.25, "ext_factor": 1, "n_ctx_orig": 4096, "x": []float64{1, 0}})
	near(t, "y", floats(t, out["y"]), []float64{1 + 0.1*math.Log(4), 0}, 1e-6, 0)
	// freq_factors [] is no factors; [2] halves the angle.
	out = call(t, mustObj(t, `{"op":"rope","id":4,"head_dim":2,"n_heads":1,"n_tokens":1,"positions":[2],"freq_factors":[],"x":[1,0]}`))
	near(t, "y", floats(t, out["y"]), []float64{math.Cos(2), math.Sin(2)}, 1e-7, 0)
	out = call(t, mustObj(t, `{"op":"rope","id":5,"head_dim":2,"n_heads":1,"n_tokens":1,"positions":[2],"freq_factors":[2],"x":[1,0]}`))
	near(t, "y", floats(t, out["y"]), []float64{math.Cos(1), math.Sin(1)}, 1e-7, 0)
}

// TestRopeOpPlainGGMLBetas: ggml's plain ggml_rope passes beta_fast =
// beta_slow = 0 with ext_factor 0; the line is accepted and rotates as the
// defaults do.
func TestRopeOpPlainGGMLBetas(t *testing.T) {
	req := `{"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":1,"positions":[1],"x":[1,0,1,0]`
	out := call(t, mustObj(t, req+`,"ext_factor":0,"beta_fast":0,"beta_slow":0,"n_ctx_orig":0}`))
	near(t, "y", floats(t, out["y"]), []float64{math.Cos(1), math.Sin(1), math.Cos(0.01), math.Sin(0.01)}, 1e-7, 0)
}

func TestRopeOpErrors(t *testing.T) {
	base := `"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":1,"positions":[1],"x":[1,2,3,4]`
	for _, extra := range []string{
		`,"n_dims":3`, `,"n_dims":6`, `,"mode":"diagonal"`, `,"mode":1`, `,"freq_base":0`, `,"freq_scale":-1`,
		`,"freq_scale":NaN`, `,"ext_factor":Infinity`, `,"attn_factor":0`, `,"ext_factor":1,"beta_fast":0`, `,"ext_factor":1,"beta_slow":-1`, `,"n_ctx_orig":-5`,
		`,"freq_factors":[1]`, `,"freq_factors":[1,0]`, `,"dy":[1]`, `,"bogus":1`,
	} {
		resp, ok := Do([]byte("{" + base + extra + "}"))
		if ok || !strings.Contains(string(resp), `"error"`) {
			t.Errorf("%s: want an error, got %s", extra, resp)
		}
	}
	for _, line := range []string{
		`{"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":2,"positions":[1],"x":[1,2,3,4]}`,
		`{"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":1,"positions":[1],"x":[1,2,3]}`,
		`{"op":"rope","id":1,"head_dim":0,"n_heads":1,"n_tokens":1,"positions":[1],"x":[]}`,
		`{"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":1,"positions":[1e15],"x":[1,2,3,4]}`,
	} {
		if resp, ok := Do([]byte(line)); ok {
			t.Errorf("%s: want an error, got %s", line, resp)
		}
	}
	// NaN in x propagates rather than erroring.
	resp, ok := Do([]byte(`{"op":"rope","id":1,"head_dim":2,"n_heads":1,"n_tokens":1,"positions":[1],"x":[NaN,1]}`))
	if !ok || !strings.Contains(string(resp), "NaN") {
		t.Errorf("NaN input: %s", resp)
	}
}

func TestRopeFreqsOpGolden(t *testing.T) {
	for _, c := range posencGolden(t)["hf"] {
		t.Run(c["name"].(string), func(t *testing.T) {
			req := map[string]any{"op": "rope_freqs", "id": 7}
			for k, v := range c["config"].(map[string]any) {
				req[k] = v
			}
			if sl := c["seq_len"].(float64); sl != 0 {
				req["seq_len"] = sl
			}
			out := call(t, req)
			near(t, "inv_freq", floats(t, out["inv_freq"]), floats(t, c["inv_freq"]), 0, 1e-13)
			near(t, "attention_factor", []float64{out["attention_factor"].(float64)},
				[]float64{c["attention_factor"].(float64)}, 0, 1e-13)
		})
	}
}

func TestRopeFreqsOpCases(t *testing.T) {
	for _, tc := range []struct {
		line string
		inv  []float64
		attn float64
	}{
		{`"head_dim":4`, []float64{1, 0.01}, 1},
		{`"head_dim":4,"rope_theta":100,"rope_scaling":null`, []float64{1, 0.1}, 1},
		{`"head_dim":8,"partial_rotary_factor":0.5,"rope_theta":100`, []float64{1, 0.1}, 1},
		{`"head_dim":4,"rope_scaling":{"type":"linear","factor":2}`, []float64{0.5, 0.005}, 1},
		// dynamic at seq_len 2·max with factor 2: base·3^(4/2) = 9·base.
		{`"head_dim":4,"rope_theta":100,"max_position_embeddings":10,"seq_len":20,"rope_scaling":{"rope_type":"dynamic","factor":2}`,
			[]float64{1, 1 / 30.0}, 1},
		{`"head_dim":4,"max_position_embeddings":4096,"rope_scaling":{"rope_type":"yarn","factor":4,"attention_factor":null}`,
			nil, 1 + 0.1*math.Log(4)},
		{`"head_dim":4,"max_position_embeddings":100,"rope_scaling":{"rope_type":"yarn","factor":4,"mscale":2,"mscale_all_dim":1}`,
			nil, (1 + 0.2*math.Log(4)) / (1 + 0.1*math.Log(4))},
		{`"head_dim":4,"rope_theta":100,"max_position_embeddings":40,"original_max_position_embeddings":10,"seq_len":11,` +
			`"rope_scaling":{"rope_type":"longrope","short_factor":[1,2],"long_factor":[3,4]}`,
			[]float64{1 / 3.0, 1 / 40.0}, math.Sqrt(1 + math.Log(4)/math.Log(10))},
		{`"head_dim":4,"rope_parameters":{"rope_type":"default","rope_theta":100}`, []float64{1, 0.1}, 1},
	} {
		out := call(t, mustObj(t, `{"op":"rope_freqs","id":1,`+tc.line+`}`))
		if tc.inv != nil {
			near(t, tc.line, floats(t, out["inv_freq"]), tc.inv, 0, 1e-14)
		}
		if a := out["attention_factor"].(float64); math.Abs(a-tc.attn) > 1e-14 {
			t.Errorf("%s: attention_factor %v, want %v", tc.line, a, tc.attn)
		}
	}
}

func mustObj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRopeFreqsOpErrors(t *testing.T) {
	for _, line := range []string{
		`"head_dim":64,"rope_scaling":{"rope_type":"yarn","max_position_embeddings":10}`,
		`"head_dim":64,"max_position_embeddings":10,"rope_scaling":{"rope_type":"yarn"}`,
		`"head_dim":64,"rope_scaling":{"rope_type":"mystery","factor":2}`,
		`"head_dim":64,"rope_scaling":{"rope_type":"llama3","factor":8}`,
		`"head_dim":64,"rope_scaling":{"rope_type":"dynamic","factor":2}`,
		`"head_dim":64,"rope_scaling":{"rope_type":"linear","factor":NaN}`,
		`"head_dim":63`,
		`"head_dim":64,"rope_theta":-1`,
		`"head_dim":64,"partial_rotary_factor":0`,
		`"head_dim":64,"rope_scaling":{"rope_type":"linear","factor":2,"factr":3}`,
		`"head_dim":64,"rope_scaling":{"rope_type":"linear","factor":2},"rope_parameters":{"rope_type":"linear","factor":2}`,
		`"head_dim":4,"rope_scaling":{"rope_type":"longrope","short_factor":[1],"long_factor":[1,2],"factor":2}`,
	} {
		if resp, ok := Do([]byte(`{"op":"rope_freqs","id":1,` + line + `}`)); ok {
			t.Errorf("%s: want an error, got %s", line, resp)
		}
	}
}

func ExampleDo_rope() {
	resp, _ := Do([]byte(`{"op":"rope","id":1,"head_dim":2,"n_heads":1,"n_tokens":2,"mode":"neox","positions":[0,1],"x":[1,0,1,0]}`))
	fmt.Println(string(resp))
	// Output: {"id":1,"y":[1,0,0.5403023,0.84147096]}
}

func TestRopeFreqsOpHiddenSize(t *testing.T) {
	out := call(t, mustObj(t, `{"op":"rope_freqs","id":1,"hidden_size":32,"num_attention_heads":8,"rope_theta":100}`))
	near(t, "inv_freq", floats(t, out["inv_freq"]), []float64{1, 0.1}, 0, 1e-15)
	if resp, ok := Do([]byte(`{"op":"rope_freqs","id":1,"rope_theta":100}`)); ok {
		t.Errorf("missing head_dim accepted: %s", resp)
	}
}

// FuzzPosencOps: any request to the rope, rope_freqs and sinusoidal ops
// gets an answer line, never an internal error (a recovered panic).
func FuzzPosencOps(f *testing.F) {
	for _, s := range []string{
		`{"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":1,"positions":[1],"x":[1,2,3,4]}`,
		`{"op":"rope","id":1,"head_dim":4,"n_heads":1,"n_tokens":1,"n_dims":2,"mode":"neox","positions":[70000],"freq_scale":0.25,"ext_factor":1,"n_ctx_orig":4096,"freq_factors":[2],"x":[1,2,3,4]}`,
		`{"op":"rope_freqs","id":1,"head_dim":64,"max_position_embeddings":4096,"rope_scaling":{"rope_type":"yarn","factor":4,"truncate":false}}`,
		`{"op":"rope_freqs","id":1,"head_dim":4,"max_position_embeddings":40,"original_max_position_embeddings":10,"seq_len":11,"rope_scaling":{"rope_type":"longrope","short_factor":[1,2],"long_factor":[3,4]}}`,
		`{"op":"rope_freqs","id":1,"head_dim":64,"rope_scaling":{"type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}}`,
		`{"op":"sinusoidal","id":1,"d":6,"positions":[0,5,-2],"layout":"concat","base":100}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		resp, _ := Do([]byte(line))
		if strings.Contains(string(resp), "internal error") {
			t.Fatalf("%s -> %s", line, resp)
		}
	})
}
