package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

const eps32 = 1.0 / (1 << 24)

// testLens are lengths around every vector width and unroll factor.
var testLens = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 255, 1000, 4097}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// offset returns a copy of v that starts 1 element past an allocation, so
// the kernels see unaligned data.
func offset(v []float32) []float32 {
	b := make([]float32, len(v)+1)
	copy(b[1:], v)
	return b[1:]
}

// near reports whether got is within tol of want, treating NaN as equal to
// NaN and equal infinities as equal.
func near(got float32, want, tol float64) bool {
	g := float64(got)
	if math.IsNaN(want) {
		return math.IsNaN(g)
	}
	if math.IsInf(want, 0) {
		return g == want
	}
	return math.Abs(g-want) <= tol
}

// sumTol is the reassociation bound n·eps·Σ|terms| (plus a tiny absolute
// floor for sums of zeros).
func sumTol(n int, abs float64) float64 { return float64(n+4)*eps32*abs + 1e-30 }

func TestImpl(t *testing.T) {
	t.Logf("kernel.Impl() = %q, Threads() = %d", Impl(), Threads())
	if Impl() == "" {
		t.Fatal("empty Impl")
	}
}

func TestDotAxpySumSq(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range testLens {
		x, y := offset(randVec(rng, n)), offset(randVec(rng, n))
		want, abs := refDot(x, y)
		if got := Dot(x, y); !near(got, want, sumTol(n, abs)) {
			t.Errorf("Dot n=%d: got %v want %v", n, got, want)
		}
		ss, ssabs := refDot(x, x)
		if got := SumSq(x); !near(got, ss, sumTol(n, ssabs)) {
			t.Errorf("SumSq n=%d: got %v want %v", n, got, ss)
		}
		a := float32(0.37)
		y2 := append([]float32(nil), y...)
		Axpy(a, x, y2)
		for i := range y2 {
			w := float64(y[i]) + float64(a)*float64(x[i])
			if !near(y2[i], w, 2*eps32*(math.Abs(w)+math.Abs(float64(a*x[i])))) {
				t.Fatalf("Axpy n=%d i=%d: got %v want %v", n, i, y2[i], w)
			}
		}
		x2 := append([]float32(nil), x...)
		Scale(a, x2)
		for i := range x2 {
			if x2[i] != a*x[i] {
				t.Fatalf("Scale n=%d i=%d: got %v want %v", n, i, x2[i], a*x[i])
			}
		}
		d := make([]float32, n)
		Add(d, x, y)
		for i := range d {
			if d[i] != x[i]+y[i] {
				t.Fatalf("Add n=%d i=%d", n, i)
			}
		}
		Mul(d, x, y)
		for i := range d {
			if d[i] != x[i]*y[i] {
				t.Fatalf("Mul n=%d i=%d", n, i)
			}
		}
		mx := float32(math.Inf(-1))
		for _, v := range x {
			mx = max(mx, v)
		}
		if got := Max(x); got != mx {
			t.Errorf("Max n=%d: got %v want %v", n, got, mx)
		}
	}
}

func TestNaNInf(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, n := range []int{1, 17, 65} {
		for pos := 0; pos < n; pos += 7 {
			x := make([]float32, n)
			for i := range x {
				x[i] = 1
			}
			y := append([]float32(nil), x...)
			x[pos] = nan
			if v := Dot(x, y); !math.IsNaN(float64(v)) {
				t.Errorf("Dot with NaN at %d/%d = %v", pos, n, v)
			}
			if v := SumSq(x); !math.IsNaN(float64(v)) {
				t.Errorf("SumSq with NaN at %d/%d = %v", pos, n, v)
			}
			if v := Max(x); !math.IsNaN(float64(v)) {
				t.Errorf("Max with NaN at %d/%d = %v", pos, n, v)
			}
			x[pos] = inf
			if v := Dot(x, y); v != inf {
				t.Errorf("Dot with Inf at %d/%d = %v", pos, n, v)
			}
			if v := Max(x); v != inf {
				t.Errorf("Max with Inf at %d/%d = %v", pos, n, v)
			}
		}
	}
	if v := Max(nil); !math.IsInf(float64(v), -1) {
		t.Errorf("Max(nil) = %v", v)
	}
}

