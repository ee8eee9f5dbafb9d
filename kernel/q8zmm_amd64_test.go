//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/llmparts/llmparts/quant"
)

// TestGemmQ8Z: the sixteen-row, eight-token kernels (Q8_0, Q4_0) on ZMM
// and their eight-row AVX2 forms (yGemm*, tested on every AVX2 CPU) give
// bit for bit the arithmetic spelled out in Go (zGemm.exact), for row
// counts that are not multiples of 16 (the tail rows go to exact itself,
// so the sizes cover both), 1 to 17 tokens, ldy > m and Q8_0 weight
// bytes of −128; and
// the one-token kernel (gemv) gives the same; and exact agrees with the
// float64 sum of the dequantized products to float32 rounding.
func TestGemmQ8Z(t *testing.T) {
	var zs []*zGemm
	if hasQ8Y { // the AVX2 forms (q8ymm_amd64.go), tested on every CPU that has them
		zs = append(zs, yGemmQ8_0, yGemmQ4_0)
	}
	if hasVNNIZ {
		zs = append(zs, zGemmQ8_0, zGemmQ4_0)
	} else {
		t.Log("this CPU has no AVX-512 VNNI with BW and VL: only the AVX2 kernels tested")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, z := range zs {
		quantize := QuantizeQ8_0
		if z.q4 {
			quantize = randomQ4_0(rng)
		}
		for _, nb := range []int{1, 3, 24} {
			n := nb * QK
			for _, m := range []int{16, 17, 24, 48, 100} {
				for T := 1; T <= 17; T++ {
					w := make([]byte, m*nb*z.bs)
					wf := make([]float32, n)
					for r := 0; r < m; r++ {
						for i := range wf {
							wf[i] = float32(rng.NormFloat64())
						}
						quantize(w[r*nb*z.bs:(r+1)*nb*z.bs], wf)
					}
					if !z.q4 { // −128, which no quantizer writes but a file may hold
						for i := 5; i < len(w); i += 7*z.bs + 3 {
							if i%z.bs >= 2 {
								w[i] = 0x80
							}
						}
					}
					xq := make([]byte, T*nb*q8BlockSize)
					x := make([]float32, n)
					for tk := 0; tk < T; tk++ {
						for i := range x {
							x[i] = float32(rng.NormFloat64()) * 3
						}
						QuantizeQ8_0(xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize], x)
					}
					ldy := m + 5
					got := make([]float32, (T-1)*ldy+m)
					want := make([]float32, len(got))
					for i := range got {
						got[i], want[i] = -1, -1 // untouched between rows m and ldy
					}
					z.gemm(got, ldy, w, xq, m, n, T)
					pa := make([]byte, (T+7)/8*nb*zPacked)
					pg := make([]byte, len(pa))
					for i := range pa {
						pa[i] = 0xee // pack must write or clear every byte
					}
					z.pack(pa, xq, T, nb)
					z.packGo(pg, xq, T, nb)
					if string(pa) != string(pg) {
						t.Fatalf("q4 %v nb %d T %d: packQ8ZAsm differs from the Go packing", z.q4, nb, T)
					}
					z.exact(want, ldy, w, xq, 0, m, nb, T)
					for i := range got {
						if got[i] != want[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
							t.Fatalf("q4 %v nb %d m %d T %d: y[%d] (token %d row %d) = %v, want %v", z.q4, nb, m, T, i, i/ldy, i%ldy, got[i], want[i])
						}
					}
					one := make([]float32, m)
					for tk := 0; tk < T; tk++ {
						z.gemv(one, w, xq[tk*nb*q8BlockSize:(tk+1)*nb*q8BlockSize])
						for r := range one {
							if one[r] != want[tk*ldy+r] {
								t.Fatalf("q4 %v nb %d m %d token %d row %d: gemv %v, want %v", z.q4, nb, m, tk, r, one[r], want[tk*ldy+r])
							}
						}
					}
					// Against the sum in float64 of d_w·d_x·(w·x) from the
					// dequantized blocks: within float32 rounding of Σ|terms|.
					for tk := 0; tk < T; tk++ {
						for r := 0; r < m; r++ {
							var ref, mag float64
							for b := 0; b < nb; b++ {
								wd := make([]float32, QK)
								if z.q4 {
									dequantQ4Block(wd, w[(r*nb+b)*z.bs:])
								} else {
									dequantQ8Block(wd, w[(r*nb+b)*z.bs:])
								}
								xd := make([]float32, QK)
								dequantQ8Block(xd, xq[(tk*nb+b)*q8BlockSize:])
								for i := range wd {
									ref += float64(wd[i]) * float64(xd[i])
									mag += math.Abs(float64(wd[i]) * float64(xd[i]))
								}
							}
							if d := math.Abs(ref - float64(want[tk*ldy+r])); d > 1e-6*mag+1e-30 {
								t.Fatalf("q4 %v nb %d m %d T %d token %d row %d: exact %v, float64 %v (Σ|terms| %v)", z.q4, nb, m, T, tk, r, want[tk*ldy+r], ref, mag)
							}
						}
					}
				}
			}
		}
	}
}

