package op

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/posenc"
)

func init() {
	Register("rope", ropeOp)
	Register("rope_freqs", ropeFreqsOp)
}

// ropeOp applies ggml_rope_ext semantics, computed exactly (float64
// angles and cos/sin, float32 in and out):
//
//	{"op":"rope","head_dim":…,"n_heads":…,"n_tokens":…,"n_dims":…,
//	 "mode":"normal"|"neox"|0|2,"positions":[…],"freq_base":…,
//	 "freq_scale":…,"ext_factor":…,"attn_factor":…,"beta_fast":…,
//	 "beta_slow":…,"n_ctx_orig":…,"freq_factors":[…],"x":[…]} → {"y":[…]}
//
// x is [token][head][dim]. Defaults: n_dims = head_dim, mode normal,
// freq_base 10000, freq_scale 1, ext_factor 0, attn_factor 1, beta_fast
// 32, beta_slow 1, n_ctx_orig 0, no freq_factors. beta_fast and beta_slow
// are checked only when ext_factor ≠ 0 (ggml's plain ggml_rope passes 0 for
// both). An optional "dy" (same
// shape as x) adds "dx", the gradient (rotation by the negative angle).
func ropeOp(req *Request) (map[string]any, error) {
	headDim, err := req.Int("head_dim")
	if err != nil {
		return nil, err
	}
	nHeads, err := req.Int("n_heads")
	if err != nil {
		return nil, err
	}
	nTokens, err := req.Int("n_tokens")
	if err != nil {
		return nil, err
	}
	if headDim <= 0 || nHeads < 0 || nTokens < 0 {
		return nil, fmt.Errorf("head_dim %d must be positive, n_heads %d and n_tokens %d non-negative", headDim, nHeads, nTokens)
	}
	p := posenc.DefaultGGMLParams(headDim, posenc.Interleaved)
	if p.NDims, err = req.IntOr("n_dims", headDim); err != nil {
		return nil, err
	}
	if p.Layout, err = readMode(req); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"freq_base", &p.FreqBase}, {"freq_scale", &p.FreqScale}, {"ext_factor", &p.ExtFactor},
		{"attn_factor", &p.AttnFactor}, {"beta_fast", &p.BetaFast}, {"beta_slow", &p.BetaSlow}} {
		if *f.dst, err = req.FloatOr(f.name, *f.dst); err != nil {
			return nil, err
		}
	}
	if p.NCtxOrig, err = req.IntOr("n_ctx_orig", 0); err != nil {
		return nil, err
	}
	if p.FreqFactors, err = req.Float64sOr("freq_factors"); err != nil {
		return nil, err
	}
	if len(p.FreqFactors) == 0 {
		p.FreqFactors = nil // [] means none, like null
	}
	pos, err := req.Ints("positions")
	if err != nil {
		return nil, err
	}
	x, err := req.Float32s("x")
	if err != nil {
		return nil, err
	}
	dy, err := req.Float32sOr("dy")
	if err != nil {
		return nil, err
	}
	r, err := p.RoPE(headDim)
	if err != nil {
		return nil, err
	}
	if err := r.Apply(x, nTokens, nHeads, pos); err != nil {
		return nil, err
	}
	out := map[string]any{"y": x}
	if dy != nil {
		if len(dy) != len(x) {
			return nil, fmt.Errorf("len(dy) = %d, want len(x) = %d", len(dy), len(x))
		}
		if err := r.Backward(dy, nTokens, nHeads, pos); err != nil {
			return nil, err
		}
		out["dx"] = dy
	}
	return out, nil
}

// readMode accepts "normal"/"neox" (and the other names of
// posenc.ParseLayout) or ggml's integer modes 0 and 2.
func readMode(req *Request) (posenc.Layout, error) {
	if !req.Has("mode") {
		_, _ = req.StringOr("mode", "") // mark a null mode as read
		return posenc.Interleaved, nil
	}
	if s, err := req.String("mode"); err == nil {
		return posenc.ParseLayout(s)
	}
	m, err := req.Int("mode")
	if err != nil {
		return 0, fmt.Errorf("field \"mode\": want \"normal\", \"neox\", 0 or 2")
	}
	switch m {
	case 0:
		return posenc.Interleaved, nil
	case 2:
		return posenc.HalfSplit, nil
	}
	return 0, fmt.Errorf("mode %d unsupported (want 0 normal or 2 neox)", m)
}

