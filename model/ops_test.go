package model

import (
	"math"
	"testing"
)

func TestExpf(t *testing.T) {
	for x := float32(-90); x < 89; x += 0.0137 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if want > math.MaxFloat32 {
			if !math.IsInf(got, 1) {
				t.Fatalf("expf(%v) = %v want +Inf", x, got)
			}
			continue
		}
		if want < 1e-37 {
			if got > 2e-37 {
				t.Fatalf("expf(%v) = %v want %v", x, got, want)
			}
			continue
		}
		if math.Abs(got-want)/want > 5e-7 {
			t.Fatalf("expf(%v) = %v want %v (rel %g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	if !math.IsInf(float64(expf(100)), 1) || expf(-100) != 0 {
		t.Fatal("expf limits")
	}
}
