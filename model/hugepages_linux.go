package model

import (
	"syscall"
	"unsafe"

	"github.com/llmparts/llmparts/quant"
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
		if t.Bytes() == 0 || (t.Type == quant.F32 && len(t.F32) == 0) || (t.Type != quant.F32 && len(t.Raw) == 0) {
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
		var src []byte
		if t.Type == quant.F32 {
			src = unsafe.Slice((*byte)(unsafe.Pointer(&t.F32[0])), n)
			copy(dst, src)
			t.F32 = unsafe.Slice((*float32)(unsafe.Pointer(&dst[0])), n/4)
		} else {
			src = t.Raw
			copy(dst, src)
			t.Raw = dst
		}
		dropPages(src)
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

// dropPages tells the kernel this process no longer needs the whole pages
// inside b, a range of a read-only file mapping that has just been copied
// (MADV_DONTNEED): they leave the resident set, so the copy does not
// double the memory a model takes (they stay in the page cache, and fault
// back in from the file if anything reads them again).
func dropPages(b []byte) {
	if len(b) == 0 {
		return
	}
	ps := uintptr(syscall.Getpagesize())
	start := uintptr(unsafe.Pointer(&b[0]))
	end := start + uintptr(len(b))
	lo := (start + ps - 1) &^ (ps - 1)
	hi := end &^ (ps - 1)
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(b[lo-start:hi-start], 4) // MADV_DONTNEED
}
