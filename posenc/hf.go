package posenc

import (
	"encoding/json"
	"fmt"
	"math"
)

// HFRopeScaling is the rope_scaling block of a Hugging Face config.json.
// Pointer fields are nil when the key is absent or null, mirroring
// Python's dict.get.
type HFRopeScaling struct {
	// Type is "default", "linear", "dynamic", "yarn", "longrope" or
	// "llama3", read from rope_type or, for old configs, type.
	Type                          string
	RopeTheta                     *float64  `json:"rope_theta"` // transformers v5 rope_parameters; overrides HFConfig.RopeTheta
	Factor                        *float64  `json:"factor"`
	AttentionFactor               *float64  `json:"attention_factor"`
	BetaFast                      *float64  `json:"beta_fast"`
	BetaSlow                      *float64  `json:"beta_slow"`
	Mscale                        *float64  `json:"mscale"`
	MscaleAllDim                  *float64  `json:"mscale_all_dim"`
	Truncate                      *bool     `json:"truncate"`
	OriginalMaxPositionEmbeddings *float64  `json:"original_max_position_embeddings"`
	LowFreqFactor                 *float64  `json:"low_freq_factor"`
	HighFreqFactor                *float64  `json:"high_freq_factor"`
	ShortFactor                   []float64 `json:"short_factor"`
	LongFactor                    []float64 `json:"long_factor"`
}

// UnmarshalJSON reads rope_type, falling back to the legacy key type.
func (s *HFRopeScaling) UnmarshalJSON(b []byte) error {
	type plain HFRopeScaling
	var aux struct {
		plain
		RopeType *string `json:"rope_type"`
		OldType  *string `json:"type"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("posenc: rope_scaling: %w", err)
	}
	*s = HFRopeScaling(aux.plain)
	switch {
	case aux.RopeType != nil:
		s.Type = *aux.RopeType
	case aux.OldType != nil:
		s.Type = *aux.OldType
	}
	return nil
}

// HFConfig holds the fields of a Hugging Face model config that determine
// its rotary embedding. HeadDim is the head size (or hidden_size /
// num_attention_heads when the config has no head_dim).
type HFConfig struct {
	RopeTheta                     *float64       `json:"rope_theta"`                       // default 10000
	HeadDim                       int            `json:"head_dim"`                         // required
	PartialRotaryFactor           *float64       `json:"partial_rotary_factor"`            // default 1
	MaxPositionEmbeddings         int            `json:"max_position_embeddings"`          // needed by dynamic, yarn with original_max_position_embeddings, longrope
	OriginalMaxPositionEmbeddings int            `json:"original_max_position_embeddings"` // top-level: LongRoPE (Phi-3)
	HiddenSize                    int            `json:"hidden_size"`                      // used when HeadDim is 0
	NumAttentionHeads             int            `json:"num_attention_heads"`              // used when HeadDim is 0
	RopeScaling                   *HFRopeScaling `json:"rope_scaling"`
}

// UnmarshalJSON also accepts transformers v5's rope_parameters in place of
// rope_scaling.
func (c *HFConfig) UnmarshalJSON(b []byte) error {
	type plain HFConfig
	var aux struct {
		plain
		RopeParameters *HFRopeScaling `json:"rope_parameters"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*c = HFConfig(aux.plain)
	if c.RopeScaling == nil {
		c.RopeScaling = aux.RopeParameters
	}
	return nil
}

// ParseHFConfig reads the rotary fields of a config.json.
func ParseHFConfig(data []byte) (HFConfig, error) {
	var c HFConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return HFConfig{}, fmt.Errorf("posenc: parse HF config: %w", err)
	}
	return c, nil
}

// RotaryDims returns int(head_dim · partial_rotary_factor), as
// transformers computes it.
func (c HFConfig) RotaryDims() (int, error) {
	hd := c.HeadDim
	if hd == 0 && c.NumAttentionHeads > 0 {
		hd = c.HiddenSize / c.NumAttentionHeads
	}
	if hd <= 0 || hd > 1<<20 {
		return 0, fmt.Errorf("posenc: head_dim %d out of range", hd)
	}
	prf := 1.0
	if c.PartialRotaryFactor != nil {
		prf = *c.PartialRotaryFactor
		if math.IsNaN(prf) || prf <= 0 || prf > 1 {
			return 0, fmt.Errorf("posenc: partial_rotary_factor %v must be in (0, 1]", prf)
		}
	}
	dim := int(float64(hd) * prf)
	if dim <= 0 || dim%2 != 0 {
		return 0, fmt.Errorf("posenc: rotary dims int(%d × %v) = %d must be positive and even", hd, prf, dim)
	}
	return dim, nil
}