// ropeFreqsOp returns Hugging Face's inverse frequencies and attention
// factor (transformers' modeling_rope_utils, computed in float64):
//
//	{"op":"rope_freqs","head_dim":…,"rope_theta":…,"partial_rotary_factor":…,
//	 "max_position_embeddings":…,"original_max_position_embeddings":…,
//	 "seq_len":…,"rope_scaling":{…}|null} → {"inv_freq":[…],"attention_factor":…}
//
// head_dim may be replaced by hidden_size and num_attention_heads.
// rope_scaling (or rope_parameters) holds rope_type (or type), factor,
// attention_factor, beta_fast, beta_slow, mscale, mscale_all_dim,
// truncate, original_max_position_embeddings, low_freq_factor,
// high_freq_factor, short_factor, long_factor and, as in transformers v5,
// rope_theta. Keys transformers ignores (finetuned, mrope_section,
// mrope_interleaved) are accepted and ignored.
func ropeFreqsOp(req *Request) (map[string]any, error) {
	var c posenc.HFConfig
	var err error
	if c.HeadDim, err = req.IntOr("head_dim", 0); err != nil {
		return nil, err
	}
	// Without head_dim, transformers uses hidden_size // num_attention_heads.
	if c.HiddenSize, err = req.IntOr("hidden_size", 0); err != nil {
		return nil, err
	}
	if c.NumAttentionHeads, err = req.IntOr("num_attention_heads", 0); err != nil {
		return nil, err
	}
	if c.HeadDim == 0 && c.NumAttentionHeads <= 0 {
		return nil, fmt.Errorf("missing field \"head_dim\" (or hidden_size and num_attention_heads)")
	}
	if c.RopeTheta, err = optFloat(req, "rope_theta"); err != nil {
		return nil, err
	}
	if c.PartialRotaryFactor, err = optFloat(req, "partial_rotary_factor"); err != nil {
		return nil, err
	}
	if c.MaxPositionEmbeddings, err = req.IntOr("max_position_embeddings", 0); err != nil {
		return nil, err
	}
	if c.OriginalMaxPositionEmbeddings, err = req.IntOr("original_max_position_embeddings", 0); err != nil {
		return nil, err
	}
	seqLen, err := req.IntOr("seq_len", 0)
	if err != nil {
		return nil, err
	}
	sub, err := req.Object("rope_scaling")
	if err != nil {
		return nil, err
	}
	if sub == nil {
		if sub, err = req.Object("rope_parameters"); err != nil {
			return nil, err
		}
	} else if req.Has("rope_parameters") {
		return nil, fmt.Errorf("give rope_scaling or rope_parameters, not both")
	}
	if sub != nil {
		if c.RopeScaling, err = readRopeScaling(sub); err != nil {
			return nil, err
		}
	}
	inv, attn, err := c.InvFreq(seqLen)
	if err != nil {
		return nil, err
	}
	return map[string]any{"inv_freq": inv, "attention_factor": attn}, nil
}

func optFloat(req *Request, field string) (*float64, error) {
	if !req.Has(field) {
		_, err := req.FloatOr(field, 0)
		return nil, err
	}
	v, err := req.Float(field)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func readRopeScaling(sub *Request) (*posenc.HFRopeScaling, error) {
	s := &posenc.HFRopeScaling{}
	var err error
	typ, err := sub.StringOr("rope_type", "")
	if err != nil {
		return nil, err
	}
	old, err := sub.StringOr("type", "")
	if err != nil {
		return nil, err
	}
	if s.Type = typ; s.Type == "" {
		s.Type = old
	}
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"factor", &s.Factor}, {"attention_factor", &s.AttentionFactor}, {"beta_fast", &s.BetaFast},
		{"beta_slow", &s.BetaSlow}, {"mscale", &s.Mscale}, {"mscale_all_dim", &s.MscaleAllDim},
		{"original_max_position_embeddings", &s.OriginalMaxPositionEmbeddings},
		{"low_freq_factor", &s.LowFreqFactor}, {"high_freq_factor", &s.HighFreqFactor},
		{"rope_theta", &s.RopeTheta}} {
		if *f.dst, err = optFloat(sub, f.name); err != nil {
			return nil, err
		}
	}
	if sub.Has("truncate") {
		t, err := sub.Bool("truncate")
		if err != nil {
			return nil, err
		}
		s.Truncate = &t
	} else if _, err := sub.BoolOr("truncate", true); err != nil {
		return nil, err
	}
	if s.ShortFactor, err = sub.Float64sOr("short_factor"); err != nil {
		return nil, err
	}
	if s.LongFactor, err = sub.Float64sOr("long_factor"); err != nil {
		return nil, err
	}
	for _, k := range []string{"finetuned", "mrope_section", "mrope_interleaved"} {
		sub.get(k) // ignored by transformers' rope computation
	}
	for _, v := range []*float64{s.Factor, s.AttentionFactor, s.BetaFast, s.BetaSlow, s.Mscale, s.MscaleAllDim} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return nil, fmt.Errorf("rope_scaling: non-finite parameter %v", *v)
		}
	}
	return s, nil
}
