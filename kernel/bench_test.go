package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func benchVec(n int) []float32 { return randVec(rand.New(rand.NewPCG(1, 1)), n) }

func reportFlops(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkDot4096(b *testing.B) {
	x, y := benchVec(4096), benchVec(4096)
	b.SetBytes(2 * 4 * 4096)
	var s float32
	for b.Loop() {
		s += Dot(x, y)
	}
	reportFlops(b, 2*4096)
	_ = s
}

func BenchmarkAxpy4096(b *testing.B) {
	x, y := benchVec(4096), benchVec(4096)
	b.SetBytes(3 * 4 * 4096)
	for b.Loop() {
		Axpy(1e-6, x, y)
	}
	reportFlops(b, 2*4096)
}

func BenchmarkSumSq4096(b *testing.B) {
	x := benchVec(4096)
	b.SetBytes(4 * 4096)
	for b.Loop() {
		SumSq(x)
	}
}

func BenchmarkSgemv4096(b *testing.B) {
	const m, n = 4096, 4096
	a, x, y := benchVec(m*n), benchVec(n), make([]float32, m)
	b.SetBytes(4 * m * n)
	for b.Loop() {
		Sgemv(y, a, x, m, n)
	}
	reportFlops(b, 2*m*n)
}

func BenchmarkSgemm1024(b *testing.B) {
	const n = 1024
	x, y, c := benchVec(n*n), benchVec(n*n), make([]float32, n*n)
	for b.Loop() {
		Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n)
	}
	reportFlops(b, 2*n*n*n)
}

func BenchmarkMatMulT512x4096x1024(b *testing.B) {
	const m, n, k = 512, 1024, 4096
	x, w, c := benchVec(m*k), benchVec(n*k), make([]float32, m*n)
	for b.Loop() {
		MatMulT(c, x, w, m, n, k, false)
	}
	reportFlops(b, 2*m*n*k)
}

func BenchmarkGemvQ8_0(b *testing.B) {
	const m, n = 4096, 4096
	q8, _ := quantRows(rand.New(rand.NewPCG(1, 2)), m, n)
	x, y := benchVec(n), make([]float32, m)
	b.SetBytes(int64(len(q8)))
	for b.Loop() {
		GemvQ8_0(y, q8, x, m, n)
	}
	reportFlops(b, 2*m*n)
}

func BenchmarkGemvQ4_0(b *testing.B) {
	const m, n = 4096, 4096
	_, q4 := quantRows(rand.New(rand.NewPCG(1, 2)), m, n)
	x, y := benchVec(n), make([]float32, m)
	b.SetBytes(int64(len(q4)))
	for b.Loop() {
		GemvQ4_0(y, q4, x, m, n)
	}
	reportFlops(b, 2*m*n)
}

func BenchmarkRMSNorm16x4096(b *testing.B) {
	const rows, d = 16, 4096
	x, w, y := benchVec(rows*d), benchVec(d), make([]float32, rows*d)
	b.SetBytes(2 * 4 * rows * d)
	for b.Loop() {
		RMSNormRows(y, x, w, d, 1e-5, nil)
	}
}

func BenchmarkLayerNorm16x4096(b *testing.B) {
	const rows, d = 16, 4096
	x, w, bb, y := benchVec(rows*d), benchVec(d), benchVec(d), make([]float32, rows*d)
	b.SetBytes(2 * 4 * rows * d)
	for b.Loop() {
		LayerNormRows(y, x, w, bb, d, 1e-5, nil, nil)
	}
}

func BenchmarkRMSNormFwdBwd16x4096(b *testing.B) {
	const rows, d = 16, 4096
	x, w, y, dy, dx, dw := benchVec(rows*d), benchVec(d), make([]float32, rows*d), benchVec(rows*d), make([]float32, rows*d), make([]float32, d)
	inv := make([]float32, rows)
	for b.Loop() {
		RMSNormRows(y, x, w, d, 1e-5, inv)
		RMSNormBackwardRows(dx, dw, dy, x, w, inv, d)
	}
}

func BenchmarkLayerNormFwdBwd16x4096(b *testing.B) {
	const rows, d = 16, 4096
	x, w, bb, y, dy, dx, dw, db := benchVec(rows*d), benchVec(d), benchVec(d), make([]float32, rows*d), benchVec(rows*d), make([]float32, rows*d), make([]float32, d), make([]float32, d)
	mean, inv := make([]float32, rows), make([]float32, rows)
	for b.Loop() {
		LayerNormRows(y, x, w, bb, d, 1e-5, mean, inv)
		LayerNormBackwardRows(dx, dw, db, dy, x, w, mean, inv, d)
	}
}

