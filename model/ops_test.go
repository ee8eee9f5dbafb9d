package model

import (
	"github.com/llmparts/llmparts/quant"

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

func TestF32ToF16(t *testing.T) {
	// Every float16 value converts back to itself.
	for h := 0; h < 1<<16; h++ {
		f := quant.F16ToF32(uint16(h))
		if f != f { // NaN
			if g := quant.F32ToF16(f); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("NaN %#x -> %#x", h, g)
			}
			continue
		}
		if g := quant.F32ToF16(f); g != uint16(h) && !(f == 0 && g|0x8000 == uint16(h)|0x8000) {
			t.Fatalf("%#x (%v) -> %#x", h, f, g)
		}
	}
	for _, c := range []struct {
		f float32
		h uint16
	}{{1, 0x3c00}, {65504, 0x7bff}, {1e6, 0x7c00}, {1 + 1.0/2048, 0x3c00}, {1 + 3.0/2048, 0x3c02}, {5.960464477539063e-08, 1}, {2e-8, 0}} {
		if g := quant.F32ToF16(c.f); g != c.h {
			t.Errorf("quant.F32ToF16(%v) = %#x want %#x", c.f, g, c.h)
		}
	}
}