func dequantQ8Block(dst []float32, blk []byte) {
	d := f16le(blk)
	for i := range dst {
		dst[i] = d * float32(int8(blk[2+i]))
	}
}

func dequantQ4Block(dst []float32, blk []byte) {
	d := f16le(blk)
	for i := 0; i < 16; i++ {
		dst[i] = d * float32(int(blk[2+i]&15)-8)
		dst[16+i] = d * float32(int(blk[2+i]>>4)-8)
	}
}

// TestQuantizeQ8_0Z: the AVX-512 activation quantizer writes the bytes of
// quantizeQ8_0x86 (llama.cpp's x86 rounding), for blocks of normal,
// tiny, huge, zero and half-way values.
func TestQuantizeQ8_0Z(t *testing.T) {
	if !cpu.X86.HasAVX512F {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const nb = 64
	x := make([]float32, nb*QK)
	for b := 0; b < nb; b++ {
		scale := float32(math.Pow(10, float64(b%12-6)))
		for i := 0; i < QK; i++ {
			v := float32(rng.NormFloat64()) * scale
			switch b % 8 {
			case 3: // all zero
				v = 0
			case 5: // exact halves after scaling: max 127, others k+0.5
				v = float32(i%9) + 0.5
				if i == 0 {
					v = 127
				}
			case 6:
				v = float32(math.Copysign(0, float64(v)))
				if i == 7 {
					v = -1e-30
				}
			}
			x[b*QK+i] = v
		}
	}
	got := make([]byte, nb*q8BlockSize)
	want := make([]byte, nb*q8BlockSize)
	quantizeQ8_0Z(got, x)
	quantizeQ8_0x86(want, x)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("block %d byte %d: %#x, want %#x", i/q8BlockSize, i%q8BlockSize, got[i], want[i])
		}
	}
}

// archIntRef returns the Go arithmetic of the integer kernels this CPU
// runs for typ when they do not follow llama.cpp's one-token lane order,
// or nil.
func archIntRef(typ quant.Type) func(y []float32, w, xq []byte) {
	z := map[quant.Type]*zGemm{quant.Q8_0: zGemmQ8_0, quant.Q4_0: zGemmQ4_0}[typ]
	if z == nil || !(hasVNNIZ || hasQ8Y) {
		return nil
	}
	return func(y []float32, w, xq []byte) {
		nb := len(xq) / q8BlockSize
		z.exact(y, len(y), w, xq, 0, len(y), nb, 1)
	}
}

// randomQ4_0 returns a Q4_0 "quantizer" for the test: each block's scale
// is the Q8_0 scale of its 32 values (a valid binary16), its nibbles
// random.
func randomQ4_0(rng *rand.Rand) func(dst []byte, x []float32) {
	return func(dst []byte, x []float32) {
		q8 := make([]byte, q8BlockSize)
		for b := 0; b < len(x)/QK; b++ {
			QuantizeQ8_0(q8, x[b*QK:(b+1)*QK])
			blk := dst[b*q4BlockSize : (b+1)*q4BlockSize]
			blk[0], blk[1] = q8[0], q8[1]
			for i := 2; i < q4BlockSize; i++ {
				blk[i] = byte(rng.Uint32())
			}
		}
	}
}
