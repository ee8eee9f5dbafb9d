package model_test

import (
	"fmt"
	"log"

	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// Load the embedded default model (model.Load reads a GGUF, llama2.c or
// checkpoint file the same way), run the prompt through a session as one
// batch, then decode greedily one token at a time through the KV cache.
// (Package llmparts wraps these steps in Session.Generate.)
func Example() {
	m, err := model.LoadFS(defaultmodel.FS(), "defaultmodel")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	tok, err := defaultmodel.Tokenizer()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d layers, dim %d, context %d\n", m.Config.Arch, m.Config.NLayers, m.Config.Dim, m.Config.ContextLen)
	prompt := "// Copyright"
	ids, _ := tok.Encode(prompt, tokenizer.EncodeOptions{AddBOS: tok.AddBOSDefault()})
	s := m.NewSession(len(ids) + 24)
	logits, err := s.Forward(ids, 0) // the whole prompt as one matrix
	if err != nil {
		log.Fatal(err)
	}
	smp := sample.New(sample.Params{}) // greedy
	dec := tok.NewDecoder()
	fmt.Print(prompt)
	for pos := len(ids); pos < s.Context(); pos++ {
		next := smp.Sample(logits, ids)
		ids = append(ids, next)
		fmt.Print(dec.Add(next))
		logits, _ = s.Forward([]int{next}, pos) // one token, cached keys/values
	}
	// Output:
	// llama: 4 layers, dim 128, context 512
	// // Copyright 2025 The Go Authors. All rights reserved.
	// // Use of this source code is governed by a BSD-style
}
