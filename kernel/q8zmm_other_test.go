//go:build !amd64 || purego

package kernel

import "github.com/llmparts/llmparts/quant"

// archIntRef: every integer kernel here follows llama.cpp's one-token
// lane order.
func archIntRef(quant.Type) func(y []float32, w, xq []byte) { return nil }
