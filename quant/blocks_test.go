package quant

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// These tests pack random quants into blocks element by element, following
// the layout written out per element (which byte, which bits), and compare
// Dequantize with the formula x = f(d, scale, q) computed per element.

type packer struct {
	b []byte
}

func (p *packer) setBits(byteIdx int, shift uint, width uint, v int) {
	mask := byte(1<<width - 1)
	p.b[byteIdx] = p.b[byteIdx]&^(mask<<shift) | byte(v)&mask<<shift
}

func (p *packer) f16(off int, f float32) float32 {
	binary.LittleEndian.PutUint16(p.b[off:], F32ToF16(f))
	return F16ToF32(F32ToF16(f))
}

func checkBlock(t *testing.T, typ Type, b []byte, want []float32) {
	t.Helper()
	got := make([]float32, len(want))
	if err := Dequantize(typ, b, got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v element %d: got %v, want %v", typ, i, got[i], want[i])
		}
	}
}

func TestLegacyBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 20; iter++ {
		q := make([]int, 32)
		for i := range q {
			q[i] = r.IntN(32)
		}
		d, m := float32(r.NormFloat64()), float32(r.NormFloat64())
		want := make([]float32, 32)

		// Q4_1: d, m, then nibbles (element i < 16 low nibble of byte i,
		// element i ≥ 16 high nibble of byte i-16).
		p := packer{make([]byte, 20)}
		dd, mm := p.f16(0, d), p.f16(2, m)
		for i := range q {
			v := q[i] & 15
			p.setBits(4+i%16, uint(4*(i/16)), 4, v)
			want[i] = float32(v)*dd + mm
		}
		checkBlock(t, Q4_1, p.b, want)

		// Q5_0: d, qh (bit i = fifth bit of element i), nibbles; x = d(q-16).
		p = packer{make([]byte, 22)}
		dd = p.f16(0, d)
		for i := range q {
			p.setBits(2+i/8, uint(i%8), 1, q[i]>>4)
			p.setBits(6+i%16, uint(4*(i/16)), 4, q[i]&15)
			want[i] = float32(q[i]-16) * dd
		}
		checkBlock(t, Q5_0, p.b, want)

		// Q5_1: d, m, qh, nibbles; x = d·q + m.
		p = packer{make([]byte, 24)}
		dd, mm = p.f16(0, d), p.f16(2, m)
		for i := range q {
			p.setBits(4+i/8, uint(i%8), 1, q[i]>>4)
			p.setBits(8+i%16, uint(4*(i/16)), 4, q[i]&15)
			want[i] = float32(q[i])*dd + mm
		}
		checkBlock(t, Q5_1, p.b, want)

		// Q8_1: d, s, int8 quants.
		p = packer{make([]byte, 36)}
		dd = p.f16(0, d)
		for i := range q {
			v := q[i]*8 - 128
			p.b[4+i] = byte(int8(v))
			want[i] = float32(v) * dd
		}
		checkBlock(t, Q8_1, p.b, want)
	}
}

func TestKQuantBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 10; iter++ {
		d, dmin := float32(r.NormFloat64()), float32(r.NormFloat64())
		q := make([]int, 256)
		want := make([]float32, 256)

		// Q2_K: scales[16] (low nibble scale, high nibble min of sub-block
		// i/16), qs[64]: element e is bits 2·((e%128)/32) of byte
		// 16 + 32·(e/128) + e%32; then d, dmin.
		p := packer{make([]byte, 84)}
		dd, dm := p.f16(80, d), p.f16(82, dmin)
		var sc, mn [16]int
		for s := range sc {
			sc[s], mn[s] = r.IntN(16), r.IntN(16)
			p.b[s] = byte(sc[s] | mn[s]<<4)
		}
		for e := range q {
			q[e] = r.IntN(4)
			p.setBits(16+32*(e/128)+e%32, uint(2*((e%128)/32)), 2, q[e])
			want[e] = dd*float32(sc[e/16])*float32(q[e]) - dm*float32(mn[e/16])
		}
		checkBlock(t, Q2_K, p.b, want)

		// Q3_K: hmask[32] (bit e/32 of byte e%32 = third bit), qs[64] as in
		// Q2_K, scales[12]: 6-bit scale s has low 4 bits in byte s%8
		// (nibble s/8) and high 2 bits in byte 8+s%4 at bit 2·(s/4); d.
		p = packer{make([]byte, 110)}
		dd = p.f16(108, d)
		var sc6 [16]int
		for s := range sc6 {
			sc6[s] = r.IntN(64)
			p.setBits(96+s%8, uint(4*(s/8)), 4, sc6[s]&15)
			p.setBits(104+s%4, uint(2*(s/4)), 2, sc6[s]>>4)
		}
		for e := range q {
			q[e] = r.IntN(8)
			p.setBits(e%32, uint(e/32), 1, q[e]>>2)
			p.setBits(32+32*(e/128)+e%32, uint(2*((e%128)/32)), 2, q[e]&3)
			want[e] = dd * float32(sc6[e/16]-32) * float32(q[e]-4)
		}
		checkBlock(t, Q3_K, p.b, want)

		// Q4_K / Q5_K: d, dmin, scales[12]: 6-bit scale and min of
		// sub-block s < 4 in the low 6 bits of bytes s and s+4; for s ≥ 4
		// the low 4 bits are nibbles of byte s+4 (scale low, min high) and
		// the high 2 bits are the top bits of bytes s−4 (scale) and s (min).
		packScales := func(p *packer, off int, sc, mn []int) {
			for s := 0; s < 8; s++ {
				if s < 4 {
					p.setBits(off+s, 0, 6, sc[s])
					p.setBits(off+s+4, 0, 6, mn[s])
				} else {
					p.setBits(off+s+4, 0, 4, sc[s]&15)
					p.setBits(off+s+4, 4, 4, mn[s]&15)
					p.setBits(off+s-4, 6, 2, sc[s]>>4)
					p.setBits(off+s, 6, 2, mn[s]>>4)
				}
			}
		}
		sc8, mn8 := make([]int, 8), make([]int, 8)
		for s := range sc8 {
			sc8[s], mn8[s] = r.IntN(64), r.IntN(64)
		}
		// Q4_K quants: element e in chunk c = e/64; low nibbles of bytes
		// 16+32c… hold elements 64c…64c+31, high nibbles the next 32.
		p = packer{make([]byte, 144)}
		dd, dm = p.f16(0, d), p.f16(2, dmin)
		packScales(&p, 4, sc8, mn8)
		for e := range q {
			q[e] = r.IntN(16)
			p.setBits(16+32*(e/64)+e%32, uint(4*((e%64)/32)), 4, q[e])
			want[e] = dd*float32(sc8[e/32])*float32(q[e]) - dm*float32(mn8[e/32])
		}
		checkBlock(t, Q4_K, p.b, want)

		// Q5_K: as Q4_K with qh[32]: bit e/32 of byte e%32 is the fifth bit.
		p = packer{make([]byte, 176)}
		dd, dm = p.f16(0, d), p.f16(2, dmin)
		packScales(&p, 4, sc8, mn8)
		for e := range q {
			q[e] = r.IntN(32)
			p.setBits(16+e%32, uint(e/32), 1, q[e]>>4)
			p.setBits(48+32*(e/64)+e%32, uint(4*((e%64)/32)), 4, q[e]&15)
			want[e] = dd*float32(sc8[e/32])*float32(q[e]) - dm*float32(mn8[e/32])
		}
		checkBlock(t, Q5_K, p.b, want)

		// Q6_K: ql[128]: element e (half h = e/128, k = (e%128)/32,
		// l = e%32) has its low 4 bits in byte 64h + l + 32·(k%2), nibble
		// k/2; qh[64]: high 2 bits in byte 128 + 32h + l at bit 2k;
		// scales[16] int8 per 16 elements; d; x = d·sc·(q−32).
		p = packer{make([]byte, 210)}
		dd = p.f16(208, d)
		var sc16 [16]int
		for s := range sc16 {
			sc16[s] = r.IntN(256) - 128
			p.b[192+s] = byte(int8(sc16[s]))
		}
		for e := range q {
			q[e] = r.IntN(64)
			h, k, l := e/128, (e%128)/32, e%32
			p.setBits(64*h+l+32*(k%2), uint(4*(k/2)), 4, q[e]&15)
			p.setBits(128+32*h+l, uint(2*k), 2, q[e]>>4)
			want[e] = dd * float32(sc16[e/16]) * float32(q[e]-32)
		}
		checkBlock(t, Q6_K, p.b, want)

		// Q8_K: float32 d, int8 qs[256], bsums.
		p = packer{make([]byte, 292)}
		binary.LittleEndian.PutUint32(p.b, 0x3e800000) // 0.25
		for e := range q {
			v := r.IntN(256) - 128
			p.b[4+e] = byte(int8(v))
			want[e] = 0.25 * float32(v)
		}
		checkBlock(t, Q8_K, p.b, want)
	}
}

