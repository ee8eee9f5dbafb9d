// Package le views little-endian byte slices (memory-mapped model files)
// as float32 or uint16 slices without copying when the machine is
// little-endian and the data is aligned, and copies otherwise.
package le

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// Native reports whether this machine stores numbers little-endian.
var Native = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// Float32s returns the len(b)/4 little-endian float32 values of b: an alias
// of b when Native and b is 4-byte aligned, else a decoded copy.
func Float32s(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if Native && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Uint16s views b as len(b)/2 uint16 values when Native and b is 2-byte
// aligned; otherwise it returns nil and the caller decodes b itself.
func Uint16s(b []byte) []uint16 {
	if len(b) < 2 || !Native || uintptr(unsafe.Pointer(&b[0]))%2 != 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}
