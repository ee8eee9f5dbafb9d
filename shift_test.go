package llmparts

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// TestContextShift: with ContextShift a session of 64 positions writes
// 300 tokens (shifting in place with RoPE), keeps the first Keep tokens,
// and without it stops at the context.
func TestContextShift(t *testing.T) {
	m, err := OpenDefault()
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := m.Tokenizer.Encode("func main() {", tokenizer.EncodeOptions{AddBOS: m.Tokenizer.AddBOSDefault()})
	if err != nil || len(prompt) < 3 {
		t.Fatalf("prompt %v: %v", prompt, err)
	}
	s := m.NewSession(64)
	p := Params{MaxTokens: 300, ContextShift: true, Keep: 2}
	for _, err := range s.Generate(context.Background(), "func main() {", p) {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Tokens != 300 || st.Shifts == 0 || len(s.Tokens()) > 64 {
		t.Fatalf("stats %+v, %d tokens in the cache", st, len(s.Tokens()))
	}
	if got, want := s.Tokens()[:2], prompt[:2]; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("the kept tokens are %v, want the prompt's first two %v", got, want)
	}
	s2 := m.NewSession(64)
	for _, err := range s2.Generate(context.Background(), "func main() {", Params{MaxTokens: 300}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := s2.Stats(); st.Stop != StopContext || st.Tokens != 64-len(prompt)+1 {
		t.Errorf("without ContextShift: %+v", st)
	}
}

// TestContextShiftRecomputes: a learned-position model cannot shift its
// cache; the kept tokens are run again and generation goes on.
func TestContextShiftRecomputes(t *testing.T) {
	cfg := train.Config{Vocab: 8, Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 32, Ctx: 16, Norm: train.NormLayer,
		Eps: 1e-5, Pos: train.PosLearned, MLP: train.MLPGELU, Tied: true}
	tm, err := train.NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ck")
	if _, err := train.SaveCheckpoint(dir, tm, nil, tokenizer.NewChar("abcdefgh"), train.State{}, 1); err != nil {
		t.Fatal(err)
	}
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewSession(0)
	for _, err := range s.Generate(context.Background(), "abc", Params{MaxTokens: 50, ContextShift: true}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Tokens != 50 || st.Shifts == 0 {
		t.Errorf("stats %+v", st)
	}
}
