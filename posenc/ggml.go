package posenc

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/kernel"
)

// GGMLParams are the parameters of ggml's ggml_rope_ext. Its semantics,
// reproduced exactly but in float64: pair i (i < NDims/2) at position p has
//
//	θ_extrap = p · FreqBase^(−2i/NDims) / FreqFactors[i]
//	θ_interp = FreqScale · θ_extrap
//	θ = θ_interp                                   if ExtFactor == 0
//	θ = θ_interp·(1−mix) + θ_extrap·mix           otherwise,
//	    mix = ExtFactor · (1 − clamp((i − lo)/max(0.001, hi − lo), 0, 1))
//
// with [lo, hi] = [YarnCorrDims]; cos θ and sin θ are multiplied by
// AttnFactor, and by 1 + 0.1·ln(1/FreqScale) as well when ExtFactor ≠ 0.
type GGMLParams struct {
	NDims       int       // rotated dimensions (even)
	Layout      Layout    // Interleaved = mode 0 ("normal"), HalfSplit = mode 2 ("neox")
	FreqBase    float64   // θ base, e.g. 10000
	FreqScale   float64   // 1/linear scaling factor
	ExtFactor   float64   // YaRN extrapolation mix; 0 disables YaRN
	AttnFactor  float64   // magnitude multiplier
	BetaFast    float64   // YaRN: rotations at the high-frequency edge (32)
	BetaSlow    float64   // YaRN: rotations at the low-frequency edge (1)
	NCtxOrig    int       // YaRN: original training context
	FreqFactors []float64 // optional, NDims/2 divisors of θ (Llama 3, LongRoPE in llama.cpp)
}

// DefaultGGMLParams returns ggml's defaults: base 10000, freq_scale 1,
// ext_factor 0, attn_factor 1, beta_fast 32, beta_slow 1, n_ctx_orig 0.
func DefaultGGMLParams(nDims int, layout Layout) GGMLParams {
	return GGMLParams{NDims: nDims, Layout: layout, FreqBase: 10000, FreqScale: 1,
		AttnFactor: 1, BetaFast: 32, BetaSlow: 1}
}

// YarnCorrDims returns ggml's YaRN correction range [lo, hi]: the pair
// index d at which a wavelength fits n_rot rotations in nCtxOrig
// positions, d(n_rot) = nDims·ln(nCtxOrig/(2π·n_rot)) / (2·ln base),
// lo = max(0, floor(d(betaFast))), hi = min(nDims−1, ceil(d(betaSlow))).
func YarnCorrDims(nDims, nCtxOrig int, base, betaFast, betaSlow float64) (lo, hi float64) {
	corr := func(nRot float64) float64 {
		return float64(nDims) * math.Log(float64(nCtxOrig)/(nRot*2*math.Pi)) / (2 * math.Log(base))
	}
	lo = cmax(0, math.Floor(corr(betaFast)))
	hi = cmin(float64(nDims-1), math.Ceil(corr(betaSlow)))
	return lo, hi
}

// cmax and cmin are C's MAX/MIN macros (a > b ? a : b), whose NaN
// behaviour differs from math.Max.
func cmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

func cmin(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

// yarnRamp is ggml's rope_yarn_ramp: 1 at low pair indices (keep the
// original frequency), 0 at high ones (interpolate).
func yarnRamp(lo, hi float64, i int) float64 {
	y := (float64(i) - lo) / cmax(0.001, hi-lo)
	return 1 - cmin(1, cmax(0, y))
}

// Validate reports parameters ggml_rope_ext cannot use sensibly. BetaFast
// and BetaSlow are checked only when ExtFactor ≠ 0, the only case they are
// used.
func (p GGMLParams) Validate() error {
	if p.NDims <= 0 || p.NDims%2 != 0 {
		return fmt.Errorf("posenc: ggml n_dims %d must be positive and even", p.NDims)
	}
	if p.NDims > 1<<20 {
		return fmt.Errorf("posenc: ggml n_dims %d too large", p.NDims)
	}
	if p.Layout != Interleaved && p.Layout != HalfSplit {
		return fmt.Errorf("posenc: ggml mode %d unsupported", int(p.Layout))
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"freq_base", p.FreqBase}, {"freq_scale", p.FreqScale}, {"attn_factor", p.AttnFactor}} {
		if err := checkPositive(c.name, c.v); err != nil {
			return err
		}
	}
	if err := checkFinite("ext_factor", p.ExtFactor); err != nil {
		return err
	}
	// The betas only place the YaRN ramp: ggml's plain ggml_rope passes
	// beta_fast = beta_slow = 0 with ext_factor 0, so check them only when
	// YaRN is on.
	if p.ExtFactor != 0 {
		if err := checkPositive("beta_fast", p.BetaFast); err != nil {
			return err
		}
		if err := checkPositive("beta_slow", p.BetaSlow); err != nil {
			return err
		}
	}
	if p.NCtxOrig < 0 {
		return fmt.Errorf("posenc: n_ctx_orig %d must not be negative", p.NCtxOrig)
	}
	if p.FreqFactors != nil {
		if len(p.FreqFactors) != p.NDims/2 {
			return fmt.Errorf("posenc: %d freq_factors for n_dims %d (want %d)", len(p.FreqFactors), p.NDims, p.NDims/2)
		}
		for i, f := range p.FreqFactors {
			if err := checkPositive(fmt.Sprintf("freq_factors[%d]", i), f); err != nil {
				return err
			}
		}
	}
	return nil
}

