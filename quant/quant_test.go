package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTypeTable(t *testing.T) {
	for _, c := range []struct {
		t      Type
		name   string
		bs, bb int
	}{
		{F32, "F32", 1, 4}, {F16, "F16", 1, 2}, {BF16, "BF16", 1, 2}, {Q4_0, "Q4_0", 32, 18}, {Q4_1, "Q4_1", 32, 20},
		{Q5_0, "Q5_0", 32, 22}, {Q5_1, "Q5_1", 32, 24}, {Q8_0, "Q8_0", 32, 34}, {Q8_1, "Q8_1", 32, 36},
		{Q2_K, "Q2_K", 256, 84}, {Q3_K, "Q3_K", 256, 110}, {Q4_K, "Q4_K", 256, 144}, {Q5_K, "Q5_K", 256, 176},
		{Q6_K, "Q6_K", 256, 210}, {Q8_K, "Q8_K", 256, 292}, {I8, "I8", 1, 1}, {I16, "I16", 1, 2}, {I32, "I32", 1, 4},
		{I64, "I64", 1, 8}, {F64, "F64", 1, 8}, {IQ4_NL, "IQ4_NL", 32, 18}, {IQ4_XS, "IQ4_XS", 256, 136},
		{IQ2_XXS, "IQ2_XXS", 256, 66}, {IQ1_M, "IQ1_M", 256, 56}, {TQ1_0, "TQ1_0", 256, 54}, {MXFP4, "MXFP4", 32, 17},
	} {
		if c.t.String() != c.name || c.t.BlockSize() != c.bs || c.t.BlockBytes() != c.bb {
			t.Errorf("%d: %s %d %d, want %s %d %d", uint32(c.t), c.t, c.t.BlockSize(), c.t.BlockBytes(), c.name, c.bs, c.bb)
		}
		if p, err := ParseType(strings.ToLower(c.name)); err != nil || p != c.t {
			t.Errorf("ParseType(%q) = %v, %v", c.name, p, err)
		}
	}
	if Type(4).Known() || Type(4).String() != "type(4)" || Type(4).BlockSize() != 0 {
		t.Error("type 4 (removed Q4_2) should be unknown")
	}
	if n, err := Q4_K.RowBytes(512); n != 288 || err != nil {
		t.Errorf("Q4_K.RowBytes(512) = %d, %v", n, err)
	}
	if _, err := Q4_K.RowBytes(100); err == nil {
		t.Error("Q4_K.RowBytes(100) succeeded")
	}
}

func h16(f float32) []byte { return binary.LittleEndian.AppendUint16(nil, F32ToF16(f)) }

func TestQuantizeQ8_0Golden(t *testing.T) {
	x := make([]float32, 32)
	for i := range x {
		x[i] = 1
	}
	x[0], x[1], x[2], x[3], x[4] = -127, 2.5, -2.5, 0.49, 126.6
	got := make([]byte, 34)
	if err := QuantizeQ8_0(x, got); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x00, 0x3c, 0x81, 3, 0xfd, 0, 127} // d = 1.0, q = -127, 3, -3, 0, 127
	for i := 5; i < 32; i++ {
		want = append(want, 1)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Q8_0 block\n got % x\nwant % x", got, want)
	}
	y := make([]float32, 32)
	Dequantize(Q8_0, got, y)
	if y[0] != -127 || y[1] != 3 || y[2] != -3 || y[3] != 0 || y[4] != 127 || y[31] != 1 {
		t.Errorf("dequantized %v", y[:6])
	}
	// All zeros: d = 0, q = 0.
	Quantize(Q8_0, make([]float32, 32))
	z, _ := Quantize(Q8_0, make([]float32, 32))
	if !bytes.Equal(z, make([]byte, 34)) {
		t.Errorf("zeros → % x", z)
	}
}

