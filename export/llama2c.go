package export

import (
	"fmt"

	"github.com/llmparts/llmparts/format/llama2c"
	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/posenc"
)

// WriteLlama2C writes s as a llama2.c version 0 checkpoint (float32, what
// run.c reads). Only the llama family fits, and only with run.c's fixed
// constants: RoPE base 10000 and RMSNorm ε = 1e-5. The q and k rows are
// permuted to the interleaved pair order run.c rotates. The tokenizer is
// not part of the file (run.c reads tokenizer.bin and treats ids 1 and 2
// as BOS and EOS, which a character vocabulary does not have).
func WriteLlama2C(path string, s *Source) error {
	f, err := FamilyOf(s.Config)
	if err != nil {
		return err
	}
	c := s.Config
	if f != Llama {
		return fmt.Errorf("export: llama2.c runs the Llama architecture only; this checkpoint is %s", f.Name)
	}
	if c.RopeTheta != 10000 || c.Eps != 1e-5 {
		return fmt.Errorf("export: llama2.c's run.c fixes the RoPE base at 10000 and ε at 1e-5; this checkpoint has %g and %g", c.RopeTheta, c.Eps)
	}
	hd := c.HeadDim()
	cfg := llama2c.Config{Dim: c.Dim, HiddenDim: c.Hidden, NLayers: c.Layers, NHeads: c.Heads, NKVHeads: c.KVHeads,
		VocabSize: c.Vocab, SeqLen: c.Ctx, SharedClassifier: c.Tied}
	w := llama2c.Weights{
		TokenEmbedding: s.weight(spec.TokenEmbd, 0).data,
		FinalNorm:      s.weight(spec.OutputNorm, 0).data,
	}
	if !c.Tied {
		w.Classifier = s.weight(spec.Output, 0).data
	}
	for l := 0; l < c.Layers; l++ {
		q, err := posenc.PermuteHalfToInterleaved(s.weight(spec.AttnQ, l).data, c.Heads, hd, c.Dim)
		if err != nil {
			return err
		}
		k, err := posenc.PermuteHalfToInterleaved(s.weight(spec.AttnK, l).data, c.KVHeads, hd, c.Dim)
		if err != nil {
			return err
		}
		w.Layers = append(w.Layers, llama2c.LayerWeights{
			AttnNorm: s.weight(spec.AttnNorm, l).data, FFNNorm: s.weight(spec.FFNNorm, l).data,
			WQ: q, WK: k, WV: s.weight(spec.AttnV, l).data, WO: s.weight(spec.AttnOut, l).data,
			W1: s.weight(spec.FFNGate, l).data, W2: s.weight(spec.FFNDown, l).data, W3: s.weight(spec.FFNUp, l).data,
		})
	}
	return llama2c.WriteFile(path, cfg, w)
}
