package op

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

func init() {
	// Test-only ops.
	Register("test_echo", func(req *Request) (map[string]any, error) {
		x, err := req.Float32s("x")
		if err != nil {
			return nil, err
		}
		d, err := req.Float64sOr("d")
		if err != nil {
			return nil, err
		}
		out := map[string]any{"x": x}
		if d != nil {
			out["d"] = d
		}
		return out, nil
	})
	Register("test_panic", func(req *Request) (map[string]any, error) {
		var m map[string]int
		m["boom"]++
		return nil, nil
	})
	Register("test_fields", func(req *Request) (map[string]any, error) {
		i, err := req.Int("i")
		if err != nil {
			return nil, err
		}
		f, err := req.FloatOr("f", 2.5)
		if err != nil {
			return nil, err
		}
		b, err := req.BoolOr("b", false)
		if err != nil {
			return nil, err
		}
		s, err := req.StringOr("s", "def")
		if err != nil {
			return nil, err
		}
		is, err := req.IntsOr("is")
		if err != nil {
			return nil, err
		}
		o, err := req.Object("o")
		if err != nil {
			return nil, err
		}
		out := map[string]any{"i": i, "f": f, "b": b, "s": s, "is": is, "o": nil}
		if o != nil {
			k, err := o.Float("k")
			if err != nil {
				return nil, err
			}
			out["o"] = map[string]any{"k": k}
		}
		return out, nil
	})
	Register("test_badresult", func(req *Request) (map[string]any, error) {
		return map[string]any{"c": make(chan int)}, nil
	})
}

