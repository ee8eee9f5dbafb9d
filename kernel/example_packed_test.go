package kernel_test

import (
	"fmt"

	"github.com/llmparts/llmparts/kernel"
)

// A weight matrix W ([out][in], here 3×2) is packed once; every product
// X·Wᵀ of a batch of rows X ([tokens][in]) then reads the packed copy.
func ExampleMatMulPacked() {
	w := kernel.PackB([]float32{
		1, 0,
		0, 1,
		1, 1,
	}, 3, 2)
	x := []float32{
		1, 2,
		3, 4,
	}
	y := make([]float32, 2*3)
	kernel.MatMulPacked(y, x, w, 2, false)
	fmt.Println(y[:3], y[3:])
	// Output:
	// [1 2 3] [3 4 7]
}

// SgemvStream is Sgemv for weights that stream from memory, on the calling
// goroutine.
func ExampleSgemvStream() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	y := make([]float32, 2)
	kernel.SgemvStream(y, a, []float32{1, 0, -1}, 2, 3)
	fmt.Println(y)
	// Output:
	// [-2 -2]
}
