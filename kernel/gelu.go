package kernel

import "math"

// geluC is √(2/π).
const geluC = 0.7978845608028654

// GELU computes dst = gelu(x) with the tanh form of GPT-2, BERT and
// llama.cpp,
//
//	gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
//
// evaluated in float64 from each float32 input and rounded once (no
// lookup table: llama.cpp's CPU path rounds x to float16 for a table and
// is 1e-3 to 3e-3 off the formula). dst may alias x. It panics if the
// lengths differ.
func GELU(dst, x []float32) {
	checkLen3("GELU", len(dst), len(x), len(x))
	for i, v := range x {
		dst[i] = gelu(v)
	}
}

// GELUMul computes dst = gelu(gate) ⊙ up, the GeGLU activation of Gemma's
// MLP. dst may alias gate or up. It panics if the lengths differ.
func GELUMul(dst, gate, up []float32) {
	checkLen3("GELUMul", len(dst), len(gate), len(up))
	for i, g := range gate {
		dst[i] = gelu(g) * up[i]
	}
}

func gelu(v float32) float32 {
	x := float64(v)
	return float32(0.5 * x * (1 + math.Tanh(geluC*(x+0.044715*x*x*x))))
}

// Softcap computes x ← c·tanh(a·x/c) in place: Gemma 2's soft-capping of
// attention scores (a folds in the 1/√d scale) and of logits (a = 1),
// which squashes values smoothly into (−c, c) and leaves small ones nearly
// a·x. Each value is evaluated in float64 and rounded once. c must be > 0.
func Softcap(x []float32, c, a float32) {
	s := float64(a) / float64(c)
	for i, v := range x {
		x[i] = float32(float64(c) * math.Tanh(float64(v)*s))
	}
}
