package posenc

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestRoPEErrors(t *testing.T) {
	good, err := NewRoPE(8, 0, 10000, Interleaved)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*8)
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"odd rotary dims", func() error { _, err := NewRoPE(8, 5, 10000, HalfSplit); return err }},
		{"n_dims > head_dim", func() error { _, err := NewRoPE(8, 10, 10000, HalfSplit); return err }},
		{"zero base", func() error { _, err := NewRoPE(8, 8, 0, HalfSplit); return err }},
		{"NaN base", func() error { _, err := NewRoPE(8, 8, math.NaN(), HalfSplit); return err }},
		{"Inf base", func() error { _, err := InvFreqs(math.Inf(1), 8); return err }},
		{"bad layout", func() error { _, err := NewRoPE(8, 8, 10000, Layout(7)); return err }},
		{"wrong freq count", func() error { return (&RoPE{Dim: 8, InvFreq: []float64{1}}).Validate() }},
		{"NaN freq", func() error { return (&RoPE{Dim: 2, InvFreq: []float64{math.NaN()}}).Validate() }},
		{"short x", func() error { return good.Apply(x[:15], 2, 1, []int{0, 1}) }},
		{"positions mismatch", func() error { return good.Apply(x, 2, 1, []int{0}) }},
		{"negative tokens", func() error { return good.Apply(x, -2, -1, nil) }},
		{"absurd position", func() error { return good.Apply(x, 2, 1, []int{0, MaxPosition + 1}) }},
		{"table too big", func() error { _, err := good.NewTable(MaxPosition); return err }},
		{"negative table", func() error { _, err := good.NewTable(-1); return err }},
		{"nil rope", func() error { var r *RoPE; return r.Apply(nil, 0, 0, nil) }},
		{"ggml odd dims", func() error { _, err := DefaultGGMLParams(7, HalfSplit).RoPE(8); return err }},
		{"ggml dims > head", func() error { _, err := DefaultGGMLParams(16, HalfSplit).RoPE(8); return err }},
		{"ggml zero freq_scale", func() error {
			g := DefaultGGMLParams(8, HalfSplit)
			g.FreqScale = 0
			_, err := g.RoPE(8)
			return err
		}},
		{"ggml NaN ext_factor", func() error {
			g := DefaultGGMLParams(8, HalfSplit)
			g.ExtFactor = math.NaN()
			_, err := g.RoPE(8)
			return err
		}},
		{"ggml freq factors length", func() error {
			g := DefaultGGMLParams(8, HalfSplit)
			g.FreqFactors = []float64{1, 2}
			_, err := g.RoPE(8)
			return err
		}},
		{"ggml zero freq factor", func() error {
			g := DefaultGGMLParams(4, HalfSplit)
			g.FreqFactors = []float64{1, 0}
			_, err := g.RoPE(8)
			return err
		}},
		{"ggml YaRN zero beta_fast", func() error {
			g := DefaultGGMLParams(4, HalfSplit)
			g.ExtFactor, g.BetaFast = 1, 0
			_, err := g.RoPE(8)
			return err
		}},
		{"ggml YaRN NaN beta_slow", func() error {
			g := DefaultGGMLParams(4, HalfSplit)
			g.ExtFactor, g.BetaSlow = 0.5, math.NaN()
			_, err := g.RoPE(8)
			return err
		}},
		{"ggml negative n_ctx_orig", func() error {
			g := DefaultGGMLParams(4, HalfSplit)
			g.NCtxOrig = -1
			_, err := g.RoPE(8)
			return err
		}},
		{"permute bad shape", func() error { _, err := PermuteInterleavedToHalf(make([]float32, 10), 1, 4, 3); return err }},
		{"permute odd head", func() error { _, err := PermuteHalfToInterleaved(make([]float32, 3), 1, 3, 1); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.err(); err == nil {
				t.Fatal("no error")
			} else if !strings.HasPrefix(err.Error(), "posenc: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestHFConfigErrors(t *testing.T) {
	for _, js := range []string{
		`{"head_dim": 64, "rope_scaling": {"rope_type": "yarn"}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "linear"}}`,
		`{"head_dim": 64, "rope_scaling": {"type": "dynamic", "factor": 2}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "nope", "factor": 2}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "llama3", "factor": 8, "original_max_position_embeddings": 8192}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1, "original_max_position_embeddings": 8192}}`,
		`{"head_dim": 8, "max_position_embeddings": 10, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1], "long_factor": [1, 1], "factor": 2}}`,
		`{"head_dim": 4, "max_position_embeddings": 10, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1], "long_factor": [1, 1]}}`,
		`{"head_dim": 4, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1]}}`,
		`{"head_dim": 64, "rope_theta": -1}`,
		`{"head_dim": 64, "rope_theta": 0}`,
		`{"head_dim": 0}`,
		`{"head_dim": 63}`,
		`{"head_dim": 64, "partial_rotary_factor": 0}`,
		`{"head_dim": 64, "partial_rotary_factor": 1.5}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "linear", "factor": 0}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": "yarn", "factor": 4}}`,
		`{"head_dim": 64, "rope_scaling": {"rope_type": 4}}`,
	} {
		var c HFConfig
		err := json.Unmarshal([]byte(js), &c)
		if err == nil {
			_, _, err = c.InvFreq(0)
		}
		if err == nil {
			t.Errorf("%s: no error", js)
		}
	}
	if _, _, err := (HFConfig{HeadDim: 8}).InvFreq(-1); err == nil {
		t.Error("negative seq_len accepted")
	}
}

func TestNaNPropagates(t *testing.T) {
	r, _ := NewRoPE(4, 0, 10000, Interleaved)
	x := []float32{float32(math.NaN()), 1, float32(math.Inf(1)), 2}
	if err := r.Apply(x, 1, 1, []int{3}); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(x[0])) || !math.IsNaN(float64(x[1])) {
		t.Errorf("NaN did not propagate through its pair: %v", x)
	}
	if !math.IsInf(float64(x[2]), 0) && !math.IsNaN(float64(x[2])) {
		t.Errorf("Inf vanished: %v", x)
	}
}

// TestSinusoidalDimTooLarge: a dimension above the limit says so (it was
// reported as "must be positive and even" for an even positive 10^9).
func TestSinusoidalDimTooLarge(t *testing.T) {
	_, err := Sinusoidal{Dim: 1_000_000_000}.Table([]int{0})
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("dim 1e9: %v", err)
	}
}

// TestGGMLPlainRopeBetas: ggml's plain ggml_rope passes ext_factor 0 and
// beta_fast = beta_slow = 0 (and n_ctx_orig 0). That must be accepted and
// give the same rotation as the defaults, since the betas only matter for
// YaRN.
func TestGGMLPlainRopeBetas(t *testing.T) {
	for _, l := range []Layout{Interleaved, HalfSplit} {
		plain := DefaultGGMLParams(8, l)
		plain.BetaFast, plain.BetaSlow = 0, 0
		a, err := plain.RoPE(8)
		if err != nil {
			t.Fatalf("%v: ggml_rope's parameters rejected: %v", l, err)
		}
		b, err := DefaultGGMLParams(8, l).RoPE(8)
		if err != nil {
			t.Fatal(err)
		}
		if a.Scale != b.Scale || len(a.InvFreq) != len(b.InvFreq) {
			t.Fatalf("%v: scale %v vs %v", l, a.Scale, b.Scale)
		}
		for i := range a.InvFreq {
			if a.InvFreq[i] != b.InvFreq[i] {
				t.Errorf("%v pair %d: %v vs %v", l, i, a.InvFreq[i], b.InvFreq[i])
			}
		}
	}
}
