package model

import (
	"syscall"
	"unsafe"
)

// copyToHugePages copies the weights into one anonymous mapping advised
// for transparent huge pages (MADV_HUGEPAGE): decoding streams every
// weight byte once per token, and with 4 KiB pages of a file mapping each
// page costs a TLB miss. It returns false (and changes nothing) when the
// mapping fails.
func (m *Model) copyToHugePages() bool {
	const huge = 2 << 20
	ts := m.tensors()
	size := 0
	for _, t := range ts {
		if t.Bytes() == 0 || (t.Type == F32 && len(t.F32) == 0) || (t.Type != F32 && len(t.Raw) == 0) {
			return false
		}
	}
	for _, t := range ts {
		size += (int(t.Bytes()) + 63) &^ 63
	}
	size = (size + huge - 1) &^ (huge - 1)
	if size == 0 {
		return false
	}
	mem, err := syscall.Mmap(-1, 0, size+huge, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return false
	}
	// Align the start to 2 MiB so that whole huge pages back the weights.
	off := int((huge - uintptr(unsafe.Pointer(&mem[0]))%huge) % huge)
	buf := mem[off : off+size]
	if err := syscall.Madvise(buf, 14); err != nil { // MADV_HUGEPAGE
		syscall.Munmap(mem)
		return false
	}
	p := 0
	for _, t := range ts {
		n := int(t.Bytes())
		dst := buf[p : p+n : p+n]
		if t.Type == F32 {
			copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&t.F32[0])), n))
			t.F32 = unsafe.Slice((*float32)(unsafe.Pointer(&dst[0])), n/4)
		} else {
			copy(dst, t.Raw)
			t.Raw = dst
		}
		p += (n + 63) &^ 63
	}
	prev := m.closer
	m.closer = func() error {
		err := syscall.Munmap(mem)
		if prev != nil {
			if e := prev(); err == nil {
				err = e
			}
		}
		return err
	}
	return true
}
