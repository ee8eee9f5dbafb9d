//go:build unix

package llama2c

import (
	"fmt"
	"syscall"

	"github.com/llmparts/llmparts/internal/safeio"
)

// mapFile memory-maps path read-only (regular files only: a FIFO or a
// device is refused). Files the kernel refuses to map are read into
// memory instead.
func mapFile(path string) (data []byte, unmap func() error, mapped bool, err error) {
	f, st, err := safeio.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	size := st.Size()
	if size <= 0 || size != int64(int(size)) {
		return nil, nil, false, fmt.Errorf("%s: file of %d bytes cannot be a llama2.c checkpoint", path, size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		b := make([]byte, size)
		if _, err2 := f.ReadAt(b, 0); err2 != nil {
			return nil, nil, false, fmt.Errorf("%s: %v", path, err2)
		}
		return b, nil, false, nil
	}
	return b, func() error { return syscall.Munmap(b) }, true, nil
}
