package quant_test

import (
	"fmt"
	"log"

	"github.com/llmparts/llmparts/quant"
)

// Quantize one 32-value block to Q8_0 (a float16 scale d = max|x|/127 and
// 32 int8 values q = round(x/d)), then dequantize it (x ≈ d·q).
func Example() {
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i-16) / 8 // -2.0 … 1.875
	}
	q, err := quant.Quantize(quant.Q8_0, x)
	if err != nil {
		log.Fatal(err)
	}
	y := make([]float32, len(x))
	if err := quant.Dequantize(quant.Q8_0, q, y); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(q), "bytes for", len(x), "values")
	fmt.Printf("scale %.6f\n", quant.F16ToF32(uint16(q[0])|uint16(q[1])<<8))
	fmt.Printf("x[1] %.4f -> q %d -> %.4f\n", x[1], int8(q[3]), y[1])
	// Output:
	// 34 bytes for 32 values
	// scale 0.015747
	// x[1] -1.8750 -> q -119 -> -1.8739
}

// The half-precision conversions round to nearest even.
func ExampleF32ToF16() {
	h := quant.F32ToF16(0.1)
	fmt.Printf("%#04x %.8f\n", h, quant.F16ToF32(h))
	// Output: 0x2e66 0.09997559
}
