//go:build unix

package llama2c

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile memory-maps path read-only. Empty files and files the kernel
// refuses to map are read into memory instead.
func mapFile(path string) (data []byte, unmap func() error, mapped bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, false, err
	}
	size := st.Size()
	if size <= 0 || size != int64(int(size)) {
		b, err := os.ReadFile(path)
		return b, nil, false, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		b, err2 := os.ReadFile(path)
		if err2 != nil {
			return nil, nil, false, fmt.Errorf("%s: %v", path, err2)
		}
		return b, nil, false, nil
	}
	return b, func() error { return syscall.Munmap(b) }, true, nil
}
