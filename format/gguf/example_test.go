package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
)

func Example() {
	dir, err := os.MkdirTemp("", "gguf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	// Write a file: metadata, then a 2×32 weight matrix stored as Q8_0
	// (Shape is in ggml order: the row length comes first).
	w := make([]float32, 64)
	for i := range w {
		w[i] = float32(i%32-16) / 16
	}
	q, err := quant.Quantize(quant.Q8_0, w)
	if err != nil {
		log.Fatal(err)
	}
	err = gguf.Write(path,
		[]gguf.KV{
			{Key: "general.architecture", Value: gguf.Value{Data: "llama"}},
			{Key: "llama.embedding_length", Value: gguf.Value{Data: uint32(32)}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"<unk>", "<s>", "</s>"}}},
		},
		[]gguf.Tensor{{Name: "w", Type: gguf.TypeQ8_0, Shape: []uint64{32, 2}, Data: q}})
	if err != nil {
		log.Fatal(err)
	}

	// Read it back.
	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	dim, _ := f.Uint("llama.embedding_length")
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	ti, _ := f.Tensor("w")
	x, _ := f.Dequantize("w")
	fmt.Println(f.Architecture(), dim, len(toks), toks[1])
	fmt.Println(ti.Name, ti.Type, ti.Shape, ti.Size, "bytes")
	fmt.Printf("%.4f %.4f %.4f (Q8_0 rounding)\n", x[0], x[17], x[63])
	// Output:
	// llama 32 3 <s>
	// w Q8_0 [32 2] 68 bytes
	// -0.9999 0.0630 0.9370 (Q8_0 rounding)
}
