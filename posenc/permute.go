package posenc

import "fmt"

// PermuteInterleavedToHalf reorders the rows of a q or k projection
// weight ([nHeads·headDim rows][cols], row-major) from Meta's interleaved
// pair order to Hugging Face's half-split order, as
// convert_llama_weights_to_hf's permute does: within each head, row 2j
// moves to j and row 2j+1 to headDim/2 + j. A model whose weights were
// permuted this way and then rotated with HalfSplit produces the same
// attention scores as the original with Interleaved. cols = 1 permutes a
// vector (e.g. a bias). The input is not modified.
func PermuteInterleavedToHalf(w []float32, nHeads, headDim, cols int) ([]float32, error) {
	return permuteRows(w, nHeads, headDim, cols, true)
}

// PermuteHalfToInterleaved is the inverse of PermuteInterleavedToHalf
// (what llama.cpp's converter does to Hugging Face checkpoints for ggml's
// normal-mode rope): within each head, row j moves to 2j and row
// headDim/2 + j to 2j+1.
func PermuteHalfToInterleaved(w []float32, nHeads, headDim, cols int) ([]float32, error) {
	return permuteRows(w, nHeads, headDim, cols, false)
}

func permuteRows(w []float32, nHeads, headDim, cols int, toHalf bool) ([]float32, error) {
	if nHeads <= 0 || headDim <= 0 || cols <= 0 || headDim%2 != 0 {
		return nil, fmt.Errorf("posenc: permute needs positive heads %d, even head dim %d, positive cols %d", nHeads, headDim, cols)
	}
	if nHeads > len(w) || headDim > len(w) || cols > len(w) || nHeads*headDim > len(w)/cols || len(w) != nHeads*headDim*cols {
		return nil, fmt.Errorf("posenc: weight has %d values, want %d×%d×%d", len(w), nHeads, headDim, cols)
	}
	out := make([]float32, len(w))
	half := headDim / 2
	for h := 0; h < nHeads; h++ {
		for j := 0; j < half; j++ {
			for t := 0; t < 2; t++ {
				inter := h*headDim + 2*j + t // row index in interleaved order
				split := h*headDim + t*half + j
				src, dst := inter, split
				if !toHalf {
					src, dst = split, inter
				}
				copy(out[dst*cols:(dst+1)*cols], w[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}