func TestExp(t *testing.T) {
	// expf (and the vector exp behind Softmax) within 2 ulp on [-87, 88].
	for x := float32(-87.3); x < 88.3; x += 0.0137 {
		got := expf(x)
		want := refExp(x)
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		if math.Abs(float64(got)-want) > 2*ulp {
			t.Fatalf("expf(%v) = %v, want %v (%.2f ulp)", x, got, want, math.Abs(float64(got)-want)/ulp)
		}
	}
	if expf(-100) != 0 || expf(float32(math.Inf(-1))) != 0 {
		t.Error("expf underflow should give 0")
	}
	if v := expf(float32(math.NaN())); !math.IsNaN(float64(v)) {
		t.Error("expf(NaN) should be NaN")
	}
}

func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range testLens[1:] {
		x := offset(randVec(rng, n))
		for i := range x {
			x[i] *= 8
		}
		if n > 3 {
			x[n/2] = float32(math.Inf(-1)) // a masked position
		}
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		want := make([]float64, n)
		var s float64
		for i, v := range x {
			want[i] = math.Exp(float64(v) - mx)
			s += want[i]
		}
		Softmax(x)
		for i := range x {
			// exp's argument x−max is rounded to float32 first: relative
			// error |x−max|·eps, plus a few ulp for exp and the division.
			w := want[i] / s
			tol := 1e-37
			if w > 0 {
				tol += (16 + math.Abs(math.Log(want[i]))) * eps32 * w
			}
			if !near(x[i], w, tol) {
				t.Fatalf("Softmax n=%d i=%d: got %v want %v", n, i, x[i], w)
			}
		}
	}
	x := []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	Softmax(x)
	if !math.IsNaN(float64(x[0])) {
		t.Errorf("Softmax of all -Inf = %v, want NaN", x)
	}
}

func TestSiLUMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range testLens {
		g, u := offset(randVec(rng, n)), offset(randVec(rng, n))
		for i := range g {
			g[i] *= 6
		}
		if n > 2 {
			g[0], g[1] = -200, 200 // saturation of exp
		}
		d := make([]float32, n)
		SiLUMul(d, g, u)
		for i := range d {
			gv := float64(g[i])
			w := gv / (1 + math.Exp(-gv)) * float64(u[i])
			if !near(d[i], w, 6*eps32*math.Abs(w)+1e-30) {
				t.Fatalf("SiLUMul n=%d i=%d g=%v: got %v want %v", n, i, g[i], d[i], w)
			}
		}
	}
}

func TestHalf(t *testing.T) {
	// Every binary16 value round-trips through float32 exactly.
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	f := make([]float32, len(src))
	F16ToF32(f, src)
	back := make([]uint16, len(src))
	F32ToF16(back, f)
	for i, h := range src {
		if g := f16ToF32(h); math.Float32bits(g) != math.Float32bits(f[i]) && !(g != g && f[i] != f[i]) {
			t.Fatalf("F16ToF32(%#04x) = %v, scalar %v", h, f[i], g)
		}
		isNaN := h&0x7c00 == 0x7c00 && h&0x3ff != 0
		if isNaN {
			if back[i]&0x7c00 != 0x7c00 || back[i]&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back[i])
			}
			continue
		}
		if back[i] != h {
			t.Fatalf("round trip %#04x -> %v -> %#04x", h, f[i], back[i])
		}
	}
	// Rounding: float32 values between halves go to the nearest (even).
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 0; n < 100000; n++ {
		v := float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(40)-25)))
		h := []uint16{0}
		F32ToF16(h, []float32{v})
		got := float64(f16ToF32(h[0]))
		// No other half is closer.
		for _, nb := range []uint16{h[0] - 1, h[0] + 1} {
			o := float64(f16ToF32(nb))
			if math.IsNaN(o) || math.Abs(o-float64(v)) < math.Abs(got-float64(v)) {
				if !math.IsNaN(o) && !math.IsInf(got, 0) {
					t.Fatalf("F32ToF16(%v) = %v but %v is closer", v, got, o)
				}
			}
		}
	}
	// bf16.
	bf := []uint16{0x3f80, 0xc000, 0x7f80, 0x0001}
	bff := make([]float32, 4)
	BF16ToF32(bff, bf)
	if bff[0] != 1 || bff[1] != -2 || !math.IsInf(float64(bff[2]), 1) {
		t.Errorf("BF16ToF32 = %v", bff)
	}
	bb := make([]uint16, 4)
	F32ToBF16(bb, bff)
	for i := range bb {
		if bb[i] != bf[i] {
			t.Errorf("F32ToBF16 round trip %#04x -> %#04x", bf[i], bb[i])
		}
	}
	F32ToBF16(bb[:1], []float32{1.00390625}) // exactly halfway: ties to even (1.0)
	if bb[0] != 0x3f80 {
		t.Errorf("F32ToBF16 tie = %#04x", bb[0])
	}
}