func runString(t *testing.T, in string) ([]string, int) {
	t.Helper()
	var out bytes.Buffer
	failed, err := Run(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(out.String(), "\n")
	if s == "" {
		return nil, failed
	}
	return strings.Split(s, "\n"), failed
}

func TestRunExamples(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"op":"rms_norm","id":1,"n":4,"rows":1,"eps":1e-6,"x":[1,2,3,4]}`,
			`{"id":1,"y":[0.36514834,0.7302967,1.095445,1.4605933]}`},
		{`{"op":"layer_norm","id":"s","n":4,"eps":0,"x":[1,2,3,4],"weight":[1,1,1,2],"bias":[0,0,0,1]}`,
			`{"id":"s","y":[-1.3416408,-0.4472136,0.4472136,3.6832817]}`},
		// Gemma offset: (1 + 0) = 1.
		{`{"op":"rms_norm","id":2,"n":2,"eps":0,"x":[3,4],"weight":[0,1],"weight_offset":1}`,
			`{"id":2,"y":[0.84852815,2.2627418]}`},
		// pRMSNorm with p = 0.5 on [3, 4, 100, 100]: rms of [3, 4].
		{`{"op":"rms_norm","id":3,"n":4,"eps":0,"p":0.5,"x":[3,4,100,100]}`,
			`{"id":3,"y":[0.84852815,1.1313709,28.284271,28.284271]}`},
		// eps outside: x / (rms + eps) = [3,4]/(sqrt(12.5)+1).
		{`{"op":"rms_norm","id":4,"n":2,"eps":1,"eps_outside":true,"x":[3,4]}`,
			`{"id":4,"y":[0.66144365,0.8819248]}`},
		// llama2.c's float32 arithmetic on [1,2,3,4]: scale = 1/sqrtf(7.5 + 1e-5f).
		{`{"op":"rms_norm","id":"c","n":4,"eps":1e-5,"arith":"llama2c","x":[1,2,3,4]}`,
			`{"id":"c","y":[0.36514813,0.73029625,1.0954444,1.4605925]}`},
		// The SIMD kernels round twice: 1 ulp below the exact 1.34164079.
		{`{"op":"layer_norm","id":"f","n":4,"eps":0,"arith":"fast","x":[1,2,3,4]}`,
			`{"id":"f","y":[-1.3416407,-0.4472136,0.4472136,1.3416407]}`},
		// Backward: L = y0 (see norm.ExampleRMSNorm_Backward).
		{`{"op":"rms_norm","id":5,"n":2,"eps":0,"x":[3,4],"weight":[1,1],"dy":[1,0]}`,
			`{"id":5,"dbias":[1,0],"dweight":[0.84852815,0],"dx":[0.18101934,-0.13576452],"y":[0.84852815,1.1313709]}`},
		{`{"op":"test_echo","id":null,"x":[NaN,Infinity,-Infinity,0.1,16777217,1e-46,3.4028234e38,-0.0],"d":[0.1,NaN,-Infinity]}`,
			`{"id":null,"d":[0.1,NaN,-Infinity],"x":[NaN,Infinity,-Infinity,0.1,1.6777216e+07,0,3.4028235e+38,-0]}`},
		{`  {"id":[1,{"a":2.50}],"op":"test_echo","x":[]}  `, `{"id":[1,{"a":2.50}],"x":[]}`},
		{`{"op":"test_fields","id":7,"i":3.0}`, `{"id":7,"b":false,"f":2.5,"i":3,"is":null,"o":null,"s":"def"}`},
		{`{"op":"test_fields","id":8,"i":-4,"f":Infinity,"b":true,"s":"é\n","is":[1,2],"o":{"k":1e300}}`,
			`{"id":8,"b":true,"f":Infinity,"i":-4,"is":[1,2],"o":{"k":1e+300},"s":"é\n"}`},
		{`{"op":"test_fields","id":9,"i":1,"o":null,"f":null}`, `{"id":9,"b":false,"f":2.5,"i":1,"is":null,"o":null,"s":"def"}`},
	}
	for _, tc := range tests {
		lines, failed := runString(t, tc.in+"\n")
		if failed != 0 || len(lines) != 1 || lines[0] != tc.want {
			t.Errorf("in  %s\ngot  %q (failed %d)\nwant %s", tc.in, lines, failed, tc.want)
		}
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct{ in, id, msg string }{
		{`{bad`, `null`, "invalid JSON"},
		{`[1,2]`, `null`, "must be a JSON object"},
		{`{"id":1}`, `1`, `missing field "op"`},
		{`{"id":1,"op":7}`, `1`, `want a string`},
		{`{"id":2,"op":"nope"}`, `2`, `unknown op "nope"`},
		{`{"id":3,"op":"rms_norm","n":4,"eps":0,"x":[1,2,3]}`, `3`, "len(x) = 3 is not a multiple of n = 4"},
		{`{"id":4,"op":"rms_norm","n":4,"rows":2,"eps":0,"x":[1,2,3,4]}`, `4`, "len(x) = 4"},
		{`{"id":5,"op":"rms_norm","n":0,"eps":0,"x":[]}`, `5`, "n = 0"},
		{`{"id":6,"op":"rms_norm","n":2,"eps":-1,"x":[1,2]}`, `6`, "eps = -1"},
		{`{"id":7,"op":"rms_norm","n":2,"eps":NaN,"x":[1,2]}`, `7`, "finite"},
		{`{"id":8,"op":"rms_norm","n":2,"eps":0,"p":0,"x":[1,2]}`, `8`, "p = 0"},
		{`{"id":9,"op":"rms_norm","n":2,"eps":0,"p":1.5,"x":[1,2]}`, `9`, "p = 1.5"},
		{`{"id":10,"op":"rms_norm","n":2,"eps":0,"p":NaN,"x":[1,2]}`, `10`, "p = NaN"},
		{`{"id":11,"op":"rms_norm","n":2,"eps":0,"weight_offset":2,"x":[1,2]}`, `11`, "weight_offset"},
		{`{"id":11,"op":"rms_norm","n":2,"eps":0,"arith":"quick","x":[1,2]}`, `11`, "arith"},
		{`{"id":11,"op":"layer_norm","n":2,"eps":0,"arith":"ggml","x":[1,2]}`, `11`, "arith"},
		{`{"id":11,"op":"rms_norm","n":2,"eps":0,"arith":"ggml","eps_outside":true,"x":[1,2]}`, `11`, "EpsOutside"},
		{`{"id":12,"op":"rms_norm","n":2,"eps":0,"weight":[1],"x":[1,2]}`, `12`, "len(weight)"},
		{`{"id":13,"op":"layer_norm","n":2,"eps":0,"bias":[1,2,3],"x":[1,2]}`, `13`, "len(bias)"},
		{`{"id":14,"op":"layer_norm","n":2,"eps":0,"dy":[1],"x":[1,2]}`, `14`, "len(dy)"},
		{`{"id":15,"op":"layer_norm","n":2,"eps":0,"x":[1,"a"]}`, `15`, `field "x"[1]: want a number`},
		{`{"id":16,"op":"layer_norm","n":2.5,"eps":0,"x":[1,2]}`, `16`, "want an integer"},
		{`{"id":17,"op":"layer_norm","n":2,"eps":0,"x":[1,2],"extra":1}`, `17`, "unknown field(s) extra"},
		{`{"id":18,"op":"test_fields","i":1,"o":{"k":1,"z":2}}`, `18`, "unknown field(s) o.z"},
		{`{"id":19,"op":"test_fields","i":1,"o":[1]}`, `19`, `field "o": want an object`},
		{`{"id":20,"op":"test_panic"}`, `20`, "internal error"},
		{`{"id":21,"op":"test_badresult"}`, `21`, "cannot encode"},
		{`{"id":22,"op":"layer_norm","n":4611686018427387905,"rows":4,"eps":0,"x":[1,2,3,4]}`, `22`, "len(x) = 4"},
		{`{"id":23,"op":"rms_norm","n":2,"eps":0,"x":[1,2]} x`, `null`, "after the value"},
		{`{"id":24,"op":"rms_norm","n":2,"eps":0,"x":[1,2,]}`, `null`, "invalid JSON"},
		{`{"id":25,"op":"rms_norm","n":2,"eps":0,"x":[01]}`, `null`, "invalid JSON"},
		{`{"id":26,"op":"rms_norm","n":2,"eps":nan,"x":[1]}`, `null`, "invalid JSON"},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), `null`, "nested deeper"},
		{`"unterminated`, `null`, "unterminated string"},
		{"{\"id\":\"\xff\",\"op\":1}", "\"\uFFFD\"", "want a string"},
	}
	for _, tc := range tests {
		lines, failed := runString(t, tc.in+"\n")
		if failed != 1 || len(lines) != 1 {
			t.Errorf("%s: got %q, failed %d", tc.in, lines, failed)
			continue
		}
		var resp map[string]json.RawMessage
		if err := json.Unmarshal([]byte(lines[0]), &resp); err != nil {
			t.Errorf("%s: response %s is not JSON: %v", tc.in, lines[0], err)
			continue
		}
		var msg string
		_ = json.Unmarshal(resp["error"], &msg)
		if string(resp["id"]) != tc.id || !strings.Contains(msg, tc.msg) || len(resp) != 2 {
			t.Errorf("%s:\n got %s\nwant id %s and an error containing %q", tc.in, lines[0], tc.id, tc.msg)
		}
	}
}

