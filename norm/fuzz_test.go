package norm

import (
	"encoding/binary"
	"math"
	"testing"
)

// fuzzFloats decodes float32 values from b, mapping each 4 bytes either to
// a moderate value (most of the time) or to the raw bit pattern, so the
// fuzzer reaches NaN, Inf, denormals and huge values as well.
func fuzzFloats(b []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		if len(b) < 4 {
			out[i] = float32(i%5) - 2
			continue
		}
		u := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if u&0xF == 0 {
			out[i] = math.Float32frombits(u)
		} else {
			out[i] = float32(int32(u)) / (1 << 24)
		}
	}
	return out
}

func allFinite(v ...[]float32) bool {
	for _, s := range v {
		for _, f := range s {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) || math.Abs(float64(f)) > 1e15 {
				return false
			}
		}
	}
	return true
}

// squaresFit reports whether every x² (and their sum) stays a normal float32.
func squaresFit(x []float32) bool {
	for _, v := range x {
		if a := math.Abs(float64(v)); a != 0 && (a < 1e-18 || a > 1e18) {
			return false
		}
	}
	return true
}

// FuzzNorm drives both layers with arbitrary shapes, options and data: no
// panics, errors for bad parameters, and on finite moderate data the
// float32 path agrees with the float64 reference.
func FuzzNorm(f *testing.F) {
	f.Add(uint8(4), uint8(2), uint8(3), 1e-6, 0.5, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add(uint8(1), uint8(1), uint8(0), 0.0, 0.0, []byte{0, 0, 0, 0})
	f.Add(uint8(7), uint8(3), uint8(0xff), 1e-3, 0.3, []byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f})
	f.Add(uint8(0), uint8(2), uint8(1), -1.0, 2.0, []byte{})
	f.Add(uint8(5), uint8(2), uint8(2), math.NaN(), math.Inf(1), []byte{9})
	f.Add(uint8(9), uint8(2), uint8(0x09), 1e-5, 0.0, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add(uint8(9), uint8(2), uint8(0x12), 1e-5, 0.5, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add(uint8(17), uint8(3), uint8(0x39), 1e-5, 0.0, []byte{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Fuzz(func(t *testing.T, d, rows, flags uint8, eps, p float64, data []byte) {
		dim, nrows := int(d%40), int(rows%5)
		n := dim * nrows
		x := fuzzFloats(data, n)
		dy := fuzzFloats(data[min(len(data), 4):], n)
		var w, b []float32
		if flags&1 != 0 && dim > 0 {
			w = fuzzFloats(data[min(len(data), 8):], dim)
		}
		if flags&2 != 0 && dim > 0 {
			b = fuzzFloats(data[min(len(data), 12):], dim)
		}
		layers := []Layer{
			&RMSNorm{Dim: dim, Weight: w, Bias: b, Eps: eps, EpsOutside: flags&4 != 0, WeightOffset: float32(flags >> 7), P: p,
				Arith: Arith((flags >> 3) % 4)},
			&LayerNorm{Dim: dim, Weight: w, Bias: b, Eps: eps, Arith: Arith((flags>>5)%2) * ArithFast},
		}
		for _, l := range layers {
			y := make([]float32, n)
			stats := make([]float32, nrows*l.StatsPerRow())
			err := l.Forward(y, x, stats)
			var verr error
			switch v := l.(type) {
			case *RMSNorm:
				verr = v.Validate()
			case *LayerNorm:
				verr = v.Validate()
			}
			if (err == nil) != (verr == nil) {
				t.Fatalf("Forward error %v but Validate %v", err, verr)
			}
			if err != nil {
				a := (flags >> 3) % 4
				compatOK := a == 0 || a == 3 || (flags&4 == 0 && eps <= math.MaxFloat32)
				if _, ok := l.(*LayerNorm); ok {
					compatOK = true
				}
				if dim > 0 && eps >= 0 && !math.IsInf(eps, 0) && (p == 0 || (p > 0 && p <= 1)) && compatOK {
					t.Fatalf("valid parameters rejected: %v", err)
				}
				continue
			}
			dx := make([]float32, n)
			dw, db := make([]float32, dim), make([]float32, dim)
			if err := l.Backward(dx, dw, db, dy, x, stats); err != nil {
				t.Fatal(err)
			}
			if !allFinite(x, w, b) || eps > 1e6 {
				continue
			}
			if rn, ok := l.(*RMSNorm); ok && (rn.Arith == ArithGGML || rn.Arith == ArithLlama2C) && !squaresFit(x) {
				continue // float32 squares under- or overflow, as in the C code
			}
			if ln, ok := l.(*LayerNorm); ok && ln.Arith == ArithFast {
				continue // float32 mean: no accuracy promise when |mean| ≫ σ
			}
			if rn, ok := l.(*RMSNorm); ok && rn.Arith == ArithFast && b != nil {
				continue // the bias is added in float32 and may cancel
			}
			ref := l.(ref64)
			x64, y64 := make([]float64, n), make([]float64, n)
			for i, v := range x {
				x64[i] = float64(v)
			}
			if err := ref.Forward64(y64, x64, nil); err != nil {
				t.Fatal(err)
			}
			for i := range y {
				if math.IsNaN(y64[i]) || math.Abs(y64[i]) > 1e30 {
					continue
				}
				tol := 2e-6
				mag := math.Abs(y64[i])
				if rn, ok := l.(*RMSNorm); ok && (rn.Arith == ArithLlama2C || rn.Arith == ArithFast) {
					tol = 1e-5 // float32 sums: error grows with d
				}
				if rn, ok := l.(*RMSNorm); ok && (rn.Arith == ArithGGML || rn.Arith == ArithLlama2C) && b != nil {
					// The bias is added to a float32 product and may
					// cancel it: the error is relative to the larger term.
					mag = max(mag, math.Abs(float64(b[i%dim])))
				}
				if math.Abs(float64(y[i])-y64[i]) > tol*(1+mag) {
					t.Fatalf("%T y[%d] = %g, reference %g", l, i, y[i], y64[i])
				}
			}
		}
	})
}

func BenchmarkRMSNormForward(b *testing.B) {
	const d, rows = 4096, 8
	n := NewRMSNorm(d, 1e-5)
	x := make([]float32, d*rows)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	y := make([]float32, len(x))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		_ = n.Forward(y, x, nil)
	}
}

func BenchmarkRMSNormBackward(b *testing.B) {
	const d, rows = 4096, 8
	n := NewRMSNorm(d, 1e-5)
	x := make([]float32, d*rows)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	dx, dw := make([]float32, len(x)), make([]float32, d)
	stats := make([]float32, rows)
	_ = n.Forward(dx, x, stats)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		_ = n.Backward(dx, dw, nil, x, x, stats)
	}
}

func BenchmarkLayerNormForward(b *testing.B) {
	const d, rows = 4096, 8
	n := NewLayerNorm(d, 1e-5)
	x := make([]float32, d*rows)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	y := make([]float32, len(x))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		_ = n.Forward(y, x, nil)
	}
}
