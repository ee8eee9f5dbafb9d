package quant

import (
	"math"
	"testing"
)

func TestF16RoundTripAll(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := F16ToF32(h)
		if got := F32ToF16(f); got != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x) = %g) = %#04x", h, f, got)
		}
		isNaN := h&0x7c00 == 0x7c00 && h&0x3ff != 0
		if isNaN != math.IsNaN(float64(f)) {
			t.Fatalf("%#04x: NaN-ness not preserved (%g)", h, f)
		}
	}
}

func TestF16Values(t *testing.T) {
	cases := []struct {
		h uint16
		f float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125}, {0x7bff, 65504},
		{0x0400, 6.103515625e-05}, {0x0001, 5.960464477539063e-08}, {0x03ff, 6.097555160522461e-05},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, c := range cases {
		if got := F16ToF32(c.h); got != c.f {
			t.Errorf("F16ToF32(%#04x) = %g, want %g", c.h, got, c.f)
		}
		if got := F32ToF16(c.f); got != c.h {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if h := F32ToF16(float32(math.Copysign(0, -1))); h != 0x8000 {
		t.Errorf("-0 → %#04x", h)
	}
	if h := F32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN → %#04x", h)
	}
	for _, c := range []struct {
		f float32
		h uint16
	}{
		{65519, 0x7bff}, {65520, 0x7c00}, {1e10, 0x7c00}, {-1e10, 0xfc00},
		{0x1p-25, 0}, {0x1.0002p-25, 1}, {0x1.8p-24, 2}, {1e-10, 0}, {0x1p-149, 0},
		{1 + 0x1p-11, 0x3c00}, {1 + 3*0x1p-11, 0x3c02}, {1 + 0x1p-11 + 0x1p-20, 0x3c01},
	} {
		if got := F32ToF16(c.f); got != c.h {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
}

// TestF16RoundingAllMidpoints checks round-to-nearest-even at every
// midpoint between adjacent positive half values, and just beside it.
func TestF16RoundingAllMidpoints(t *testing.T) {
	for h := uint16(0); h < 0x7bff; h++ { // 0x7bff → Inf is checked in TestF16Values
		lo, hi := float64(F16ToF32(h)), float64(F16ToF32(h+1))
		mid := float32((lo + hi) / 2) // exact: 12 significant bits
		want := h
		if h&1 == 1 {
			want = h + 1
		}
		for _, sign := range []uint16{0, 0x8000} {
			m := mid
			if sign != 0 {
				m = -mid
			}
			if got := F32ToF16(m); got != want|sign {
				t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", m, got, want|sign)
			}
		}
		up := math.Nextafter32(mid, float32(math.Inf(1)))
		down := math.Nextafter32(mid, 0)
		if got := F32ToF16(up); got != h+1 {
			t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", up, got, h+1)
		}
		if got := F32ToF16(down); got != h {
			t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", down, got, h)
		}
	}
}

func TestBF16(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToF32(h)
		got := F32ToBF16(f)
		if math.IsNaN(float64(f)) {
			if got&0x7f80 != 0x7f80 || got&0x7f == 0 || got&0x40 == 0 {
				t.Fatalf("NaN %#04x → %#04x", h, got)
			}
			continue
		}
		if got != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, got)
		}
	}
	for _, c := range []struct {
		f float32
		h uint16
	}{
		{1, 0x3f80}, {-2, 0xc000}, {1 + 0x1p-8, 0x3f80}, {1 + 3*0x1p-8, 0x3f82}, {1 + 0x1p-8 + 0x1p-20, 0x3f81},
		{math.MaxFloat32, 0x7f80}, {float32(math.Inf(-1)), 0xff80}, {0x1p-130, 0x0008},
	} {
		if got := F32ToBF16(c.f); got != c.h {
			t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
}
