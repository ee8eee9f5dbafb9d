//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvQ4_0Variants runs GemvQ4_0 with each float-activation kernel
// this CPU can run forced in turn (pure Go, AVX2 with block sums,
// AVX-512 table lookup) against the float64 reference of TestGemvQuant,
// and checks the AVX-512 kernel against the dequantized rows within the
// bound of float32 reassociation (it multiplies exactly d·(q−8)).
func TestGemvQ4_0Variants(t *testing.T) {
	oldSum, old := gemvQ4SumImpl, gemvQ4Impl
	defer func() { gemvQ4SumImpl, gemvQ4Impl = oldSum, old }()
	type variant struct {
		name string
		sum  func(y []float32, w []byte, x, sx []float32)
		f    func(y []float32, w []byte, x []float32)
	}
	vs := []variant{{"generic", nil, gemvQ4Generic}, {"avx2", gemvQ4SumAsm, nil}}
	if hasQ4Z {
		vs = append(vs, variant{"avx512", nil, gemvQ4ZAsm})
	} else {
		t.Log("no AVX-512: gemvQ4ZAsm not tested")
	}
	for _, v := range vs {
		gemvQ4SumImpl, gemvQ4Impl = v.sum, v.f
		if v.f == nil {
			gemvQ4Impl = old
		}
		t.Run(v.name, TestGemvQuant)
	}
	if !hasQ4Z {
		return
	}
	rng := rand.New(rand.NewPCG(17, 18))
	for _, s := range [][2]int{{1, 32}, {5, 64}, {3, 96}, {19, 768}, {8, 2048}} {
		m, n := s[0], s[1]
		_, q4 := quantRows(rng, m, n)
		x := offset(randVec(rng, n))
		y := make([]float32, m)
		gemvQ4ZAsm(y, q4, x)
		row := make([]float32, 32)
		for r := 0; r < m; r++ {
			var want, abs float64
			for b := 0; b < n/32; b++ {
				blk := q4[(r*n/32+b)*18:]
				d := f16ToF32(uint16(blk[0]) | uint16(blk[1])<<8)
				for j := range row {
					q := blk[2+j%16] & 15
					if j >= 16 {
						q = blk[2+j-16] >> 4
					}
					row[j] = float32(int(q)-8) * d // quant's dequantizer
					p := float64(row[j]) * float64(x[b*32+j])
					want += p
					abs += math.Abs(p)
				}
			}
			if !near(y[r], want, sumTol(n, abs)) {
				t.Fatalf("%dx%d row %d: got %v, dequantized dot %v (bound %g)", m, n, r, y[r], want, sumTol(n, abs))
			}
		}
	}
}