func (c HFConfig) headDim() int {
	if c.HeadDim == 0 && c.NumAttentionHeads > 0 {
		return c.HiddenSize / c.NumAttentionHeads
	}
	return c.HeadDim
}

// RopeType returns the effective rope type ("default" without scaling).
func (c HFConfig) RopeType() string {
	if c.RopeScaling == nil || c.RopeScaling.Type == "" {
		return "default"
	}
	return c.RopeScaling.Type
}

func needFactor(s *HFRopeScaling, typ string) (float64, error) {
	if s.Factor == nil {
		return 0, fmt.Errorf("posenc: rope_scaling type %q needs factor", typ)
	}
	if err := checkPositive("rope_scaling factor", *s.Factor); err != nil {
		return 0, err
	}
	return *s.Factor, nil
}

// InvFreq returns the inverse frequencies (length RotaryDims/2) and the
// attention factor (the magnitude applied to cos and sin) that
// transformers' modeling_rope_utils computes for this config. seqLen is
// the current sequence length (max position + 1); it matters only for
// "dynamic" (NTK base grows once seqLen exceeds max_position_embeddings)
// and "longrope" (long factors once seqLen exceeds the original context);
// 0 means unknown (initialisation).
//
// YaRN follows the later transformers releases (4.5x): mscale and
// mscale_all_dim select the attention factor, truncate (default true)
// rounds the correction range, and original_max_position_embeddings inside
// rope_scaling is the context of the correction range and replaces the
// factor by max_position_embeddings/original (v5 keeps a given factor and
// uses the ratio only when factor is absent; that case is accepted too).
// LongRoPE's original context is the top-level
// original_max_position_embeddings (which also sets the factor to the
// context ratio), else the one in rope_scaling (v5), else
// max_position_embeddings.
func (c HFConfig) InvFreq(seqLen int) (invFreq []float64, attentionFactor float64, err error) {
	base := 10000.0
	if c.RopeTheta != nil {
		base = *c.RopeTheta
	}
	if c.RopeScaling != nil && c.RopeScaling.RopeTheta != nil {
		base = *c.RopeScaling.RopeTheta
	}
	if err := checkPositive("rope_theta", base); err != nil {
		return nil, 0, err
	}
	dim, err := c.RotaryDims()
	if err != nil {
		return nil, 0, err
	}
	if seqLen < 0 {
		return nil, 0, fmt.Errorf("posenc: seq_len %d must not be negative", seqLen)
	}
	std := func(b float64) []float64 {
		f := make([]float64, dim/2)
		for i := range f {
			f[i] = 1 / math.Pow(b, float64(2*i)/float64(dim))
		}
		return f
	}
	s := c.RopeScaling
	typ := c.RopeType()
	switch typ {
	case "default":
		return std(base), 1, nil
	case "linear":
		factor, err := needFactor(s, typ)
		if err != nil {
			return nil, 0, err
		}
		f := std(base)
		for i := range f {
			f[i] /= factor
		}
		return f, 1, nil
	case "dynamic":
		factor, err := needFactor(s, typ)
		if err != nil {
			return nil, 0, err
		}
		maxPos := c.MaxPositionEmbeddings
		if maxPos <= 0 {
			return nil, 0, fmt.Errorf("posenc: dynamic rope needs max_position_embeddings > 0")
		}
		if dim == 2 {
			return nil, 0, fmt.Errorf("posenc: dynamic rope needs more than 2 rotary dims")
		}
		sl := maxPos
		if seqLen > maxPos {
			sl = seqLen
		}
		b := base * math.Pow(factor*float64(sl)/float64(maxPos)-(factor-1), float64(dim)/float64(dim-2))
		if err := checkPositive("dynamic NTK base", b); err != nil {
			return nil, 0, err
		}
		return std(b), 1, nil
	case "yarn":
		return c.yarn(base, dim)
	case "longrope":
		return c.longrope(base, dim, seqLen)
	case "llama3":
		return c.llama3(base, dim)
	}
	return nil, 0, fmt.Errorf("posenc: unknown rope type %q (want default, linear, dynamic, yarn, longrope or llama3)", typ)
}

