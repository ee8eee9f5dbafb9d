//go:build amd64 && !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmparts/llmparts/quant"
)

// q8kRandom returns one row of n activations as Q8_K: quantized from
// Gaussian values (quantized true) or raw random quants, −128 included,
// with a finite scale and the block sums that match the quants.
func q8kRandom(rng *rand.Rand, n int, quantized bool) []byte {
	xq := make([]byte, quant.Q8_K.MustRowBytes(n))
	if quantized {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 3
		}
		QuantizeActivations(quant.Q6_K, xq, x)
		return xq
	}
	xb := quant.Q8_K.BlockBytes()
	for b := 0; b < n/256; b++ {
		blk := xq[b*xb : (b+1)*xb]
		d := math.Float32bits(float32(rng.NormFloat64()) * 0.05)
		blk[0], blk[1], blk[2], blk[3] = byte(d), byte(d>>8), byte(d>>16), byte(d>>24)
		for g := 0; g < 16; g++ {
			var s int16
			for i := 0; i < 16; i++ {
				v := byte(rng.Uint32())
				blk[4+16*g+i] = v
				s += int16(int8(v))
			}
			blk[260+2*g], blk[261+2*g] = byte(s), byte(uint16(s)>>8)
		}
	}
	return xq
}

// TestKQuantZBitExact checks the AVX-512 one-token K-quant kernels
// against the generic Go kernels (llama.cpp's AVX2 arithmetic) and the
// AVX2 assembly, bit for bit, on odd shapes and on activations with every
// int8 value, and that the registered GemvQ runs them.
func TestKQuantZBitExact(t *testing.T) {
	if !hasKZ {
		t.Skip("no AVX-512 VNNI: the AVX-512 K-quant kernels are not used on this CPU")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	type kern struct {
		typ  quant.Type
		z    func(y []float32, w, xq []byte)
		avx2 func(y []float32, w, xq []byte)
	}
	for _, k := range []kern{{quant.Q6_K, gemvQ6KZ, gemvQ6KQ8KAsm}} {
		ref := gemvQKGeneric(unpackers[k.typ], k.typ.BlockBytes(), kMins[k.typ])
		for _, s := range [][2]int{{1, 256}, {3, 512}, {37, 768}, {5, 1280}, {2, 2048}} {
			m, n := s[0], s[1]
			w := randWeights(rng, k.typ, m, n)
			for _, quantized := range []bool{true, false} {
				xq := q8kRandom(rng, n, quantized)
				want, got, avx2 := make([]float32, m), make([]float32, m), make([]float32, m)
				ref(want, w, xq)
				k.z(got, w, xq)
				k.avx2(avx2, w, xq)
				for r := range want {
					if math.Float32bits(got[r]) != math.Float32bits(want[r]) {
						t.Fatalf("%v %dx%d (quantized %v) row %d: avx512 %v, generic %v", k.typ, m, n, quantized, r, got[r], want[r])
					}
					if quantized && math.Float32bits(avx2[r]) != math.Float32bits(want[r]) {
						t.Fatalf("%v %dx%d row %d: avx2 %v, generic %v", k.typ, m, n, r, avx2[r], want[r])
					}
				}
				if quantized {
					reg := make([]float32, m)
					k.typ.Kernels().GemvQ(reg, w, xq, m, n)
					for r := range want {
						if math.Float32bits(reg[r]) != math.Float32bits(want[r]) {
							t.Fatalf("%v %dx%d row %d: GemvQ %v, generic %v", k.typ, m, n, r, reg[r], want[r])
						}
					}
				}
			}
		}
		if v := k.typ.Kernels().Variant; !hasKZ || len(v) < 6 || v[:6] != "avx512" {
			t.Errorf("%v variant %q does not name the AVX-512 kernel", k.typ, v)
		}
	}
}

// BenchmarkKQuantZ compares the one-token integer kernels, AVX-512 and
// AVX2, on one thread: a 2048×768 matrix (in cache) and a 32000×768 one
// (the 134M model's output matrix, from memory). MB/s and cpu-GB/s (per
// second of CPU time, less sensitive to a busy machine) count weight bytes.
func BenchmarkKQuantZ(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, typ := range []quant.Type{quant.Q6_K} {
		kerns := map[string]func(y []float32, w, xq []byte){"avx2": gemvQ6KQ8KAsm}
		if hasKZ {
			kerns["avx512"] = gemvQ6KZ
		}
		for _, m := range []int{2048, 32000} {
			n := 768
			w := randWeights(rng, typ, m, n)
			xq := q8kRandom(rng, n, true)
			y := make([]float32, m)
			for _, name := range []string{"avx2", "avx512"} {
				f := kerns[name]
				if f == nil {
					continue
				}
				b.Run(fmt.Sprintf("%v/%dx%d/%s", typ, m, n, name), func(b *testing.B) {
					b.SetBytes(int64(len(w)))
					cpuBench(b, 0, float64(len(w)), func() { f(y, w, xq) })
				})
			}
		}
	}
}
