package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpSub checks ExpSub and its sum against float64 exp, with a
// maximum above the slice's (a running maximum of online softmax may
// exceed a block's own).
func TestExpSub(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	if s := ExpSub(nil, 0); s != 0 {
		t.Fatalf("ExpSub(nil) = %v", s)
	}
	for _, n := range testLens[1:] {
		x := randVec(rng, n)
		for i := range x {
			x[i] *= 8
		}
		m := Max(x) + 3
		var want float64
		exp := make([]float64, n)
		for i, v := range x {
			exp[i] = math.Exp(float64(v - m))
			want += exp[i]
		}
		y := append([]float32(nil), x...)
		s := ExpSub(y, m)
		for i := range y {
			if tol := (16 + math.Abs(math.Log(exp[i]))) * eps32 * exp[i]; !near(y[i], exp[i], tol+1e-37) {
				t.Fatalf("n=%d i=%d: exp(%v−%v) = %v, want %v", n, i, x[i], m, y[i], exp[i])
			}
		}
		if !near(s, want, 1e-5*want) {
			t.Fatalf("n=%d: sum %v, want %v", n, s, want)
		}
	}
}