func TestRunLinesAndCounts(t *testing.T) {
	in := "\n" + `{"op":"test_echo","id":1,"x":[1]}` + "\r\n   \n" + `{"op":"nope","id":2}` + "\n" + `{"op":"test_echo","id":3,"x":[2]}` // no final newline
	lines, failed := runString(t, in)
	want := []string{`{"id":1,"x":[1]}`, `{"id":2,"error":"unknown op \"nope\" (known: ` + strings.Join(Names(), ", ") + `)"}`, `{"id":3,"x":[2]}`}
	if failed != 1 || fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("got %q failed %d\nwant %q", lines, failed, want)
	}
	if lines, failed := runString(t, ""); len(lines) != 0 || failed != 0 {
		t.Errorf("empty input: %q %d", lines, failed)
	}
}

func TestLongLine(t *testing.T) {
	const n = 300000 // a multi-megabyte line
	var b strings.Builder
	b.WriteString(`{"op":"rms_norm","id":1,"n":3,"eps":0,"x":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString([]string{"3", "4", "0"}[i%3])
	}
	b.WriteString("]}\n")
	lines, failed := runString(t, b.String()+`{"op":"test_echo","id":2,"x":[]}`+"\n")
	if failed != 0 || len(lines) != 2 {
		t.Fatalf("failed %d, %d lines", failed, len(lines))
	}
	var resp struct{ Y []float64 }
	if err := json.Unmarshal([]byte(lines[0]), &resp); err != nil {
		t.Fatal(err)
	}
	// rms of [3,4,0] = 5/sqrt(3).
	want := []float64{3 * math.Sqrt(3) / 5, 4 * math.Sqrt(3) / 5, 0}
	if len(resp.Y) != n {
		t.Fatalf("len(y) = %d", len(resp.Y))
	}
	for i, v := range resp.Y {
		if math.Abs(v-want[i%3]) > 1e-7 {
			t.Fatalf("y[%d] = %g, want %g", i, v, want[i%3])
		}
	}
}

// TestGoldenThroughOp sends the norm package's PyTorch golden cases
// through the JSON interface, forward and backward.
func TestGoldenThroughOp(t *testing.T) {
	b, err := os.ReadFile("../norm/testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []map[string]any `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i, c := range g.Cases {
		req := map[string]any{"op": c["kind"], "id": i, "n": c["d"], "rows": c["rows"], "eps": c["eps"],
			"x": c["x"], "weight": c["weight"], "bias": c["bias"], "dy": c["dy"]}
		if c["kind"] == "rms_norm" {
			req["eps_outside"], req["weight_offset"] = c["eps_outside"], c["weight_offset"]
			if c["p"].(float64) != 0 {
				req["p"] = c["p"]
			}
		}
		line, _ := json.Marshal(req)
		in.Write(append(line, '\n'))
	}
	lines, failed := runString(t, in.String())
	if failed != 0 || len(lines) != len(g.Cases) {
		t.Fatalf("failed %d, %d lines: %q", failed, len(lines), lines)
	}
	for i, line := range lines {
		var resp map[string]any
		if err := json.Unmarshal([]byte(line), &resp); err != nil {
			t.Fatal(err)
		}
		if resp["id"].(float64) != float64(i) {
			t.Fatalf("line %d has id %v", i, resp["id"])
		}
		for _, k := range []string{"y", "dx", "dweight", "dbias"} {
			want, _ := g.Cases[i][k].([]any)
			got, _ := resp[k].([]any)
			if want == nil {
				continue
			}
			if len(got) != len(want) {
				t.Fatalf("case %d %s: %d values, want %d", i, k, len(got), len(want))
			}
			tol := 1e-5
			if k == "y" {
				tol = 1e-6
			}
			for j := range want {
				w, v := want[j].(float64), got[j].(float64)
				if math.Abs(v-w) > tol*(1+math.Abs(w)) {
					t.Errorf("case %d (%s) %s[%d] = %g, want %g", i, g.Cases[i]["kind"], k, j, v, w)
					break
				}
			}
		}
	}
}

// validAfterMapping reports whether line is valid JSON once the bare
// NaN/Infinity tokens are replaced (inside strings the replacement keeps
// the string valid).
func validAfterMapping(line string) bool {
	r := strings.NewReplacer("-Infinity", "0", "Infinity", "0", "NaN", "0")
	return json.Valid([]byte(r.Replace(line)))
}

func FuzzRun(f *testing.F) {
	for _, s := range []string{
		`{"op":"rms_norm","id":1,"n":4,"eps":1e-6,"x":[1,2,3,4]}`,
		`{"op":"layer_norm","id":"a","n":2,"eps":0,"x":[NaN,Infinity,-Infinity,1e-45],"dy":[1,2,3,4]}`,
		`{"op":"rms_norm","id":2,"n":3,"eps":0,"p":0.4,"eps_outside":true,"weight":[1,2,3],"bias":[0,0,1],"weight_offset":1,"x":[1,2,3]}` + "\n\n{bad\n",
		`{"op":"test_fields","i":1,"o":{"k":"x"}}`,
		`[[[[[[[[`, `{"id":"\u00e9\ud800","op":"x"}`, "\xff\xfe\n\r\n", `-Infinity`, `{"id":-0.0e-5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		failed, err := Run(bytes.NewReader(in), &out)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, l := range strings.Split(string(in), "\n") {
			if len(bytes.TrimSpace([]byte(l))) > 0 {
				want++
			}
		}
		got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if out.Len() == 0 {
			got = nil
		}
		if len(got) != want || failed > want {
			t.Fatalf("%d non-blank lines in, %d out, %d failed", want, len(got), failed)
		}
		for _, l := range got {
			if !validAfterMapping(l) || !strings.HasPrefix(l, `{"id":`) {
				t.Fatalf("invalid response line %q", l)
			}
		}
	})
}
