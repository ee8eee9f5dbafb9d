package kernel

import (
	"math"
	"testing"
)

// TestGELU checks values of the tanh GELU computed independently (Python's
// math module, rounded to float32; gelu(1) = 0.8411920070648193 is also
// PyTorch's gelu(1, approximate="tanh")).
func TestGELU(t *testing.T) {
	x := []float32{-3, -1, -0.5, 0, 0.5, 1, 2, 5}
	want := []float32{-0.003637392073869705, -0.15880800783634186, -0.1542859971523285, 0,
		0.3457140028476715, 0.8411920070648193, 1.9545977115631104, 5}
	got := make([]float32, len(x))
	GELU(got, x)
	for i := range x {
		if got[i] != want[i] {
			t.Errorf("gelu(%v) = %v, want %v", x[i], got[i], want[i])
		}
	}
	up := []float32{2, -1, 3, 7, 0.5, -2, 1, 0.25}
	GELUMul(got, x, up)
	for i := range x {
		if w := want[i] * up[i]; got[i] != w {
			t.Errorf("gelu(%v)·%v = %v, want %v", x[i], up[i], got[i], w)
		}
	}
	GELU(got[:1], []float32{float32(math.NaN())})
	if got[0] == got[0] {
		t.Errorf("gelu(NaN) = %v", got[0])
	}
}

// TestSoftcap checks c·tanh(a·x/c) against values from Python's math
// module rounded to float32 (c = 30, a = 0.5).
func TestSoftcap(t *testing.T) {
	x := []float32{-100, -3, 0, 1, 60, 1e6}
	want := []float32{-27.93328857421875, -1.4987512826919556, 0, 0.4999537169933319, 22.847824096679688, 30}
	Softcap(x, 30, 0.5)
	for i := range x {
		if x[i] != want[i] {
			t.Errorf("softcap %d = %v, want %v", i, x[i], want[i])
		}
	}
}
