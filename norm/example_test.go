package norm_test

import (
	"fmt"

	"github.com/llmparts/llmparts/norm"
)

func ExampleRMSNorm_Forward() {
	n := &norm.RMSNorm{Dim: 4, Eps: 1e-6}
	x := []float32{1, 2, 3, 4}
	y := make([]float32, 4)
	if err := n.Forward(y, x, nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y) // exact: 0.365148347, 0.730296695, 1.095445042, 1.460593389
	// Output: [0.36514834 0.7302967 1.095445 1.4605933]
}

func ExampleLayerNorm_Forward() {
	n := &norm.LayerNorm{Dim: 4, Eps: 0}
	x := []float32{1, 2, 3, 4} // mean 2.5, variance 1.25
	y := make([]float32, 4)
	stats := make([]float32, 2)
	if err := n.Forward(y, x, stats); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("y = %.6f\nmean = %g, 1/σ = %.6f\n", y, stats[0], stats[1])
	// Output:
	// y = [-1.341641 -0.447214 0.447214 1.341641]
	// mean = 2.5, 1/σ = 0.894427
}

func ExampleRMSNorm_Backward() {
	n := norm.NewRMSNorm(2, 0)
	x := []float32{3, 4} // rms = sqrt(12.5)
	y := make([]float32, 2)
	stats := make([]float32, 1)
	_ = n.Forward(y, x, stats)
	// L = y[0]: dx = r·(1, 0) − r³·x₀·x/2 with r = 1/rms.
	dy := []float32{1, 0}
	dx := make([]float32, 2)
	dw := make([]float32, 2)
	_ = n.Backward(dx, dw, nil, dy, x, stats)
	fmt.Printf("dx = %.6f, dWeight = %.6f\n", dx, dw)
	// Output: dx = [0.181019 -0.135765], dWeight = [0.848528 0.000000]
}

// A model or trainer can hold either norm behind the Layer interface.
func ExampleLayer() {
	x := []float32{1, 2, 3, 4, 10, 10, 10, 11} // two rows of 4
	for _, l := range []norm.Layer{norm.NewRMSNorm(4, 0), norm.NewLayerNorm(4, 0)} {
		y := make([]float32, len(x))
		stats := make([]float32, 2*l.StatsPerRow())
		if err := l.Forward(y, x, stats); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%T: %.3f\n", l, y)
	}
	// Output:
	// *norm.RMSNorm: [0.365 0.730 1.095 1.461 0.975 0.975 0.975 1.072]
	// *norm.LayerNorm: [-1.342 -0.447 0.447 1.342 -0.577 -0.577 -0.577 1.732]
}