func TestDequantizeMultiBlock(t *testing.T) {
	// Two Q4_0 blocks in a row decode independently.
	b := make([]byte, 36)
	binary.LittleEndian.PutUint16(b, F32ToF16(0.5))
	binary.LittleEndian.PutUint16(b[18:], F32ToF16(-2))
	for i := 0; i < 16; i++ {
		b[2+i] = 0x9f // low 15 → 7, high 9 → 1
		b[20+i] = 0x08
	}
	y := make([]float32, 64)
	if err := Dequantize(Q4_0, b, y); err != nil {
		t.Fatal(err)
	}
	if y[0] != 3.5 || y[16] != 0.5 || y[32] != 0 || y[48] != 16 {
		t.Errorf("got %v %v %v %v", y[0], y[16], y[32], y[48])
	}
}

func FuzzDequantize(f *testing.F) {
	f.Add(uint8(Q4_K), []byte{1, 2, 3})
	f.Add(uint8(Q8_0), make([]byte, 68))
	f.Add(uint8(IQ4_XS), make([]byte, 137))
	f.Add(uint8(F16), []byte{0, 0x7c, 1, 0xfc, 0, 0x80})
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		ty := Type(typ)
		if err := Dequantize(ty, b, make([]float32, 1)); err == nil && !ty.Known() {
			t.Fatalf("unknown type %d accepted", typ)
		}
		if !ty.Known() {
			return
		}
		if back, err := ParseType(ty.String()); err != nil || back != ty {
			t.Fatalf("ParseType(%q) = %v, %v", ty.String(), back, err)
		}
		bs, bb := ty.BlockSize(), ty.BlockBytes()
		n := len(b) / bb * bs
		rb, _ := ty.RowBytes(n)
		y := make([]float32, n)
		err := Dequantize(ty, b[:rb], y)
		if err != nil && CanDequantize(ty) {
			t.Fatalf("%v: %v", ty, err)
		}
		if err != nil {
			return
		}
		// Wrong sizes are errors, not panics or partial output.
		if rb < len(b) && Dequantize(ty, b[:rb+1], y) == nil {
			t.Fatalf("%v: %d bytes for %d elements accepted", ty, rb+1, n)
		}
		if n > 0 && Dequantize(ty, b[:rb-1], y) == nil {
			t.Fatalf("%v: %d bytes for %d elements accepted", ty, rb-1, n)
		}
		if bs > 1 && n > 0 && Dequantize(ty, b[:rb], y[:n-1]) == nil {
			t.Fatalf("%v: %d elements (block size %d) accepted", ty, n-1, bs)
		}
		// Blocks are independent: each decoded alone gives the same bits.
		one := make([]float32, bs)
		for i := 0; i < n/bs; i++ {
			if err := Dequantize(ty, b[i*bb:(i+1)*bb], one); err != nil {
				t.Fatal(err)
			}
			for j, v := range one {
				if w := y[i*bs+j]; math.Float32bits(v) != math.Float32bits(w) {
					t.Fatalf("%v block %d element %d: %v alone, %v in the row", ty, i, j, v, w)
				}
			}
		}
	})
}

func TestIQ4Blocks(t *testing.T) {
	k := []float32{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 10; iter++ {
		d := float32(r.NormFloat64())
		// IQ4_NL: d, then element i in nibble i/16 of byte 2 + i%16.
		p := packer{make([]byte, 18)}
		dd := p.f16(0, d)
		want := make([]float32, 32)
		for i := range want {
			q := r.IntN(16)
			p.setBits(2+i%16, uint(4*(i/16)), 4, q)
			want[i] = dd * k[q]
		}
		checkBlock(t, IQ4_NL, p.b, want)

		// IQ4_XS: d, scales_h (bits 2s..2s+1 = high bits of scale s),
		// scales_l (nibble s%2 of byte 4 + s/2), then 8 IQ4_NL-style
		// sub-blocks of 16 bytes.
		p = packer{make([]byte, 136)}
		dd = p.f16(0, d)
		var sc [8]int
		for s := range sc {
			sc[s] = r.IntN(64)
			p.setBits(2+s/4, uint(2*(s%4)), 2, sc[s]>>4)
			p.setBits(4+s/2, uint(4*(s%2)), 4, sc[s]&15)
		}
		want = make([]float32, 256)
		for e := range want {
			q := r.IntN(16)
			p.setBits(8+16*(e/32)+e%16, uint(4*((e%32)/16)), 4, q)
			want[e] = dd * float32(sc[e/32]-32) * k[q]
		}
		checkBlock(t, IQ4_XS, p.b, want)
	}
}
