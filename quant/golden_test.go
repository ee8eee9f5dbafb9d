package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files in testdata were produced by a NumPy transcription of the
// vectorised dequantizers of gguf-py (llama.cpp's Python package), an
// implementation independent of this one: 8 blocks of random bytes per
// type (with finite float16 scales), and the float32 values it decodes
// them to. quant.input holds 16 blocks of N(0, 0.02) values (one all zero)
// and q8_0.quant … q5_1.quant their reference quantizations (float32
// arithmetic, no fused multiply-add).

func readF32(t *testing.T, name string) []float32 {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func TestDequantizeMatchesGGUFPy(t *testing.T) {
	for _, typ := range []Type{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K} {
		name := strings.ToLower(typ.String())
		src, err := os.ReadFile(filepath.Join("testdata", name+".blocks"))
		if err != nil {
			t.Fatal(err)
		}
		want := readF32(t, name+".want")
		if len(src) != 8*typ.BlockBytes() || len(want) != 8*typ.BlockSize() {
			t.Fatalf("%v: golden sizes %d, %d", typ, len(src), len(want))
		}
		got := make([]float32, len(want))
		if err := Dequantize(typ, src, got); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] == 0 && want[i] == 0) {
				t.Fatalf("%v element %d (block %d): got %v, want %v", typ, i, i/typ.BlockSize(), got[i], want[i])
			}
		}
	}
}

func TestQuantizeMatchesReference(t *testing.T) {
	x := readF32(t, "quant.input")
	for _, typ := range []Type{Q8_0, Q4_0, Q4_1, Q5_0, Q5_1} {
		want, err := os.ReadFile(filepath.Join("testdata", strings.ToLower(typ.String())+".quant"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Quantize(typ, x)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			bb := typ.BlockBytes()
			for i := 0; i < len(want); i += bb {
				if !bytes.Equal(got[i:i+bb], want[i:i+bb]) {
					t.Errorf("%v block %d:\n got % x\nwant % x", typ, i/bb, got[i:i+bb], want[i:i+bb])
				}
			}
		}
	}
}
