package posenc

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"testing"
)

// TestSincosfMatchesGlibc checks sincosf against glibc's sincosf
// (testdata/glibc_sincosf.c wrote the file on x86-64 with FMA): every
// input where glibc differs from the float64 functions rounded to
// float32, and a sample of the others, RoPE angles and random floats.
func TestSincosfMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/glibc_sincosf.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, rounded := 0, 0
	for sc.Scan() {
		var in, ws, wc uint32
		if _, err := fmt.Sscanf(sc.Text(), "%x %x %x", &in, &ws, &wc); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		y := math.Float32frombits(in)
		s, c := sincosf(y)
		if math.Float32bits(s) != ws || math.Float32bits(c) != wc {
			t.Errorf("sincosf(%v) = %v, %v; glibc %v, %v", y, s, c, math.Float32frombits(ws), math.Float32frombits(wc))
		}
		s64, c64 := math.Sincos(float64(y))
		if math.Float32bits(float32(s64)) != ws || math.Float32bits(float32(c64)) != wc {
			rounded++
		}
		n++
	}
	if n < 1000 || rounded < n/2 {
		t.Fatalf("%d values, %d where glibc differs from rounding: wrong file", n, rounded)
	}
	for _, y := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
		if s, c := sincosf(y); s == s || c == c {
			t.Errorf("sincosf(%v) = %v, %v, want NaN", y, s, c)
		}
	}
}

// TestGGMLTable checks the ggml table against the float64 rotation (the
// same angles up to float32 rounding of θ) and that it rotates as ggml:
// y₀ = fma(x₀, cos, −x₁·sin) differs from float32(x₀·cos − x₁·sin) only
// in rounding.
func TestGGMLTable(t *testing.T) {
	p := DefaultGGMLParams(32, Interleaved)
	tab, err := p.Table(32, 300)
	if err != nil {
		t.Fatal(err)
	}
	if !tab.GGML {
		t.Fatal("GGML not set")
	}
	r, _ := p.RoPE(32)
	ref, _ := r.NewTable(300)
	for i := range tab.Cos {
		// θ is a float32 product chain: at most a few ulp of θ apart, so
		// cos and sin agree to ~1e-4 at position 300.
		if d := math.Abs(float64(tab.Cos[i] - ref.Cos[i])); d > 2e-4 {
			t.Fatalf("cos[%d] = %v, float64 table %v", i, tab.Cos[i], ref.Cos[i])
		}
	}
	// Position 11, pair 5: glibc's sincosf is not the rounded float64 sine.
	if got := tab.Sin[11*16+5]; got != 0x1.28e568p-1 {
		t.Errorf("sin at position 11 pair 5 = %x, glibc 0x1.28e568p-01 (rounded float64: 0x1.28e56ap-01)", got)
	}
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i)*0.37 - 5
	}
	y := append([]float32(nil), x...)
	if err := tab.Apply(y, 1, 1, []int{7}); err != nil {
		t.Fatal(err)
	}
	c, s := tab.Cos[7*16+3], tab.Sin[7*16+3]
	want := float32(math.FMA(float64(x[6]), float64(c), -float64(float32(x[7]*s))))
	if y[6] != want {
		t.Errorf("y[6] = %v, want fma %v", y[6], want)
	}
	if p.ExtFactor = 1; true {
		yt, err := p.Table(32, 8)
		if err != nil || yt.GGML {
			t.Errorf("YaRN: %v, GGML %v (want the float64 table)", err, yt != nil && yt.GGML)
		}
	}
}
