package train

import (
	"math"
	"testing"
)

// TestLinearMatchesReference checks the kernel-backed linear layer, forward
// and backward, against plain loops on odd shapes.
func TestLinearMatchesReference(t *testing.T) {
	const N, n, k = 37, 19, 23
	r := RNG{State: 11}
	rnd := func(size int) []float32 {
		v := make([]float32, size)
		for i := range v {
			v[i] = float32(r.Normal())
		}
		return v
	}
	x, w, dout := rnd(N*k), rnd(n*k), rnd(N*n)
	out := make([]float32, N*n)
	linearForward(out, x, w, N, n, k)
	want := make([]float32, N*n)
	matMulTRef(want, x, w, N, n, k, false)
	near := func(name string, got, want []float32) {
		t.Helper()
		for i := range got {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	near("out", out, want)

	dx := rnd(N * k) // overwritten
	dw := rnd(n * k) // accumulated into
	dw0 := append([]float32(nil), dw...)
	linearBackward(dx, dw, dout, x, w, N, n, k, false, true)
	// dx = dout·W: (dout)[N×n] · (Wᵀ)[k×n]ᵀ
	wT := make([]float32, k*n)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			wT[j*n+i] = w[i*k+j]
		}
	}
	wantDX := make([]float32, N*k)
	matMulTRef(wantDX, dout, wT, N, k, n, false)
	near("dx", dx, wantDX)
	// dW = dw0 + doutᵀ·x
	doutT, xT := make([]float32, n*N), make([]float32, k*N)
	for i := 0; i < N; i++ {
		for j := 0; j < n; j++ {
			doutT[j*N+i] = dout[i*n+j]
		}
		for j := 0; j < k; j++ {
			xT[j*N+i] = x[i*k+j]
		}
	}
	wantDW := append([]float32(nil), dw0...)
	matMulTRef(wantDW, doutT, xT, n, k, N, true)
	near("dw", dw, wantDW)
	// accumDX adds.
	dx2 := append([]float32(nil), dx...)
	linearBackward(dx2, make([]float32, n*k), dout, x, w, N, n, k, true, false)
	for i := range dx2 {
		wantDX[i] *= 2
	}
	near("dx accumulated", dx2, wantDX)
}
