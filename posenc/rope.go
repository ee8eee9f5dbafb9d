package posenc

import (
	"errors"
	"fmt"
	"math"
)

// MaxPosition bounds the absolute value of any position accepted by this
// package. Positions are converted to float64 angles; up to 2³⁰ the angle
// m·θ is still exact to about 1e-7 radians.
const MaxPosition = 1 << 30

// maxTableEntries bounds the size of tables built by this package
// (positions × dimensions), so bad input cannot ask for a huge allocation.
const maxTableEntries = 1 << 25

// Layout says which coordinates of a head form a rotated pair.
type Layout int

const (
	// Interleaved rotates adjacent pairs (2i, 2i+1): Meta's Llama code,
	// GPT-J, and ggml's "normal" mode (mode 0).
	Interleaved Layout = iota
	// HalfSplit rotates pairs (i, i+n/2) with n the rotary dimensions:
	// GPT-NeoX, Hugging Face's rotate_half, and ggml's NeoX mode (mode 2).
	HalfSplit
)

// String returns "normal" for Interleaved and "neox" for HalfSplit, the
// names ggml uses.
func (l Layout) String() string {
	switch l {
	case Interleaved:
		return "normal"
	case HalfSplit:
		return "neox"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ParseLayout maps "normal"/"interleaved"/"meta"/"gptj" to Interleaved and
// "neox"/"half"/"halfsplit"/"hf" to HalfSplit.
func ParseLayout(s string) (Layout, error) {
	switch s {
	case "normal", "interleaved", "meta", "gptj":
		return Interleaved, nil
	case "neox", "half", "halfsplit", "hf":
		return HalfSplit, nil
	}
	return 0, fmt.Errorf("posenc: unknown rope layout %q (want \"normal\" or \"neox\")", s)
}

// QKEncoder is a position encoding applied to queries and keys in place.
// x is laid out [token][head][HeadDim()] and pos gives each token's
// position.
type QKEncoder interface {
	// Apply encodes x in place.
	Apply(x []float32, nTokens, nHeads int, pos []int) error
	// Backward maps the gradient with respect to the output to the
	// gradient with respect to the input, in place.
	Backward(dx []float32, nTokens, nHeads int, pos []int) error
	// HeadDim is the size of one head vector.
	HeadDim() int
}

// RoPE is a rotary position embedding. Every scaling scheme reduces to a
// set of per-pair inverse frequencies and a magnitude: pair i at position
// m is rotated by the angle m·InvFreq[i] and multiplied by Scale.
//
// The zero Scale means 1 and NDims 0 means Dim, so
// RoPE{Dim: 64, InvFreq: f} (len(f) = 32) is a plain rotation. Build InvFreq with
// [InvFreqs], [HFConfig.InvFreq] or [GGMLParams.RoPE].
type RoPE struct {
	Dim     int       // head dimension
	NDims   int       // rotated dimensions (even, ≤ Dim); the rest pass through; 0 means Dim
	Layout  Layout    // which coordinates form a pair
	InvFreq []float64 // NDims/2 inverse frequencies θ_i (radians per position)
	Scale   float64   // magnitude applied to cos and sin (attention factor); 0 means 1
}

var _ QKEncoder = (*RoPE)(nil)

// InvFreqs returns the standard RoPE inverse frequencies
// θ_i = base^(−2i/nDims) for i < nDims/2, computed in float64.
func InvFreqs(base float64, nDims int) ([]float64, error) {
	if err := checkPositive("base", base); err != nil {
		return nil, err
	}
	if nDims <= 0 || nDims%2 != 0 {
		return nil, fmt.Errorf("posenc: rotary dims %d must be positive and even", nDims)
	}
	if nDims > 1<<20 {
		return nil, fmt.Errorf("posenc: rotary dims %d too large", nDims)
	}
	f := make([]float64, nDims/2)
	for i := range f {
		f[i] = math.Pow(base, -float64(2*i)/float64(nDims))
	}
	return f, nil
}

// NewRoPE returns the unscaled RoPE of head dimension dim rotating the
// first nDims coordinates (0 means all) with base θ.
func NewRoPE(dim, nDims int, base float64, layout Layout) (*RoPE, error) {
	if nDims == 0 {
		nDims = dim
	}
	f, err := InvFreqs(base, nDims)
	if err != nil {
		return nil, err
	}
	r := &RoPE{Dim: dim, NDims: nDims, Layout: layout, InvFreq: f, Scale: 1}
	return r, r.Validate()
}

// HeadDim returns the head dimension.
func (r *RoPE) HeadDim() int { return r.Dim }

// RotaryDims returns the number of rotated dimensions.
func (r *RoPE) RotaryDims() int {
	if r.NDims == 0 {
		return r.Dim
	}
	return r.NDims
}

// Magnitude returns the factor applied to cos and sin (Scale, or 1 when
// Scale is zero).
func (r *RoPE) Magnitude() float64 {
	if r.Scale == 0 {
		return 1
	}
	return r.Scale
}

// Validate reports whether r describes a usable rotation.
func (r *RoPE) Validate() error {
	if r == nil {
		return errors.New("posenc: nil RoPE")
	}
	n := r.RotaryDims()
	switch {
	case r.Dim <= 0:
		return fmt.Errorf("posenc: head dim %d must be positive", r.Dim)
	case n < 0 || n%2 != 0:
		return fmt.Errorf("posenc: rotary dims %d must be even and non-negative", n)
	case n > r.Dim:
		return fmt.Errorf("posenc: rotary dims %d exceed head dim %d", n, r.Dim)
	case r.Layout != Interleaved && r.Layout != HalfSplit:
		return fmt.Errorf("posenc: unknown layout %d", int(r.Layout))
	case len(r.InvFreq) != n/2:
		return fmt.Errorf("posenc: %d inverse frequencies for %d rotary dims (want %d)", len(r.InvFreq), n, n/2)
	}
	for i, f := range r.InvFreq {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("posenc: inverse frequency %d is %v", i, f)
		}
	}
	if s := r.Magnitude(); math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("posenc: scale %v must be finite", s)
	}
	return nil
}