func (c HFConfig) yarn(base float64, dim int) ([]float64, float64, error) {
	s := c.RopeScaling
	var factor float64
	if s.Factor != nil || s.OriginalMaxPositionEmbeddings == nil {
		// transformers ≤ 4.5x require factor; v5 derives it from the
		// context ratio when it is absent (below).
		f, err := needFactor(s, "yarn")
		if err != nil {
			return nil, 0, err
		}
		factor = f
	}
	orig := float64(c.MaxPositionEmbeddings)
	if s.OriginalMaxPositionEmbeddings != nil {
		orig = *s.OriginalMaxPositionEmbeddings
		if err := checkPositive("original_max_position_embeddings", orig); err != nil {
			return nil, 0, err
		}
		if c.MaxPositionEmbeddings <= 0 {
			return nil, 0, fmt.Errorf("posenc: yarn with original_max_position_embeddings needs max_position_embeddings")
		}
		factor = float64(c.MaxPositionEmbeddings) / orig
	}
	if orig <= 0 {
		return nil, 0, fmt.Errorf("posenc: yarn needs max_position_embeddings > 0")
	}
	mscale := func(scale, m float64) float64 {
		if scale <= 1 {
			return 1
		}
		return 0.1*m*math.Log(scale) + 1
	}
	var attn float64
	switch {
	case s.AttentionFactor != nil:
		attn = *s.AttentionFactor
	case s.Mscale != nil && *s.Mscale != 0 && s.MscaleAllDim != nil && *s.MscaleAllDim != 0:
		attn = mscale(factor, *s.Mscale) / mscale(factor, *s.MscaleAllDim)
	default:
		attn = mscale(factor, 1)
	}
	if err := checkFinite("attention_factor", attn); err != nil {
		return nil, 0, err
	}
	betaFast, betaSlow := 32.0, 1.0
	if s.BetaFast != nil && *s.BetaFast != 0 {
		betaFast = *s.BetaFast
	}
	if s.BetaSlow != nil && *s.BetaSlow != 0 {
		betaSlow = *s.BetaSlow
	}
	if err := checkPositive("beta_fast", betaFast); err != nil {
		return nil, 0, err
	}
	if err := checkPositive("beta_slow", betaSlow); err != nil {
		return nil, 0, err
	}
	corr := func(nRot float64) float64 {
		return float64(dim) * math.Log(orig/(nRot*2*math.Pi)) / (2 * math.Log(base))
	}
	lo, hi := corr(betaFast), corr(betaSlow)
	if s.Truncate == nil || *s.Truncate {
		lo, hi = math.Floor(lo), math.Ceil(hi)
	}
	lo = math.Max(lo, 0)
	hi = math.Min(hi, float64(dim-1))
	if lo == hi {
		hi += 0.001
	}
	f := make([]float64, dim/2)
	for i := range f {
		pf := math.Pow(base, float64(2*i)/float64(dim))
		extrap, interp := 1/pf, 1/(factor*pf)
		ramp := math.Min(math.Max((float64(i)-lo)/(hi-lo), 0), 1)
		keep := 1 - ramp // extrapolation weight
		f[i] = interp*(1-keep) + extrap*keep
	}
	return f, attn, nil
}

func (c HFConfig) longrope(base float64, dim, seqLen int) ([]float64, float64, error) {
	s := c.RopeScaling
	if s.ShortFactor == nil || s.LongFactor == nil {
		return nil, 0, fmt.Errorf("posenc: longrope needs short_factor and long_factor")
	}
	if len(s.ShortFactor) != dim/2 || len(s.LongFactor) != dim/2 {
		return nil, 0, fmt.Errorf("posenc: longrope factors have lengths %d and %d, want %d", len(s.ShortFactor), len(s.LongFactor), dim/2)
	}
	var factor *float64
	if s.Factor != nil {
		f := *s.Factor
		factor = &f
	}
	orig := float64(c.MaxPositionEmbeddings)
	switch {
	case c.OriginalMaxPositionEmbeddings != 0:
		// Phi-3: the top-level original context wins and the factor is
		// the context ratio.
		if c.OriginalMaxPositionEmbeddings < 0 || c.MaxPositionEmbeddings <= 0 {
			return nil, 0, fmt.Errorf("posenc: longrope needs positive max_position_embeddings and original_max_position_embeddings")
		}
		orig = float64(c.OriginalMaxPositionEmbeddings)
		f := float64(c.MaxPositionEmbeddings) / orig
		factor = &f
	case s.OriginalMaxPositionEmbeddings != nil:
		// transformers v5 reads it from rope_parameters; the ratio is
		// used only when factor is absent.
		orig = *s.OriginalMaxPositionEmbeddings
		if err := checkPositive("original_max_position_embeddings", orig); err != nil {
			return nil, 0, err
		}
		if factor == nil && c.MaxPositionEmbeddings > 0 {
			f := float64(c.MaxPositionEmbeddings) / orig
			factor = &f
		}
	}
	var attn float64
	switch {
	case s.AttentionFactor != nil:
		attn = *s.AttentionFactor
	case factor == nil:
		return nil, 0, fmt.Errorf("posenc: longrope needs factor, attention_factor or original_max_position_embeddings")
	case *factor <= 1:
		attn = 1
	default:
		if orig <= 1 {
			return nil, 0, fmt.Errorf("posenc: longrope needs max_position_embeddings > 1")
		}
		attn = math.Sqrt(1 + math.Log(*factor)/math.Log(orig))
	}
	if err := checkFinite("attention_factor", attn); err != nil {
		return nil, 0, err
	}
	ext := s.ShortFactor
	if seqLen > 0 && float64(seqLen) > orig {
		ext = s.LongFactor
	}
	f := make([]float64, dim/2)
	for i := range f {
		if err := checkPositive("longrope factor", ext[i]); err != nil {
			return nil, 0, err
		}
		f[i] = 1 / (ext[i] * math.Pow(base, float64(2*i)/float64(dim)))
	}
	return f, attn, nil
}