func TestThreads(t *testing.T) {
	old := Threads()
	defer SetThreads(old)
	SetThreads(3)
	if Threads() != 3 {
		t.Fatal("SetThreads(3)")
	}
	SetThreads(0)
	if Threads() < 1 {
		t.Fatal("SetThreads(0) should restore the default")
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Dot":     func() { Dot(make([]float32, 3), make([]float32, 4)) },
		"Sgemv":   func() { Sgemv(make([]float32, 2), make([]float32, 5), make([]float32, 3), 2, 3) },
		"MatMulT": func() { MatMulT(make([]float32, 4), make([]float32, 4), make([]float32, 4), 2, 2, 3, false) },
		"Sgemm": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"RMSNorm": func() { RMSNormRows(make([]float32, 8), make([]float32, 8), make([]float32, 3), 4, 1e-5, nil) },
		"Q8":      func() { GemvQ8_0(make([]float32, 1), make([]byte, 33), make([]float32, 32), 1, 32) },
		"RoPE":    func() { RoPERows(make([]float32, 8), 1, 1, 8, 3, nil, nil, true) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on bad shape", name)
				}
			}()
			f()
		}()
	}
}

// TestHalfLengths runs the conversions on lengths around the vector width
// and on unaligned slices, against the scalar conversions.
func TestHalfLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, n := range testLens {
		h := make([]uint16, n+1)[1:]
		for i := range h {
			h[i] = uint16(rng.Uint32())
		}
		f := make([]float32, n+1)[1:]
		F16ToF32(f, h)
		for i := range h {
			w := f16ToF32(h[i])
			if math.Float32bits(w) != math.Float32bits(f[i]) && !(w != w && f[i] != f[i]) {
				t.Fatalf("F16ToF32 n=%d i=%d: %v want %v", n, i, f[i], w)
			}
		}
		x := offset(randVec(rng, n))
		for i := range x {
			x[i] *= float32(math.Pow(2, float64(rng.IntN(50)-30)))
		}
		out := make([]uint16, n+1)[1:]
		F32ToF16(out, x)
		for i := range x {
			if w := f32ToF16(x[i]); w != out[i] {
				t.Fatalf("F32ToF16 n=%d i=%d (%v): %#04x want %#04x", n, i, x[i], out[i], w)
			}
		}
	}
}