func TestQuantizeQ4_0Golden(t *testing.T) {
	x := make([]float32, 32)
	// Largest magnitude is -8, so d = -8/-8 = 1 and q = min(15, trunc(x+8.5)).
	x[0], x[1], x[2], x[3], x[4], x[5] = -8, 7, 7.6, 0.4, 0.5, -0.6
	x[16], x[17] = 3, -3.4
	got := make([]byte, 18)
	if err := QuantizeQ4_0(x, got); err != nil {
		t.Fatal(err)
	}
	q := []byte{0, 15, 15, 8, 9, 7} // low nibbles, elements 0..5
	want := []byte{0x00, 0x3c}
	for j := 0; j < 16; j++ {
		lo, hi := byte(8), byte(8) // x = 0 → trunc(8.5) = 8
		if j < len(q) {
			lo = q[j]
		}
		if j == 0 {
			hi = 11 // 3 + 8.5
		} else if j == 1 {
			hi = 5 // -3.4 + 8.5 = 5.1
		}
		want = append(want, lo|hi<<4)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Q4_0 block\n got % x\nwant % x", got, want)
	}
	y := make([]float32, 32)
	Dequantize(Q4_0, got, y)
	if y[0] != -8 || y[1] != 7 || y[2] != 7 || y[3] != 0 || y[4] != 1 || y[5] != -1 || y[16] != 3 || y[17] != -3 {
		t.Errorf("dequantized %v %v", y[:6], y[16:18])
	}
	// A positive largest value gives a negative scale.
	x[0] = 8
	QuantizeQ4_0(x, got)
	if d := F16ToF32(binary.LittleEndian.Uint16(got)); d != -1 {
		t.Errorf("d = %v, want -1", d)
	}
}

func randNormal(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func TestQuantizeErrorBounds(t *testing.T) {
	x := randNormal(32*64, 7)
	x[5] = 0 // exercise exact zero
	for _, c := range []struct {
		t     Type
		bound float32 // error bound as a multiple of max|x| of the block
	}{
		{Q8_0, 0.5/127 + 1.0/2048}, // half a step, plus the f16 rounding of d
		{Q4_0, 1.0/8 + 1.0/2048},   // a full step at the clamped end
		{Q5_0, 1.0/16 + 1.0/2048},
		{Q4_1, 2.0/15*0.51 + 1.0/1024}, // half a step of the range, plus f16 d and m
		{Q5_1, 2.0/31*0.51 + 1.0/1024},
	} {
		b, err := Quantize(c.t, x)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]float32, len(x))
		if err := Dequantize(c.t, b, y); err != nil {
			t.Fatal(err)
		}
		var sum float64
		for blk := 0; blk < len(x)/32; blk++ {
			var amax float32
			for _, v := range x[blk*32 : blk*32+32] {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			for i := blk * 32; i < blk*32+32; i++ {
				e := float32(math.Abs(float64(x[i] - y[i])))
				sum += float64(e * e)
				if e > c.bound*amax {
					t.Fatalf("%v: element %d: %v → %v, error %v > %v", c.t, i, x[i], y[i], e, c.bound*amax)
				}
			}
		}
		t.Logf("%v: rms error %.4f", c.t, math.Sqrt(sum/float64(len(x))))
	}
	for _, typ := range []Type{F32, F16, BF16} {
		b, _ := Quantize(typ, x)
		y := make([]float32, len(x))
		Dequantize(typ, b, y)
		for i := range x {
			rel := map[Type]float64{F32: 0, F16: 1.0 / 2048, BF16: 1.0 / 256}[typ]
			if math.Abs(float64(x[i]-y[i])) > rel*math.Abs(float64(x[i]))+1e-7 {
				t.Fatalf("%v: %v → %v", typ, x[i], y[i])
			}
		}
	}
}

func TestDequantizeErrors(t *testing.T) {
	if err := Dequantize(Q8_0, make([]byte, 33), make([]float32, 32)); err == nil {
		t.Error("short source accepted")
	}
	if err := Dequantize(Q8_0, make([]byte, 34), make([]float32, 31)); err == nil {
		t.Error("partial block accepted")
	}
	if err := Dequantize(IQ2_XXS, make([]byte, 66), make([]float32, 256)); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("IQ2_XXS: %v", err)
	}
	if err := Dequantize(Type(99), nil, nil); err == nil {
		t.Error("unknown type accepted")
	}
	if _, err := Quantize(IQ2_XXS, make([]float32, 256)); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Error("Quantize IQ2_XXS accepted")
	}
	if err := QuantizeQ8_0(make([]float32, 32), make([]byte, 30)); err == nil {
		t.Error("short destination accepted")
	}
}

