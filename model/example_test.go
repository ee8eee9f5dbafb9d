package model_test

import (
	"fmt"
	"log"

	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// Load a llama2.c checkpoint, run the prompt through a session as one
// batch, then decode greedily one token at a time through the KV cache.
func Example() {
	m, err := model.Load("stories260K.bin", model.Options{Threads: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizer.LoadLlama2C("tok512.bin")
	if err != nil {
		log.Fatal(err)
	}
	ids, _ := tok.Encode("Once upon a time", tokenizer.EncodeOptions{AddBOS: true})
	s := m.NewSession(len(ids) + 50)
	logits, _ := s.Forward(ids, 0) // the whole prompt as one matrix
	smp := sample.New(sample.Params{Temperature: 0})
	dec := tok.NewContinuationDecoder()
	for pos := len(ids); pos < s.Context(); pos++ {
		next := smp.Sample(logits, ids)
		if next == tok.EOS() {
			break
		}
		ids = append(ids, next)
		fmt.Print(dec.Add(next))
		logits, _ = s.Forward([]int{next}, pos) // one token, cached keys/values
	}
}
