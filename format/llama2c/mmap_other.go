//go:build !unix

package llama2c

import (
	"io"

	"github.com/llmparts/llmparts/internal/safeio"
)

func mapFile(path string) (data []byte, unmap func() error, mapped bool, err error) {
	f, st, err := safeio.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, false, err
	}
	return b, nil, false, nil
}
