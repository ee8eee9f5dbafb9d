package export_test

import (
	"fmt"

	"github.com/llmparts/llmparts/export"
	"github.com/llmparts/llmparts/train"
)

// FamilyOf names the architecture a trainer variant is exported as, or
// says why there is none.
func ExampleFamilyOf() {
	c := train.Config{Vocab: 64, Dim: 32, Layers: 2, Heads: 4, KVHeads: 4, Hidden: 64, Ctx: 32, Eps: 1e-5, RopeTheta: 10000,
		Norm: train.NormLayer, Pos: train.PosLearned, MLP: train.MLPGELU}
	f, err := export.FamilyOf(c)
	fmt.Println(f.Name, f.HFArch, err)

	c.Pos = train.PosSinusoidal
	_, err = export.FamilyOf(c)
	fmt.Println(err)
	// Output:
	// gpt2 GPT2LMHeadModel <nil>
	// export: a layernorm + sinusoidal positions + gelu checkpoint cannot be exported: no llama.cpp architecture adds the fixed sinusoidal table of "Attention is all you need" to the embeddings
}