func BenchmarkRoPE(b *testing.B) {
	const nt, nh, hd = 256, 32, 128
	x := benchVec(nt * nh * hd)
	cos, sin := make([]float32, nt*hd/2), make([]float32, nt*hd/2)
	for i := range cos {
		// Unit-length rotations keep x bounded over repeated calls.
		cos[i], sin[i] = float32(math.Cos(float64(i))), float32(math.Sin(float64(i)))
	}
	b.SetBytes(2 * 4 * nt * nh * hd)
	for b.Loop() {
		RoPERows(x, nt, nh, hd, hd, cos, sin, true)
	}
}

func BenchmarkSoftmax4096(b *testing.B) {
	x := benchVec(4096)
	b.SetBytes(2 * 4 * 4096)
	for b.Loop() {
		Softmax(x)
	}
}

func BenchmarkSiLUMul4096(b *testing.B) {
	g, u, d := benchVec(4096), benchVec(4096), make([]float32, 4096)
	b.SetBytes(3 * 4 * 4096)
	for b.Loop() {
		SiLUMul(d, g, u)
	}
}

func BenchmarkF16ToF32(b *testing.B) {
	src, dst := make([]uint16, 4096), make([]float32, 4096)
	for i := range src {
		src[i] = uint16(i * 7)
	}
	b.SetBytes(6 * 4096)
	for b.Loop() {
		F16ToF32(dst, src)
	}
}

func BenchmarkGemvQ8_0Q8(b *testing.B) {
	const m, n = 4096, 4096
	q8, _ := quantRows(rand.New(rand.NewPCG(1, 2)), m, n)
	x, y := benchVec(n), make([]float32, m)
	xq := make([]byte, n/32*34)
	b.SetBytes(int64(len(q8)))
	for b.Loop() {
		QuantizeQ8_0(xq, x)
		GemvQ8_0Q8(y, q8, xq, m, n)
	}
	reportFlops(b, 2*m*n)
}

func BenchmarkGemvQ4_0Q8(b *testing.B) {
	const m, n = 4096, 4096
	_, q4 := quantRows(rand.New(rand.NewPCG(1, 2)), m, n)
	x, y := benchVec(n), make([]float32, m)
	xq := make([]byte, n/32*34)
	b.SetBytes(int64(len(q4)))
	for b.Loop() {
		QuantizeQ8_0(xq, x)
		GemvQ4_0Q8(y, q4, xq, m, n)
	}
	reportFlops(b, 2*m*n)
}

func BenchmarkGemvF16(b *testing.B) {
	const m, n = 4096, 4096
	w := make([]uint16, m*n)
	F32ToF16(w, benchVec(m*n))
	x, y := benchVec(n), make([]float32, m)
	b.SetBytes(2 * m * n)
	for b.Loop() {
		GemvF16(y, w, x, m, n)
	}
	reportFlops(b, 2*m*n)
}

// BenchmarkElementwise covers the remaining vector kernels on 4096 floats.
func BenchmarkElementwise(b *testing.B) {
	const n = 4096
	x, y, d := benchVec(n), benchVec(n), make([]float32, n)
	h := make([]uint16, n)
	xq := make([]byte, n/32*34)
	for _, c := range []struct {
		name  string
		bytes int64
		f     func()
	}{
		{"Scale", 8 * n, func() { Scale(1, x) }},
		{"Add", 12 * n, func() { Add(d, x, y) }},
		{"Mul", 12 * n, func() { Mul(d, x, y) }},
		{"Max", 4 * n, func() { Max(x) }},
		{"F32ToF16", 6 * n, func() { F32ToF16(h, x) }},
		{"BF16ToF32", 6 * n, func() { BF16ToF32(d, h) }},
		{"F32ToBF16", 6 * n, func() { F32ToBF16(h, x) }},
		{"QuantizeQ8_0", 4*n + n/32*34, func() { QuantizeQ8_0(xq, x) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(c.bytes)
			for b.Loop() {
				c.f()
			}
		})
	}
}

func BenchmarkGemvBF16(b *testing.B) {
	const m, n = 4096, 4096
	w := make([]uint16, m*n)
	F32ToBF16(w, benchVec(m*n))
	x, y := benchVec(n), make([]float32, m)
	b.SetBytes(2 * m * n)
	for b.Loop() {
		GemvBF16(y, w, x, m, n)
	}
	reportFlops(b, 2*m*n)
}