// RoPE returns the rotation ggml_rope_ext performs on heads of size
// headDim: the effective per-pair inverse frequencies (θ/p from the
// formula above, exact because the YaRN mix is linear in p) and the
// magnitude.
func (p GGMLParams) RoPE(headDim int) (*RoPE, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.NDims > headDim {
		return nil, fmt.Errorf("posenc: n_dims %d exceeds head dim %d", p.NDims, headDim)
	}
	half := p.NDims / 2
	var lo, hi float64
	scale := p.AttnFactor
	if p.ExtFactor != 0 {
		lo, hi = YarnCorrDims(p.NDims, p.NCtxOrig, p.FreqBase, p.BetaFast, p.BetaSlow)
		scale *= 1 + 0.1*math.Log(1/p.FreqScale)
	}
	f := make([]float64, half)
	for i := range f {
		extrap := math.Pow(p.FreqBase, -float64(2*i)/float64(p.NDims))
		if p.FreqFactors != nil {
			extrap /= p.FreqFactors[i]
		}
		interp := p.FreqScale * extrap
		if p.ExtFactor == 0 {
			f[i] = interp
			continue
		}
		mix := yarnRamp(lo, hi, i) * p.ExtFactor
		f[i] = interp*(1-mix) + extrap*mix
	}
	r := &RoPE{Dim: headDim, NDims: p.NDims, Layout: p.Layout, InvFreq: f, Scale: scale}
	return r, r.Validate()
}

// Table returns the cos/sin table of positions [0, maxPos) for heads of
// size headDim as ggml's CPU rope computes it, in float32, and rotates with
// its rounding (Table.GGML), so that the rotated queries and keys equal
// llama.cpp's bit for bit:
//
//	θ₀ = float32(p),  θᵢ₊₁ = θᵢ · float32(FreqBase^(−2/NDims))   (float32 products)
//	cos, sin = float32(cos(FreqScale·θᵢ/FreqFactors[i])) · AttnFactor, likewise sin
//
// With YaRN (ExtFactor ≠ 0) it is RoPE(headDim).NewTable(maxPos): the
// float64 rotation.
func (p GGMLParams) Table(headDim, maxPos int) (*Table, error) {
	r, err := p.RoPE(headDim)
	if err != nil || p.ExtFactor != 0 {
		if err != nil {
			return nil, err
		}
		return r.NewTable(maxPos)
	}
	half := p.NDims / 2
	if maxPos < 0 || maxPos > MaxPosition || maxPos > maxTableEntries/half {
		return nil, fmt.Errorf("posenc: table of %d positions × %d pairs is out of range", maxPos, half)
	}
	t := &Table{Dim: headDim, NDims: p.NDims, Layout: p.Layout, MaxPos: maxPos, GGML: true,
		Cos: make([]float32, maxPos*half), Sin: make([]float32, maxPos*half)}
	// step is the correctly rounded power, which glibc's powf returned
	// for all but one of 3072 bases and dimensions tried (40000, 118);
	// glibc's sincosf is not correctly rounded (see sincosf).
	step := float32(math.Pow(float64(float32(p.FreqBase)), float64(-2/float32(p.NDims))))
	fs, mag := float32(p.FreqScale), float32(p.AttnFactor)
	for pos := 0; pos < maxPos; pos++ {
		theta := float32(pos)
		for i := 0; i < half; i++ {
			th := theta
			if p.FreqFactors != nil {
				th /= float32(p.FreqFactors[i])
			}
			sn, c := sincosf(fs * th)
			t.Cos[pos*half+i] = c * mag
			t.Sin[pos*half+i] = sn * mag
			theta *= step
		}
	}
	return t, nil
}

// applyGGML is Apply for a GGML table.
func (t *Table) applyGGML(x []float32, nTokens, nHeads int, pos []int) {
	half := t.NDims / 2
	for tok := 0; tok < nTokens; tok++ {
		cos := t.Cos[pos[tok]*half : (pos[tok]+1)*half]
		sin := t.Sin[pos[tok]*half : (pos[tok]+1)*half]
		row := x[tok*nHeads*t.Dim : (tok+1)*nHeads*t.Dim]
		for h := 0; h < nHeads; h++ {
			v := row[h*t.Dim : (h+1)*t.Dim]
			i0, i1 := 0, half // the pair (i0+i, i1+i) or (2i, 2i+1)
			step := 1
			if t.Layout == Interleaved {
				i0, i1, step = 0, 1, 2
			}
			for i, c := range cos[:half] {
				s := sin[i]
				p, q := i0+step*i, i1+step*i
				a, b := v[p], v[q]
				// fma(a, c, −float32(b·s)), fma(a, s, float32(b·c)): the
				// float64 sums are exact but for their rounding, which is
				// float32's own unless it ties (kernel.FMA32 then).
				y0 := float64(a)*float64(c) - float64(b*s)
				y1 := float64(a)*float64(s) + float64(b*c)
				v[p], v[q] = float32(y0), float32(y1)
				if math.Float64bits(y0)&(1<<29-1) == 1<<28 || math.Float64bits(y1)&(1<<29-1) == 1<<28 ||
					!(y0 >= 0x1p-126 || y0 <= -0x1p-126) || !(y1 >= 0x1p-126 || y1 <= -0x1p-126) {
					v[p], v[q] = kernel.FMA32(a, c, -(b*s)), kernel.FMA32(a, s, b*c)
				}
			}
		}
	}
}
