package model

import (
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func TestTinyRandomGGUF(t *testing.T) {
	p := testdata.Path(t, "gguf/llama-2-tiny-random.gguf")
	m, err := Load(p, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	t.Logf("config %+v info %+v", m.Config, m.Info)
	c := m.Config
	if c.Arch != "llama" || c.VocabSize != 32000 || c.RoPE.Neox {
		t.Fatalf("config %+v", c)
	}
	toks := []int{1, 15043, 29892, 590, 1024, 338}
	ref := referenceForward(m, toks)
	s := m.NewSession(32)
	all, err := s.ForwardAll(toks, 0)
	if err != nil {
		t.Fatal(err)
	}
	V := c.VocabSize
	for i := range toks {
		if d := maxDiff(all[i*V:(i+1)*V], ref[i]); d > 1e-3 {
			t.Fatalf("position %d differs from reference by %g", i, d)
		}
	}
	out := greedy(t, m, toks, 8)
	t.Logf("greedy: %v", out)
}
