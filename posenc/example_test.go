package posenc_test

import (
	"fmt"

	"github.com/llmparts/llmparts/posenc"
)

func ExampleNewRoPE() {
	r, err := posenc.NewRoPE(4, 0, 10000, posenc.Interleaved)
	if err != nil {
		panic(err)
	}
	// One token at position 1, one head of dim 4: pair 0 turns by 1 rad,
	// pair 1 by 1/100 rad.
	x := []float32{1, 0, 1, 0}
	if err := r.Apply(x, 1, 1, []int{1}); err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", x)
	// Output: [0.540302 0.841471 0.999950 0.010000]
}

func ExampleHFConfig_InvFreq() {
	cfg, err := posenc.ParseHFConfig([]byte(`{"head_dim": 8, "rope_theta": 10000,
		"max_position_embeddings": 4096, "rope_scaling": {"rope_type": "yarn", "factor": 4}}`))
	if err != nil {
		panic(err)
	}
	f, attn, err := cfg.InvFreq(0)
	if err != nil {
		panic(err)
	}
	// Pair 0 keeps its frequency, pair 3 is divided by 4, pair 2 is
	// half-way along the ramp.
	fmt.Printf("%.6g attention %.7f\n", f, attn)
	// Output: [1 0.1 0.00625 0.00025] attention 1.1386294
}

func ExampleGGMLParams_RoPE() {
	p := posenc.DefaultGGMLParams(8, posenc.HalfSplit)
	p.FreqScale = 0.5 // linear scaling by 2
	r, err := p.RoPE(8)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6g\n", r.InvFreq)
	// Output: [0.5 0.05 0.005 0.0005]
}

func ExampleSinusoidal_Row() {
	s := posenc.Sinusoidal{Dim: 4} // base 10000, interleaved sin/cos
	row := make([]float32, 4)
	if err := s.Row(1, row); err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", row)
	// Output: [0.841471 0.540302 0.010000 0.999950]
}

func ExampleALiBi_AddBias() {
	a, err := posenc.NewALiBi(8, posenc.DefaultALiBiMaxBias)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Slopes)
	// Scores of query position 3 against keys 0..3 in head 0 (slope 1/2):
	// each step back costs 1/2.
	row := []float32{0, 0, 0, 0}
	if err := a.AddBias(row, 0, 3, 0); err != nil {
		panic(err)
	}
	fmt.Println(row)
	// Output:
	// [0.5 0.25 0.125 0.0625 0.03125 0.015625 0.0078125 0.00390625]
	// [-1.5 -1 -0.5 0]
}