func TestDequantizeScalars(t *testing.T) {
	src := []byte{0xff, 0xfe, 0xff, 0x00, 0x00, 0x80, 0xbf}
	y := make([]float32, 1)
	Dequantize(I8, src[:1], y)
	if y[0] != -1 {
		t.Errorf("I8 %v", y)
	}
	Dequantize(I16, src[1:3], y)
	if y[0] != -2 {
		t.Errorf("I16 %v", y)
	}
	Dequantize(F32, src[3:7], y)
	if y[0] != -1 {
		t.Errorf("F32 %v", y)
	}
	Dequantize(BF16, src[5:7], y)
	if y[0] != -1 {
		t.Errorf("BF16 %v", y)
	}
	b := binary.LittleEndian.AppendUint64(nil, math.Float64bits(2.5))
	Dequantize(F64, b, y)
	if y[0] != 2.5 {
		t.Errorf("F64 %v", y)
	}
	b = binary.LittleEndian.AppendUint64(nil, uint64(1<<40))
	Dequantize(I64, b, y)
	if y[0] != 1<<40 {
		t.Errorf("I64 %v", y)
	}
	Dequantize(I32, []byte{0xf6, 0xff, 0xff, 0xff}, y)
	if y[0] != -10 {
		t.Errorf("I32 %v", y)
	}
}

func TestQuantizeKQuants(t *testing.T) {
	x := randNormal(256*16, 11)
	for i := 0; i < 256; i++ {
		x[256*3+i] = 0                // an all-zero super-block
		x[256*4+i] = float32(i) / 256 // an all-positive one (min > 0)
	}
	for _, c := range []struct {
		t      Type
		maxRel float64 // max error / range of the sub-block (group elements)
		rms    float64 // max rms error for N(0, 1) data
		group  int
		signed bool // range is 2·max|x| (symmetric formats)
	}{
		{Q2_K, 0.5/3 + 0.07, 0.31, 16, false},
		{Q3_K, 0.5/7 + 0.04, 0.16, 16, true},
		{Q4_K, 0.5/15 + 0.04, 0.12, 32, false},
		{Q5_K, 0.5/31 + 0.03, 0.06, 32, false},
		{Q6_K, 0.5/31 + 0.02, 0.03, 32, true},
		{IQ4_NL, 23.0/2/254 + 0.01, 0.085, 32, true},
		{IQ4_XS, 23.0/2/254 + 0.03, 0.085, 32, true},
	} {
		b, err := Quantize(c.t, x)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]float32, len(x))
		if err := Dequantize(c.t, b, y); err != nil {
			t.Fatal(err)
		}
		var sum float64
		gs := c.group
		for g := 0; g < len(x)/gs; g++ {
			lo, hi := minMax(x[gs*g : gs*g+gs])
			span := float64(hi - min(lo, 0))
			if c.signed {
				span = 2 * math.Max(math.Abs(float64(lo)), math.Abs(float64(hi)))
			}
			for i := gs * g; i < gs*g+gs; i++ {
				e := math.Abs(float64(x[i] - y[i]))
				sum += e * e
				if e > c.maxRel*span+1e-6 {
					t.Fatalf("%v element %d: %v → %v (group span %v)", c.t, i, x[i], y[i], span)
				}
			}
		}
		rms := math.Sqrt(sum / float64(len(x)))
		t.Logf("%v: rms error %.4f", c.t, rms)
		if rms > c.rms {
			t.Errorf("%v: rms error %.4f > %.4f", c.t, rms, c.rms)
		}
		for i := 256 * 3; i < 256*4; i++ {
			if y[i] != 0 {
				t.Fatalf("%v: zero block decodes to %v at %d", c.t, y[i], i)
			}
		}
	}
}

func TestQuantizeSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	specials := []float32{nan, inf, -inf, math.MaxFloat32, -math.MaxFloat32, 0x1p-149, 0, -0.5, 3}
	x := make([]float32, 512)
	for i := range x {
		x[i] = specials[(i*7)%len(specials)]
	}
	for _, typ := range []Type{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS} {
		b, err := Quantize(typ, x)
		if err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		y := make([]float32, len(x))
		if err := Dequantize(typ, b, y); err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		// Finite blocks next to non-finite ones must still decode sensibly.
		z := randNormal(512, 2)
		copy(z[:256], x[:256])
		b, _ = Quantize(typ, z)
		Dequantize(typ, b, y)
		for i := 256; i < 512; i++ {
			if math.IsNaN(float64(y[i])) || math.Abs(float64(y[i]-z[i])) > 1 {
				t.Fatalf("%v: clean element %d: %v → %v", typ, i, z[i], y[i])
			}
		}
	}
}
