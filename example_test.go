package llmparts_test

import (
	"context"
	"fmt"
	"log"

	"github.com/llmparts/llmparts"
)

// Load the embedded default model (llmparts.Open("model.gguf") loads a
// file) and stream 24 tokens after a prompt, greedily (the zero
// Params.Sample; sample.DefaultParams() gives llama.cpp's sampling).
func Example() {
	m, err := llmparts.OpenDefault() // or llmparts.Open("model.gguf")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	prompt := "// Copyright"
	fmt.Print(prompt)
	for piece, err := range m.NewSession(0).Generate(context.Background(), prompt, llmparts.Params{MaxTokens: 24}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(piece)
	}
	// Output:
	// // Copyright 2025 The Go Authors. All rights reserved.
	// // Use of this source code is governed by a BSD-style
}
