package kernel

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestFMA32 checks the single rounding of FMA32 where the float64 sum
// falls exactly halfway between two float32 values.
func TestFMA32(t *testing.T) {
	a := float32(1 + 0x1p-12) // a·a = 1 + 2⁻¹¹ + 2⁻²⁴: a float32 tie
	for _, c := range []struct{ c, want float32 }{
		{0x1p-70, 1 + 0x1p-11 + 0x1p-23}, // the tiny addend breaks the tie upward
		{-0x1p-70, 1 + 0x1p-11},
		{0, 1 + 0x1p-11}, // an exact tie: to even
	} {
		if got := FMA32(a, a, c.c); got != c.want {
			t.Errorf("FMA32(a, a, %g) = %x, want %x", c.c, got, c.want)
		}
	}
	if got := FMA32(3, 5, 7); got != 22 {
		t.Errorf("FMA32(3, 5, 7) = %v", got)
	}
	if got := FMA32(0x1p-100, 0x1p-40, 0); got != 0x1p-140 { // subnormal result
		t.Errorf("FMA32 subnormal = %g", got)
	}
}

// TestExpGGML checks ggml's exp against math.Exp (within 2 ulp on the
// range softmax and SiLU use) and its limits.
func TestExpGGML(t *testing.T) {
	for x := float32(-87); x < 88; x += 0.0137 {
		got, want := ExpGGML(x), math.Exp(float64(x))
		if d := math.Abs(float64(got)-want) / want; d > 2.5e-7 {
			t.Fatalf("ExpGGML(%v) = %v, exp %v (rel %.2g)", x, got, want, d)
		}
	}
	if ExpGGML(0) != 1 || ExpGGML(float32(math.Inf(-1))) != 0 || !math.IsInf(float64(ExpGGML(200)), 1) || ExpGGML(-200) != 0 {
		t.Error("ExpGGML limits: want exp(0) = 1, exp(-Inf) = 0, exp(200) = +Inf, exp(-200) = 0")
	}
}

// TestSoftmaxGGML checks that the weights sum to 1 and that the offset
// only moves the 16-key blocks of the sum.
func TestSoftmaxGGML(t *testing.T) {
	x := make([]float32, 37)
	for i := range x {
		x[i] = float32(math.Sin(float64(i))) * 3
	}
	for _, off := range []int{0, 5} {
		y := append([]float32(nil), x...)
		SoftmaxGGML(y, off)
		var s float64
		for _, v := range y {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-6 {
			t.Errorf("off %d: sum %v", off, s)
		}
	}
}

// TestDotGGMLParts checks DotGGML on lengths that take each of its parts
// (64-wide blocks, 16 and 8 leftovers, the fused tail) against float64.
func TestDotGGMLParts(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 15, 16, 24, 31, 32, 64, 80, 96, 128, 200} {
		x, y := make([]float32, n), make([]float32, n)
		var want float64
		for i := range x {
			x[i], y[i] = float32(math.Cos(float64(i))), float32(math.Sin(float64(3*i+1)))
			want += float64(x[i]) * float64(y[i])
		}
		if got := DotGGML(x, y); math.Abs(float64(got)-want) > 1e-5 {
			t.Errorf("n=%d: %v, float64 %v", n, got, want)
		}
	}
}

// TestGGMLMatchesLlamaCpp checks the GGML functions bit for bit against
// llama.cpp's own ggml ops (testdata/ggml_avx512.c wrote the file with
// its AVX-512 CPU build): dot products of 8 to 256 values (every part of
// ggml_vec_dot_f32), softmax rows with masked keys, SiLU, and the
// weighted sums of its F32 GEMM.
func TestGGMLMatchesLlamaCpp(t *testing.T) {
	b, err := os.ReadFile("testdata/ggml_avx512.txt")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for ln, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		ints := func(i int) int { v, _ := strconv.Atoi(f[i]); return v }
		floats := func(from, n int) []float32 {
			out := make([]float32, n)
			for i := range out {
				u, err := strconv.ParseUint(f[from+i], 16, 32)
				if err != nil {
					t.Fatalf("line %d: %v", ln+1, err)
				}
				out[i] = math.Float32frombits(uint32(u))
			}
			return out
		}
		same := func(what string, got, want []float32) {
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Errorf("line %d %s: [%d] = %v, llama.cpp %v", ln+1, what, i, got[i], want[i])
					return
				}
			}
		}
		counts[f[0]]++
		switch f[0] {
		case "dot":
			n := ints(1)
			x, y, r := floats(2, n), floats(2+n, n), floats(2+2*n, 1)
			same(fmt.Sprintf("dot %d", n), []float32{DotGGML(x, y)}, r)
		case "softmax":
			n, p := ints(1), ints(2)
			scale := floats(3, 1)[0]
			x, r := floats(4, n), floats(4+n, n)
			row := make([]float32, n)
			for i := range x[:p] {
				row[i] = x[i] * scale
			}
			SoftmaxGGML(row[:p], 0)
			same(fmt.Sprintf("softmax %d/%d", p, n), row, r)
		case "silu":
			n := ints(1)
			x, r := floats(2, n), floats(2+n, n)
			ones := make([]float32, n)
			for i := range ones {
				ones[i] = 1
			}
			got := make([]float32, n)
			SiLUMulGGML(got, x, ones)
			// ggml's last n mod 16 values use the C library's expf
			// (SiLUMulGGML: ExpGGML), within an ulp of it.
			m := n &^ 15
			same("silu", got[:m], r[:m])
			for i := m; i < n; i++ {
				if d := math.Abs(float64(got[i] - r[i])); d > 2e-7*math.Abs(float64(r[i]))+1e-30 {
					t.Errorf("silu tail [%d] = %v, llama.cpp %v", i, got[i], r[i])
				}
			}
		case "wsum":
			nkv, hd := ints(1), ints(2)
			w, v, r := floats(3, nkv), floats(3+nkv, nkv*hd), floats(3+nkv+nkv*hd, hd)
			got := make([]float32, hd)
			WeightedSumGGML(got, w, v, hd, 0)
			same(fmt.Sprintf("wsum %d×%d", nkv, hd), got, r)
		}
	}
	if counts["dot"] < 20 || counts["softmax"] < 5 || counts["silu"] < 1 || counts["wsum"] < 4 {
		t.Fatalf("cases %v: wrong file", counts)
	}
}
