package norm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// fastCopy returns l with Arith set to ArithFast.
func fastCopy(l Layer) Layer {
	switch v := l.(type) {
	case *RMSNorm:
		c := *v
		c.Arith = ArithFast
		return &c
	case *LayerNorm:
		c := *v
		c.Arith = ArithFast
		return &c
	}
	panic("unknown layer")
}

// maxScaledErr returns max |got − want| / (1 + |want|).
func maxScaledErr(got []float32, want []float64) float64 {
	m := 0.0
	for i := range want {
		e := math.Abs(float64(got[i])-want[i]) / (1 + math.Abs(want[i]))
		if !(e <= m) {
			m = e
		}
	}
	return m
}

// TestFastMatchesReference runs ArithFast (the kernel package's SIMD rows)
// against the float64 reference for every configuration, including the
// ones it hands to the exact path, in place and with accumulation.
func TestFastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	worstY, worstDX := 0.0, 0.0
	for _, d := range []int{1, 3, 8, 31, 64, 257, 1024} {
		for name, base := range configs(r, d) {
			l := fastCopy(base)
			n := base.(ref64)
			const rows = 3
			x, dy := randVec(r, rows*d, 2), randVec(r, rows*d, 1)
			y64 := make([]float64, len(x))
			dx64, dw64, db64 := make([]float64, len(x)), make([]float64, d), make([]float64, d)
			if err := n.Forward64(y64, x, nil); err != nil {
				t.Fatal(err)
			}
			if err := n.Backward64(dx64, dw64, db64, dy, x, nil); err != nil {
				t.Fatal(err)
			}
			x32, dy32 := f32s(x), f32s(dy)
			y := make([]float32, len(x))
			stats := make([]float32, rows*l.StatsPerRow())
			if err := l.Forward(y, x32, stats); err != nil {
				t.Fatal(err)
			}
			e := maxScaledErr(y, y64)
			worstY = math.Max(worstY, e)
			if e > 1e-5 {
				t.Errorf("%s d=%d: fast y error %.3g", name, d, e)
			}
			for _, st := range [][]float32{stats, nil} {
				dx, dw, db := make([]float32, len(x)), make([]float32, d), make([]float32, d)
				for rep := 0; rep < 2; rep++ {
					if err := l.Backward(dx, dw, db, dy32, x32, st); err != nil {
						t.Fatal(err)
					}
				}
				e := maxScaledErr(dx, dx64)
				worstDX = math.Max(worstDX, e)
				if e > 1e-4 {
					t.Errorf("%s d=%d: fast dx error %.3g", name, d, e)
				}
				for i := range dw {
					if !within(float64(dw[i]), 2*dw64[i], 1e-4) || !within(float64(db[i]), 2*db64[i], 1e-4) {
						t.Fatalf("%s d=%d: dw[%d]=%g db[%d]=%g after two calls, want %g, %g", name, d, i, dw[i], i, db[i], 2*dw64[i], 2*db64[i])
					}
				}
			}
			xc := append([]float32(nil), x32...)
			if err := l.Forward(xc, xc, nil); err != nil {
				t.Fatal(err)
			}
			if e := maxScaledErr(xc, y64); e > 1e-5 {
				t.Errorf("%s d=%d: fast in-place y error %.3g", name, d, e)
			}
		}
	}
	t.Logf("worst scaled error: y %.3g, dx %.3g", worstY, worstDX)
}

// TestFastEdgeRows checks that rows the kernels cannot handle (zero rows,
// constant rows, denormal and huge values) give the exact path's answer,
// also in place.
func TestFastEdgeRows(t *testing.T) {
	b := []float32{0.5, -1, 2, 0}
	x := []float32{
		0, 0, 0, 0,
		3, 3, 3, 3,
		1e-42, -2e-42, 3e-42, 0,
		3e38, -3e38, 1e38, 2,
		1, 2, 3, 4,
	}
	for _, base := range []Layer{
		&RMSNorm{Dim: 4, Bias: b}, &RMSNorm{Dim: 4, Eps: 1e-6, Weight: []float32{1, 2, 3, 4}},
		&LayerNorm{Dim: 4, Bias: b}, &LayerNorm{Dim: 4, Eps: 1e-5},
	} {
		want := make([]float32, len(x))
		if err := base.Forward(want, x, nil); err != nil {
			t.Fatal(err)
		}
		for _, inPlace := range []bool{false, true} {
			l := fastCopy(base)
			y := make([]float32, len(x))
			in := x
			if inPlace {
				copy(y, x)
				in = y
			}
			stats := make([]float32, 5*l.StatsPerRow())
			if err := l.Forward(y, in, stats); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if !within(float64(y[i]), float64(want[i]), 1e-5) {
					t.Errorf("%T in place %v: y[%d] = %g, exact %g", base, inPlace, i, y[i], want[i])
				}
			}
			dx := make([]float32, len(x))
			if err := l.Backward(dx, nil, nil, x, x, stats); err != nil {
				t.Fatal(err)
			}
			for i, v := range dx {
				if math.IsNaN(float64(v)) {
					t.Errorf("%T: dx[%d] is NaN", base, i)
				}
			}
		}
	}
}

func TestFastValidate(t *testing.T) {
	if err := (&LayerNorm{Dim: 2, Arith: ArithGGML}).Validate(); err == nil {
		t.Error("LayerNorm with ArithGGML validated")
	}
	if err := (&RMSNorm{Dim: 2, Arith: ArithFast, EpsOutside: true, P: 0.5}).Validate(); err != nil {
		t.Errorf("ArithFast with eps outside and p: %v (should fall back to exact)", err)
	}
}

// BenchmarkNormFast: forward and backward of RMSNorm, pRMSNorm (p =
// 1/16, the trainer's default) and LayerNorm on the kernels: the trainer's
// 768 × 128 activation (docs/ABLATION.md) and 8 rows of 4096.
func BenchmarkNormFast(b *testing.B) {
	for _, d := range []int{128, 4096} {
		rows := 768
		if d == 4096 {
			rows = 8
		}
		x := make([]float32, d*rows)
		for i := range x {
			x[i] = float32(i%17) - 8
		}
		w := ones(d)
		for _, c := range []struct {
			name string
			l    Layer
		}{
			{"rmsnorm", &RMSNorm{Dim: d, Weight: w, Eps: 1e-5, Arith: ArithFast}},
			{"prmsnorm", &RMSNorm{Dim: d, Weight: w, Eps: 1e-5, P: 0.0625, Arith: ArithFast}},
			{"layernorm", &LayerNorm{Dim: d, Weight: w, Bias: make([]float32, d), Eps: 1e-5, Arith: ArithFast}},
		} {
			y, stats := make([]float32, len(x)), make([]float32, rows*c.l.StatsPerRow())
			dx, dw, db := make([]float32, len(x)), make([]float32, d), make([]float32, d)
			b.Run(fmt.Sprintf("%s/d%d/forward", c.name, d), func(b *testing.B) {
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					_ = c.l.Forward(y, x, stats)
				}
			})
			b.Run(fmt.Sprintf("%s/d%d/backward", c.name, d), func(b *testing.B) {
				_ = c.l.Forward(y, x, stats)
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					if _, ok := c.l.(*LayerNorm); ok {
						_ = c.l.Backward(dx, dw, db, x, x, stats)
					} else {
						_ = c.l.Backward(dx, dw, nil, x, x, stats)
					}
				}
			})
		}
	}
}