// Angle returns the rotation angle of pair i at position pos, in float64.
func (r *RoPE) Angle(pos, i int) float64 { return float64(pos) * r.InvFreq[i] }

func checkPositive(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return fmt.Errorf("posenc: %s %v must be finite and positive", name, v)
	}
	return nil
}

func checkFinite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("posenc: %s %v must be finite", name, v)
	}
	return nil
}

// checkShape validates x against nTokens×nHeads×dim and the positions.
func checkShape(x []float32, nTokens, nHeads, dim int, pos []int) error {
	if nTokens < 0 || nHeads < 0 {
		return fmt.Errorf("posenc: negative shape tokens=%d heads=%d", nTokens, nHeads)
	}
	if len(pos) != nTokens {
		return fmt.Errorf("posenc: %d positions for %d tokens", len(pos), nTokens)
	}
	if nHeads != 0 && nTokens > math.MaxInt/nHeads/dim {
		return fmt.Errorf("posenc: shape %d×%d×%d overflows", nTokens, nHeads, dim)
	}
	if want := nTokens * nHeads * dim; len(x) != want {
		return fmt.Errorf("posenc: x has %d values, want tokens %d × heads %d × dim %d = %d", len(x), nTokens, nHeads, dim, want)
	}
	for t, p := range pos {
		if p > MaxPosition || p < -MaxPosition {
			return fmt.Errorf("posenc: position %d of token %d out of range ±%d", p, t, int64(MaxPosition))
		}
	}
	return nil
}

// Apply rotates x ([token][head][dim]) in place: pair i of every head of
// token t is rotated by pos[t]·InvFreq[i] and scaled by Scale. Angles,
// cos and sin are computed in float64 for each token; the rotation is
// accumulated in float64 and rounded once to float32. Negative positions
// rotate backwards. NaN or Inf in x propagate.
func (r *RoPE) Apply(x []float32, nTokens, nHeads int, pos []int) error {
	return r.apply(x, nTokens, nHeads, pos, 1)
}

// Backward turns the gradient dy of Apply's output into the gradient of
// its input, in place: the transpose of the rotation, which is the
// rotation by −m·θ_i (times the same Scale).
func (r *RoPE) Backward(dx []float32, nTokens, nHeads int, pos []int) error {
	return r.apply(dx, nTokens, nHeads, pos, -1)
}

func (r *RoPE) apply(x []float32, nTokens, nHeads int, pos []int, sign float64) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := checkShape(x, nTokens, nHeads, r.Dim, pos); err != nil {
		return err
	}
	half := r.RotaryDims() / 2
	cs := make([]float64, 2*half)
	s := r.Magnitude()
	for t := 0; t < nTokens; t++ {
		for i := 0; i < half; i++ {
			sn, c := math.Sincos(float64(pos[t]) * r.InvFreq[i])
			cs[2*i], cs[2*i+1] = c*s, sign*sn*s
		}
		row := x[t*nHeads*r.Dim : (t+1)*nHeads*r.Dim]
		for h := 0; h < nHeads; h++ {
			rotate64(row[h*r.Dim:(h+1)*r.Dim], cs, half, r.Layout)
		}
	}
	return nil
}

// rotate64 rotates one head with cos/sin pairs cs (cos, sin interleaved).
func rotate64(v []float32, cs []float64, half int, layout Layout) {
	if layout == Interleaved {
		for i := 0; i < half; i++ {
			c, s := cs[2*i], cs[2*i+1]
			a, b := float64(v[2*i]), float64(v[2*i+1])
			v[2*i] = float32(a*c - b*s)
			v[2*i+1] = float32(a*s + b*c)
		}
		return
	}
	for i := 0; i < half; i++ {
		c, s := cs[2*i], cs[2*i+1]
		a, b := float64(v[i]), float64(v[i+half])
		v[i] = float32(a*c - b*s)
		v[i+half] = float32(a*s + b*c)
	}
}

