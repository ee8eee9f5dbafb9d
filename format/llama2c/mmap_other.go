//go:build !unix

package llama2c

import "os"

func mapFile(path string) (data []byte, unmap func() error, mapped bool, err error) {
	b, err := os.ReadFile(path)
	return b, nil, false, err
}
