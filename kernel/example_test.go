package kernel_test

import (
	"fmt"

	"github.com/llmparts/llmparts/kernel"
)

// The vector kernels work on float32 slices; the same call runs the AVX2
// assembly or the pure-Go code (kernel.Impl says which).
func Example() {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	fmt.Println(kernel.Dot(x, y), kernel.SumSq(x), kernel.Max(x))
	p := []float32{1, 2, 3}
	kernel.Softmax(p) // in place: exp(x - max) / sum
	fmt.Printf("%.4f %.4f %.4f\n", p[0], p[1], p[2])
	// Output:
	// 45 285 9
	// 0.0900 0.2447 0.6652
}

// Sgemv computes y = A·x for a row-major m×n matrix A.
func ExampleSgemv() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	x := []float32{1, 0, -1}
	y := make([]float32, 2)
	kernel.Sgemv(y, a, x, 2, 3)
	fmt.Println(y)
	// Output: [-2 -2]
}
