package le

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestFloat32sAlignedAndNot(t *testing.T) {
	want := []float32{1.5, -2, float32(math.Inf(1)), 3.25}
	buf := make([]byte, 4*len(want)+1)
	for off := 0; off <= 1; off++ {
		b := buf[off : off+4*len(want)]
		for i, v := range want {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		got := Float32s(b)
		if len(got) != len(want) {
			t.Fatalf("offset %d: %d values", off, len(got))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("offset %d: [%d] = %v, want %v", off, i, got[i], want[i])
			}
		}
	}
	if Float32s(buf[:3]) != nil {
		t.Error("fewer than 4 bytes should give nil")
	}
}

func TestUint16s(t *testing.T) {
	buf := make([]byte, 7)
	binary.LittleEndian.PutUint16(buf[0:], 0x3c00)
	binary.LittleEndian.PutUint16(buf[2:], 0xc000)
	if u := Uint16s(buf[:4]); Native && (len(u) != 2 || u[0] != 0x3c00 || u[1] != 0xc000) {
		t.Fatalf("aligned view = %#v", u)
	}
	if u := Uint16s(buf[1:5]); u != nil {
		t.Fatalf("unaligned view = %#v, want nil", u)
	}
}
