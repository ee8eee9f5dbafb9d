package sample_test

import (
	"fmt"

	"github.com/llmparts/llmparts/sample"
)

// The zero Params is greedy: the largest logit wins.
func Example() {
	logits := []float32{1.0, 3.0, 2.5, -1.0}
	s := sample.New(sample.Params{})
	fmt.Println(s.Sample(logits, nil))
	// Output: 1
}

// Distribution shows what the filters leave: with top-k 2 only tokens 1
// and 2 remain, with softmax probabilities e³/(e³+e^2.5) and the rest.
func ExampleSampler_Distribution() {
	logits := []float32{1.0, 3.0, 2.5, -1.0}
	s := sample.New(sample.Params{Temperature: 1, TopK: 2})
	for _, c := range s.Distribution(logits, nil) {
		fmt.Printf("token %d: %.4f\n", c.ID, c.Prob)
	}
	// Output:
	// token 1: 0.6225
	// token 2: 0.3775
}

// DefaultParams are llama.cpp's sampling defaults; a fixed seed makes the
// draws reproducible.
func ExampleDefaultParams() {
	p := sample.DefaultParams()
	fmt.Printf("temp %g, top-k %d, top-p %g, min-p %g, repeat penalty %g over %d\n",
		p.Temperature, p.TopK, p.TopP, p.MinP, p.RepeatPenalty, p.RepeatLastN)
	p.Seed = 42
	a, b := sample.New(p), sample.New(p)
	logits := []float32{1.0, 3.0, 2.5, -1.0}
	same := true
	for range 20 {
		same = same && a.Sample(logits, nil) == b.Sample(logits, nil)
	}
	fmt.Println("same draws:", same)
	// Output:
	// temp 0.8, top-k 40, top-p 0.95, min-p 0.05, repeat penalty 1 over 64
	// same draws: true
}
