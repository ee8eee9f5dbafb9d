package model

import "fmt"

func loadGGUF(path string) (*Model, error) {
	return nil, fmt.Errorf("model: %s: GGUF support is not built yet", path)
}
