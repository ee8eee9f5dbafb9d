package model

import (
	"bytes"
	"os"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
)

// FuzzGGUFModel feeds damaged GGUF files to FromGGUF: they must load and
// run or fail with an error, never panic.
func FuzzGGUFModel(f *testing.F) {
	for _, s := range []synth{
		{arch: "llama", dim: 32, hidden: 32, layers: 1, heads: 2, kvHeads: 1, vocab: 8},
		{arch: "qwen2", dim: 32, hidden: 32, layers: 1, heads: 2, kvHeads: 2, vocab: 8, tied: true,
			types: map[string]quant.Type{"ffn_up.weight": quant.Q8_0, "attn_q.weight": quant.Q4_0}},
		// Llama-layout files under other families' names load with those
		// families' variations (LayerNorm, ALiBi, parallel residual,
		// GeGLU, embedding scale).
		{arch: "gemma", dim: 32, hidden: 32, layers: 1, heads: 2, kvHeads: 1, vocab: 8, tied: true},
		{arch: "bloom", dim: 32, hidden: 32, layers: 1, heads: 4, kvHeads: 4, vocab: 8},
		{arch: "gptneox", dim: 32, hidden: 32, layers: 2, heads: 2, kvHeads: 2, vocab: 8},
		{arch: "stablelm", dim: 32, hidden: 32, layers: 1, heads: 2, kvHeads: 1, vocab: 8},
	} {
		b, err := os.ReadFile(writeSynthDir(f, s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-7])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		gf, err := gguf.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		m, err := FromGGUF(gf)
		if err != nil {
			return
		}
		m.SetThreads(1)
		defer m.Close()
		if _, err := m.NewSession(4).Forward([]int{0, m.Config.VocabSize - 1}, 0); err != nil {
			t.Fatal(err)
		}
		_ = m.Describe()
	})
}