// Table is a cache of float32 cos and sin values for positions
// [0, MaxPos) of one RoPE, shared by every layer of a model. The Scale is
// folded into both tables. Cos and Sin are row-major [position][pair].
type Table struct {
	Dim    int
	NDims  int
	Layout Layout
	MaxPos int
	Cos    []float32 // MaxPos × NDims/2
	Sin    []float32 // MaxPos × NDims/2
	// GGML rotates as ggml's CPU rope does (Apply only): in float32, the
	// second product inside a fused multiply-add,
	//
	//	y₀ = fma(x₀, cos, −float32(x₁·sin)),  y₁ = fma(x₀, sin, float32(x₁·cos)).
	//
	// Otherwise each output is float32(x₀·cos ∓ x₁·sin) computed in float64.
	GGML bool
}

var _ QKEncoder = (*Table)(nil)

// NewTable computes cos and sin (in float64, stored as float32) of every
// position in [0, maxPos).
func (r *RoPE) NewTable(maxPos int) (*Table, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	half := r.RotaryDims() / 2
	if maxPos < 0 || maxPos > MaxPosition || (half > 0 && maxPos > maxTableEntries/half) {
		return nil, fmt.Errorf("posenc: table of %d positions × %d pairs is out of range", maxPos, half)
	}
	t := &Table{Dim: r.Dim, NDims: r.RotaryDims(), Layout: r.Layout, MaxPos: maxPos,
		Cos: make([]float32, maxPos*half), Sin: make([]float32, maxPos*half)}
	s := r.Magnitude()
	for p := 0; p < maxPos; p++ {
		for i := 0; i < half; i++ {
			sn, c := math.Sincos(float64(p) * r.InvFreq[i])
			t.Cos[p*half+i] = float32(c * s)
			t.Sin[p*half+i] = float32(sn * s)
		}
	}
	return t, nil
}

// HeadDim returns the head dimension.
func (t *Table) HeadDim() int { return t.Dim }

// Apply rotates x ([token][head][dim]) in place using the cached tables;
// every position must lie in [0, MaxPos).
func (t *Table) Apply(x []float32, nTokens, nHeads int, pos []int) error {
	return t.apply(x, nTokens, nHeads, pos, 1)
}

// Backward applies the transposed rotation (by −m·θ_i) in place.
func (t *Table) Backward(dx []float32, nTokens, nHeads int, pos []int) error {
	return t.apply(dx, nTokens, nHeads, pos, -1)
}

func (t *Table) apply(x []float32, nTokens, nHeads int, pos []int, sign float32) error {
	if t == nil || (t.Layout != Interleaved && t.Layout != HalfSplit) || t.Dim <= 0 || t.NDims%2 != 0 || t.NDims > t.Dim || len(t.Cos) != t.MaxPos*t.NDims/2 || len(t.Sin) != len(t.Cos) {
		return errors.New("posenc: malformed rope table")
	}
	if err := checkShape(x, nTokens, nHeads, t.Dim, pos); err != nil {
		return err
	}
	for i, p := range pos {
		if p < 0 || p >= t.MaxPos {
			return fmt.Errorf("posenc: position %d of token %d outside table [0, %d)", p, i, t.MaxPos)
		}
	}
	half := t.NDims / 2
	if t.GGML && sign == 1 {
		t.applyGGML(x, nTokens, nHeads, pos)
		return nil
	}
	for tok := 0; tok < nTokens; tok++ {
		cos := t.Cos[pos[tok]*half : (pos[tok]+1)*half]
		sin := t.Sin[pos[tok]*half : (pos[tok]+1)*half]
		row := x[tok*nHeads*t.Dim : (tok+1)*nHeads*t.Dim]
		for h := 0; h < nHeads; h++ {
			v := row[h*t.Dim : (h+1)*t.Dim]
			if t.Layout == Interleaved {
				for i := 0; i < half; i++ {
					c, s := float64(cos[i]), float64(sign*sin[i])
					a, b := float64(v[2*i]), float64(v[2*i+1])
					v[2*i] = float32(a*c - b*s)
					v[2*i+1] = float32(a*s + b*c)
				}
				continue
			}
			for i := 0; i < half; i++ {
				c, s := float64(cos[i]), float64(sign*sin[i])
				a, b := float64(v[i]), float64(v[i+half])
				v[i] = float32(a*c - b*s)
				v[i+half] = float32(a*s + b*c)
			}
		}
	}
	return nil
}

// Row returns the cached cos and sin of position p (NDims/2 values each,
// scale folded in), or an error when p is outside [0, MaxPos).
func (t *Table) Row(p int) (cos, sin []float32, err error) {
	if p < 0 || p >= t.MaxPos {
		return nil, nil, fmt.Errorf("posenc: position %d outside table [0, %d)", p, t.MaxPos)
	}
	half := t.NDims / 2
	return t.Cos[p*half : (p+1)*half], t.Sin[p*half : (p+1)*half], nil
}
