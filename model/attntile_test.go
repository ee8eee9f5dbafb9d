package model

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// TestTiledAttention runs prompts through the tiled attention with small
// tiles, so that rows span several key blocks (online softmax rescaling),
// blocks are partly or wholly masked (causal, sliding window) and the
// second pass starts at a position inside a block, on the families whose
// attention differs: GQA (llama, phi3), soft-capping and a sliding window
// (gemma2), ALiBi (bloom), learned positions (gpt2). Every logit is
// checked against the float64 reference, and against the per-token path
// (attnJob) more tightly.
func TestTiledAttention(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "archs/MANIFEST.json"))
	defer func(q, k, g int) { tileQ, tileK, gemmAttnMin = q, k, g }(tileQ, tileK, gemmAttnMin)
	files := []struct {
		name, file string
		set        map[string]any
	}{
		{"llama GQA", "llama", nil},
		{"gemma2 soft-cap, window 5", "gemma2", map[string]any{"gemma2.attention.sliding_window": uint32(5)}},
		{"phi3 window 9", "phi3", map[string]any{"phi3.attention.sliding_window": uint32(9)}},
		{"bloom ALiBi", "bloom", nil},
		{"gpt2", "gpt2", nil},
	}
	toks := make([]int, 75)
	for i := range toks {
		toks[i] = (i*37 + 11) % 200
	}
	split := 29 // second pass: positions 29..74
	for _, f := range files {
		p := filepath.Join(dir, f.file+".gguf")
		if f.set != nil {
			p = rewriteGGUF(t, p, f.set, nil, nil)
		}
		m, err := Load(p, Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		V := m.Config.VocabSize
		ref := referenceForwardCtx(m, toks, 128)
		run := func() []float32 {
			s := m.NewSession(128)
			a, err := s.ForwardAll(toks[:split], 0)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.ForwardAll(toks[split:], split)
			if err != nil {
				t.Fatal(err)
			}
			return append(a, b...)
		}
		gemmAttnMin = len(toks) + 1 // the per-token path
		perToken := run()
		gemmAttnMin = 8
		for _, tile := range [][2]int{{8, 16}, {16, 8}, {6, 7}, {64, 256}} {
			tileQ, tileK = tile[0], tile[1]
			t.Run(fmt.Sprintf("%s tiles %dx%d", f.name, tileQ, tileK), func(t *testing.T) {
				got := run()
				for i := range toks {
					row := got[i*V : (i+1)*V]
					if d := maxDiff(row, ref[i]); d > 2e-3 {
						t.Fatalf("position %d differs from the float64 reference by %g", i, d)
					}
					var d float64
					for v, x := range row {
						d = max(d, float64(abs32(x-perToken[i*V+v])))
					}
					if d > 2e-4 {
						t.Fatalf("position %d differs from the per-token path by %g", i, d)
					}
				}
			})
		}
		m.Close()
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