// TestNoAllocs checks that kernels below the multi-goroutine threshold do
// not allocate (the model calls them per token from its own worker pool).
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	y, a, x := make([]float32, 8), make([]float32, 8*64), make([]float32, 64)
	w8, w4 := make([]byte, 8*2*34), make([]byte, 8*2*18)
	xq := make([]byte, 2*34)
	c, b := make([]float32, 64*64), make([]float32, 64*64)
	inv := make([]float32, 8)
	cs := make([]float32, 8*32)
	make16 := make([]uint16, 8*64)
	for name, f := range map[string]func(){
		"Dot":        func() { Dot(x, x) },
		"GemvF16":    func() { GemvF16(y, make16, x, 8, 64) },
		"Sgemv":      func() { Sgemv(y, a, x, 8, 64) },
		"GemvQ8_0":   func() { GemvQ8_0(y, w8, x, 8, 64) },
		"GemvQ4_0":   func() { GemvQ4_0(y, w4, x, 8, 64) },
		"GemvQ8_0Q8": func() { QuantizeQ8_0(xq, x); GemvQ8_0Q8(y, w8, xq, 8, 64) },
		"GemvQ4_0Q8": func() { GemvQ4_0Q8(y, w4, xq, 8, 64) },
		"Sgemm":      func() { Sgemm(false, true, 64, 64, 64, 1, b, 64, b, 64, 0, c, 64) },
		"MatMulT":    func() { MatMulT(c, b, b, 64, 64, 64, true) },
		"Softmax":    func() { Softmax(x) },
		"SiLUMul":    func() { SiLUMul(x, x, x) },
		"RMSNorm":    func() { RMSNormRows(a, a, x, 64, 1e-5, inv) },
		"RMSNormBwd": func() { RMSNormBackwardRows(a, x, a, a, x, inv, 64) },
		"LayerNorm":  func() { LayerNormRows(a, a, x, x, 64, 1e-5, inv, inv) },
		"LNBwd":      func() { LayerNormBackwardRows(a, x, x, a, a, x, inv, inv, 64) },
		"RoPE":       func() { RoPERows(a, 8, 1, 64, 64, cs, cs, true) },
	} {
		if n := testing.AllocsPerRun(5, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

func TestGemvHalf(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, s := range [][2]int{{1, 1}, {3, 17}, {5, 64}, {9, 65}, {600, 1000}} {
		m, n := s[0], s[1]
		wf := randVec(rng, m*n)
		h, bf := make([]uint16, m*n+1)[1:], make([]uint16, m*n)
		F32ToF16(h, wf)
		F32ToBF16(bf, wf)
		x := offset(randVec(rng, n))
		y := make([]float32, m)
		for _, tc := range []struct {
			name string
			f    func([]float32, []uint16, []float32, int, int)
			w    []uint16
			conv func([]float32, []uint16)
		}{{"GemvF16", GemvF16, h, F16ToF32}, {"GemvBF16", GemvBF16, bf, BF16ToF32}} {
			tc.f(y, tc.w, x, m, n)
			wd := make([]float32, m*n)
			tc.conv(wd, tc.w)
			for r := 0; r < m; r++ {
				want, abs := refDot(wd[r*n:r*n+n], x)
				if !near(y[r], want, sumTol(n, abs)) {
					t.Fatalf("%s %dx%d row %d: got %v want %v", tc.name, m, n, r, y[r], want)
				}
			}
		}
	}
}

// TestVectorExp checks the dispatched (vector) exp through expSubImpl with
// m = 0: within 2 ulp of math.Exp on [-87.3, 88.3], 0 below, NaN kept.
func TestVectorExp(t *testing.T) {
	var xs []float32
	for x := float32(-87.3); x < 88.3; x += 0.00731 {
		xs = append(xs, x)
	}
	xs = append(xs, -88, -100, float32(math.Inf(-1)), float32(math.NaN()), 0, -0.5, 0.5)
	in := append([]float32(nil), xs...)
	expSubImpl(xs, 0)
	for i, x := range in {
		got := xs[i]
		switch {
		case x != x:
			if got == got {
				t.Fatalf("exp(NaN) = %v", got)
			}
			continue
		case x < -87.3365478515625:
			if got != 0 {
				t.Fatalf("exp(%v) = %v, want 0", x, got)
			}
			continue
		}
		want := math.Exp(float64(x))
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		if math.Abs(float64(got)-want) > 2*ulp {
			t.Fatalf("exp(%v) = %v, want %v (%.2f ulp)", x, got, want, math.Abs(float64(got)-want)/ulp)
		}
	}
}
