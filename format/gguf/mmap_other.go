//go:build !unix

package gguf

import (
	"errors"
	"os"
)

// mapFile is not available here; Open reads the file into memory instead.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	return nil, nil, errors.New("memory mapping not supported on this system")
}
