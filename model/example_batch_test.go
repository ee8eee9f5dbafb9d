package model_test

import (
	"fmt"
	"log"

	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// Two prompts decoded together, as a server's continuous batch does:
// ForwardChunks reads both prompts in one pass (one run of tokens per
// session), then ForwardBatch advances both sequences by one token per
// pass. Each sequence gets the tokens it would get alone.
func ExampleForwardChunks() {
	m, err := model.LoadFS(defaultmodel.FS(), "defaultmodel")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	tok, err := defaultmodel.Tokenizer()
	if err != nil {
		log.Fatal(err)
	}
	prompts := []string{"// Copyright", "func main() {"}
	ss := make([]*model.Session, len(prompts))
	runs := make([][]int, len(prompts))
	for i, p := range prompts {
		runs[i], _ = tok.Encode(p, tokenizer.EncodeOptions{AddBOS: tok.AddBOSDefault()})
		ss[i] = m.NewSession(64)
	}
	logits, err := model.ForwardChunks(ss, runs)
	if err != nil {
		log.Fatal(err)
	}
	smp := sample.New(sample.Params{}) // greedy
	out := make([][]int, len(prompts))
	next := make([]int, len(prompts))
	for range 12 {
		for i, l := range logits {
			next[i] = smp.Sample(l, nil)
			out[i] = append(out[i], next[i])
		}
		if logits, err = model.ForwardBatch(ss, next); err != nil {
			log.Fatal(err)
		}
	}
	for i, p := range prompts {
		fmt.Printf("%q\n", p+tok.Decode(out[i]))
	}
	// Output:
	// "// Copyright 2025 The Go Authors. All rights reserved.\n//"
	// "func main() {\n\t\tif !strings.Contains(test."
}
