package posenc

import (
	"math"
	"testing"
)

// FuzzHFConfig: any JSON config either errors or gives finite positive
// frequencies of the right length, never a panic.
func FuzzHFConfig(f *testing.F) {
	for _, s := range []string{
		`{"head_dim": 64, "rope_theta": 10000}`,
		`{"head_dim": 64, "max_position_embeddings": 4096, "rope_scaling": {"rope_type": "yarn", "factor": 4, "truncate": false}}`,
		`{"head_dim": 64, "max_position_embeddings": 163840, "rope_scaling": {"rope_type": "yarn", "factor": 40, "mscale": 1, "mscale_all_dim": 1, "original_max_position_embeddings": 4096}}`,
		`{"head_dim": 4, "max_position_embeddings": 100, "original_max_position_embeddings": 10, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, 2], "long_factor": [3, 4]}}`,
		`{"head_dim": 64, "rope_scaling": {"type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 8192}}`,
		`{"head_dim": 10, "max_position_embeddings": 2048, "rope_scaling": {"rope_type": "dynamic", "factor": 2}}`,
		`{"head_dim": 6, "partial_rotary_factor": 0.5}`,
		`{}`, `[`,
	} {
		f.Add([]byte(s), 5000)
	}
	f.Fuzz(func(t *testing.T, data []byte, seqLen int) {
		c, err := ParseHFConfig(data)
		if err != nil {
			return
		}
		inv, attn, err := c.InvFreq(seqLen)
		if err != nil {
			return
		}
		dim, err := c.RotaryDims()
		if err != nil || len(inv) != dim/2 {
			t.Fatalf("%d frequencies for rotary dims %d (%v)", len(inv), dim, err)
		}
		if math.IsNaN(attn) || math.IsInf(attn, 0) || attn <= 0 {
			t.Fatalf("attention factor %v from %s", attn, data)
		}
		for _, v := range inv {
			if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
				t.Fatalf("frequency %v from %s", v, data)
			}
		}
	})
}

// FuzzGGMLApply: arbitrary rope_ext parameters never panic, and when
// accepted, rotation with magnitude 1 preserves the norm.
func FuzzGGMLApply(f *testing.F) {
	f.Add(8, 16, true, 10000.0, 1.0, 0.0, 1.0, 32.0, 1.0, 0, 5)
	f.Add(16, 16, false, 500000.0, 0.25, 1.0, 1.0, 32.0, 1.0, 4096, 70000)
	f.Add(7, 8, false, 10000.0, 1.0, 0.0, 1.0, 32.0, 1.0, 0, -3)
	f.Fuzz(func(t *testing.T, nDims, headDim int, neox bool, base, fs, ext, attn, bf, bs float64, nCtx, pos int) {
		if headDim < 0 || headDim > 256 {
			return
		}
		p := GGMLParams{NDims: nDims, FreqBase: base, FreqScale: fs, ExtFactor: ext, AttnFactor: attn,
			BetaFast: bf, BetaSlow: bs, NCtxOrig: nCtx}
		if neox {
			p.Layout = HalfSplit
		}
		r, err := p.RoPE(headDim)
		if err != nil {
			return
		}
		x := make([]float32, headDim)
		for i := range x {
			x[i] = float32(i%5) - 2
		}
		n0 := dot(x, x)
		if err := r.Apply(x, 1, 1, []int{pos}); err != nil {
			return
		}
		if ext == 0 && attn == 1 && math.Abs(dot(x, x)-n0) > 1e-5*(1+n0) {
			t.Fatalf("norm %v -> %v", n0, dot(x, x))
		}
	})
}
