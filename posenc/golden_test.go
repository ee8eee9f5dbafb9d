package posenc

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// golden is posenc/testdata/golden.json, written by gen_golden.py (torch,
// float64) from formulas re-derived independently of this package.
type golden struct {
	HF []struct {
		Name            string          `json:"name"`
		Config          json.RawMessage `json:"config"`
		SeqLen          int             `json:"seq_len"`
		InvFreq         []float64       `json:"inv_freq"`
		AttentionFactor float64         `json:"attention_factor"`
	} `json:"hf"`
	RopeHF []struct {
		Name      string          `json:"name"`
		Config    json.RawMessage `json:"config"`
		SeqLen    int             `json:"seq_len"`
		NHeads    int             `json:"n_heads"`
		Positions []int           `json:"positions"`
		X         []float32       `json:"x"`
		Y         []float64       `json:"y"`
	} `json:"rope_hf"`
	RopeMeta []struct {
		HeadDim   int       `json:"head_dim"`
		NDims     int       `json:"n_dims"`
		Base      float64   `json:"base"`
		NHeads    int       `json:"n_heads"`
		Positions []int     `json:"positions"`
		X         []float32 `json:"x"`
		Y         []float64 `json:"y"`
	} `json:"rope_meta"`
	GGML []struct {
		Name        string    `json:"name"`
		HeadDim     int       `json:"head_dim"`
		NHeads      int       `json:"n_heads"`
		NDims       int       `json:"n_dims"`
		Mode        string    `json:"mode"`
		FreqBase    float64   `json:"freq_base"`
		FreqScale   float64   `json:"freq_scale"`
		ExtFactor   float64   `json:"ext_factor"`
		AttnFactor  float64   `json:"attn_factor"`
		BetaFast    float64   `json:"beta_fast"`
		BetaSlow    float64   `json:"beta_slow"`
		NCtxOrig    int       `json:"n_ctx_orig"`
		FreqFactors []float64 `json:"freq_factors"`
		Positions   []int     `json:"positions"`
		X           []float32 `json:"x"`
		Y           []float64 `json:"y"`
	} `json:"ggml"`
	Sinusoidal []struct {
		D         int       `json:"d"`
		Base      float64   `json:"base"`
		Layout    string    `json:"layout"`
		Positions []int     `json:"positions"`
		Y         []float64 `json:"y"`
	} `json:"sinusoidal"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.HF) == 0 || len(g.RopeHF) == 0 || len(g.RopeMeta) == 0 || len(g.GGML) == 0 || len(g.Sinusoidal) == 0 {
		t.Fatal("golden file has an empty section")
	}
	return &g
}

// closeAll fails if any |got−want| exceeds abs + rel·|want|.
func closeAll(t *testing.T, what string, got []float32, want []float64, abs, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= abs+rel*math.Abs(want[i])) {
			t.Fatalf("%s[%d]: got %.9g want %.9g (diff %.3g)", what, i, got[i], want[i], d)
		}
	}
}

func TestGoldenHFInvFreq(t *testing.T) {
	for _, c := range loadGolden(t).HF {
		t.Run(c.Name, func(t *testing.T) {
			cfg, err := ParseHFConfig(c.Config)
			if err != nil {
				t.Fatal(err)
			}
			f, attn, err := cfg.InvFreq(c.SeqLen)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(attn-c.AttentionFactor) > 1e-13*c.AttentionFactor {
				t.Errorf("attention factor %.17g want %.17g", attn, c.AttentionFactor)
			}
			if len(f) != len(c.InvFreq) {
				t.Fatalf("%d frequencies, want %d", len(f), len(c.InvFreq))
			}
			for i := range f {
				if math.Abs(f[i]-c.InvFreq[i]) > 1e-13*c.InvFreq[i] {
					t.Errorf("inv_freq[%d] = %.17g want %.17g", i, f[i], c.InvFreq[i])
				}
			}
		})
	}
}

func TestGoldenRoPEHF(t *testing.T) {
	for _, c := range loadGolden(t).RopeHF {
		t.Run(c.Name, func(t *testing.T) {
			cfg, err := ParseHFConfig(c.Config)
			if err != nil {
				t.Fatal(err)
			}
			r, err := cfg.RoPE(c.SeqLen)
			if err != nil {
				t.Fatal(err)
			}
			y := append([]float32(nil), c.X...)
			if err := r.Apply(y, len(c.Positions), c.NHeads, c.Positions); err != nil {
				t.Fatal(err)
			}
			closeAll(t, "y", y, c.Y, 1e-6, 1e-7)
		})
	}
}

func TestGoldenRoPEMeta(t *testing.T) {
	for _, c := range loadGolden(t).RopeMeta {
		r, err := NewRoPE(c.HeadDim, c.NDims, c.Base, Interleaved)
		if err != nil {
			t.Fatal(err)
		}
		y := append([]float32(nil), c.X...)
		if err := r.Apply(y, len(c.Positions), c.NHeads, c.Positions); err != nil {
			t.Fatal(err)
		}
		closeAll(t, "meta y", y, c.Y, 1e-6, 1e-7)
	}
}

func TestGoldenGGML(t *testing.T) {
	for _, c := range loadGolden(t).GGML {
		t.Run(c.Name, func(t *testing.T) {
			l, err := ParseLayout(c.Mode)
			if err != nil {
				t.Fatal(err)
			}
			p := GGMLParams{NDims: c.NDims, Layout: l, FreqBase: c.FreqBase, FreqScale: c.FreqScale,
				ExtFactor: c.ExtFactor, AttnFactor: c.AttnFactor, BetaFast: c.BetaFast, BetaSlow: c.BetaSlow,
				NCtxOrig: c.NCtxOrig, FreqFactors: c.FreqFactors}
			r, err := p.RoPE(c.HeadDim)
			if err != nil {
				t.Fatal(err)
			}
			y := append([]float32(nil), c.X...)
			if err := r.Apply(y, len(c.Positions), c.NHeads, c.Positions); err != nil {
				t.Fatal(err)
			}
			closeAll(t, "y", y, c.Y, 1e-6, 1e-7)
		})
	}
}

func TestGoldenSinusoidal(t *testing.T) {
	for _, c := range loadGolden(t).Sinusoidal {
		l, err := ParseSinLayout(c.Layout)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Sinusoidal{Dim: c.D, Base: c.Base, Layout: l}.Table(c.Positions)
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, "pe "+c.Layout, y, c.Y, 1e-7, 0)
	}
}