func (c HFConfig) llama3(base float64, dim int) ([]float64, float64, error) {
	s := c.RopeScaling
	factor, err := needFactor(s, "llama3")
	if err != nil {
		return nil, 0, err
	}
	if s.LowFreqFactor == nil || s.HighFreqFactor == nil {
		return nil, 0, fmt.Errorf("posenc: llama3 rope needs low_freq_factor and high_freq_factor")
	}
	low, high := *s.LowFreqFactor, *s.HighFreqFactor
	var old float64
	switch {
	case s.OriginalMaxPositionEmbeddings != nil:
		old = *s.OriginalMaxPositionEmbeddings
	case c.OriginalMaxPositionEmbeddings > 0:
		old = float64(c.OriginalMaxPositionEmbeddings)
	default:
		return nil, 0, fmt.Errorf("posenc: llama3 rope needs original_max_position_embeddings")
	}
	if err := checkPositive("original_max_position_embeddings", old); err != nil {
		return nil, 0, err
	}
	if err := checkPositive("low_freq_factor", low); err != nil {
		return nil, 0, err
	}
	if err := checkPositive("high_freq_factor", high); err != nil {
		return nil, 0, err
	}
	if high <= low {
		return nil, 0, fmt.Errorf("posenc: llama3 high_freq_factor %v must exceed low_freq_factor %v", high, low)
	}
	f, _ := InvFreqs(base, dim)
	lowWave, highWave := old/low, old/high
	for i, inv := range f {
		wave := 2 * math.Pi / inv
		switch {
		case wave < highWave:
			// high frequency: keep
		case wave > lowWave:
			f[i] = inv / factor
		default:
			smooth := (old/wave - low) / (high - low)
			f[i] = (1-smooth)*inv/factor + smooth*inv
		}
	}
	return f, 1, nil
}

// RoPE returns the Hugging Face rotation for this config at sequence
// length seqLen: half-split layout (rotate_half), InvFreq and the
// attention factor as Scale.
func (c HFConfig) RoPE(seqLen int) (*RoPE, error) {
	f, attn, err := c.InvFreq(seqLen)
	if err != nil {
		return nil, err
	}
	r := &RoPE{Dim: c.headDim(), NDims: 2 * len(f), Layout: HalfSplit, InvFreq: f, Scale: attn}
	if attn == 0 {
		return nil, fmt.Errorf("posenc: attention factor 0 is not supported")
	}
	return r, r.Validate()
}

// Llama3FreqFactors returns the per-pair divisors ggml applies for Llama 3
// scaling (llama.cpp's rope_freqs tensor): InvFreqs(base, nDims)[i] /
// llama3InvFreq[i]. With freq_scale 1 and ext_factor 0, ggml_rope_ext with
// these factors equals the Hugging Face "llama3" rope.
func Llama3FreqFactors(base float64, nDims int, factor, lowFreqFactor, highFreqFactor float64, originalContext int) ([]float64, error) {
	o := float64(originalContext)
	c := HFConfig{RopeTheta: &base, HeadDim: nDims, RopeScaling: &HFRopeScaling{Type: "llama3",
		Factor: &factor, LowFreqFactor: &lowFreqFactor, HighFreqFactor: &highFreqFactor, OriginalMaxPositionEmbeddings: &o}}
	scaled, _, err := c.InvFreq(0)
	if err != nil {
		return nil, err
	}
	plain, err := InvFreqs(base, nDims)
	if err != nil {
		return nil, err
	}
	for i := range plain {
		plain[i] /= scaled[i]
	}
	return plain, nil
}
