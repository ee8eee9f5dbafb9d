package posenc

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// refRotate is the obviously correct reference: one head, float64,
// explicit pair indices.
func refRotate(v []float32, r *RoPE, p int) []float64 {
	out := make([]float64, len(v))
	for i := range v {
		out[i] = float64(v[i])
	}
	n := r.RotaryDims()
	for i := 0; i < n/2; i++ {
		a, b := i, i+n/2
		if r.Layout == Interleaved {
			a, b = 2*i, 2*i+1
		}
		th := float64(p) * r.InvFreq[i]
		c, s := math.Cos(th)*r.Magnitude(), math.Sin(th)*r.Magnitude()
		x, y := float64(v[a]), float64(v[b])
		out[a], out[b] = x*c-y*s, x*s+y*c
	}
	return out
}

func TestApplyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name   string
		dim, n int
		layout Layout
		base   float64
		scale  float64
	}{
		{"interleaved full", 16, 16, Interleaved, 10000, 1},
		{"neox full", 16, 16, HalfSplit, 10000, 1},
		{"interleaved partial", 12, 8, Interleaved, 500000, 1},
		{"neox partial scaled", 12, 4, HalfSplit, 1e6, 1.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRoPE(tc.dim, tc.n, tc.base, tc.layout)
			if err != nil {
				t.Fatal(err)
			}
			r.Scale = tc.scale
			pos := []int{0, 5, 1, 10000, 40000, 1 << 20, -3}
			nHeads := 3
			x := randVec(rng, len(pos)*nHeads*tc.dim)
			y := append([]float32(nil), x...)
			if err := r.Apply(y, len(pos), nHeads, pos); err != nil {
				t.Fatal(err)
			}
			tab, err := r.NewTable(10)
			if err != nil {
				t.Fatal(err)
			}
			for ti, p := range pos {
				for h := 0; h < nHeads; h++ {
					off := (ti*nHeads + h) * tc.dim
					want := refRotate(x[off:off+tc.dim], r, p)
					for j, w := range want {
						if d := math.Abs(float64(y[off+j]) - w); d > 1e-6 {
							t.Fatalf("pos %d head %d dim %d: got %v want %v", p, h, j, y[off+j], w)
						}
					}
				}
				if p < 0 || p >= 10 {
					continue
				}
				z := append([]float32(nil), x[ti*nHeads*tc.dim:(ti+1)*nHeads*tc.dim]...)
				if err := tab.Apply(z, 1, nHeads, []int{p}); err != nil {
					t.Fatal(err)
				}
				for j := range z {
					if d := math.Abs(float64(z[j] - y[ti*nHeads*tc.dim+j])); d > 1e-6 {
						t.Fatalf("table pos %d dim %d: got %v want %v", p, j, z[j], y[ti*nHeads*tc.dim+j])
					}
				}
			}
		})
	}
}
