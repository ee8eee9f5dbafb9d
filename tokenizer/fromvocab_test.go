package tokenizer

import (
	"strings"
	"testing"
)

func byteLevelVocab(pre string, extra []string, merges []string) *Vocab {
	v := &Vocab{Model: "gpt2", Pre: pre, BOS: -1, EOS: -1, UNK: -1, PAD: -1, Merges: merges}
	for b := 0; b < 256; b++ {
		v.Tokens = append(v.Tokens, string(byteToRune[b]))
	}
	v.Tokens = append(v.Tokens, extra...)
	return v
}

func TestIgnoreMergesLlama3(t *testing.T) {
	extra := []string{"bc", "abc"} // ids 256, 257; "abc" is not reachable by merges
	merges := []string{"b c"}
	l3, err := FromVocab(byteLevelVocab("llama-bpe", extra, merges))
	if err != nil {
		t.Fatal(err)
	}
	g2, err := FromVocab(byteLevelVocab("gpt-2", extra, merges))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := l3.Encode("abc", EncodeOptions{}); !equalInts(got, []int{257}) {
		t.Errorf("llama-bpe (ignore_merges): %v, want [257]", got)
	}
	if got, _ := g2.Encode("abc", EncodeOptions{}); !equalInts(got, []int{'a', 256}) {
		t.Errorf("gpt-2: %v, want [97 256]", got)
	}
}

func TestMergePriority(t *testing.T) {
	// Ranks decide, not the order of the pairs in the word: "b c" (rank 0)
	// beats "a b" (rank 1), so "abc" -> a + bc.
	v := byteLevelVocab("gpt-2", []string{"bc", "ab"}, []string{"b c", "a b"})
	tok, err := FromVocab(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tok.Encode("abc", EncodeOptions{}); !equalInts(got, []int{'a', 256}) {
		t.Errorf("got %v", got)
	}
	// SentencePiece: highest score first; leftmost on ties.
	sv := &Vocab{Model: "llama", BOS: -1, EOS: -1, UNK: -1, PAD: -1,
		Tokens: []string{"▁", "a", "b", "ab", "▁a", "bb"},
		Scores: []float32{0, 0, 0, -1, -2, -1}}
	s, err := FromVocab(sv)
	if err != nil {
		t.Fatal(err)
	}
	// "▁abb": pairs ▁a(-2) ab(-1) bb(-1): tie ab/bb -> leftmost ab, then
	// ▁ + ab is not a token, so ▁ ab b.
	if got, _ := s.Encode("abb", EncodeOptions{}); !equalInts(got, []int{0, 3, 2}) {
		t.Errorf("spm got %v, want [0 3 2]", got)
	}
}

func TestMalformedVocabErrors(t *testing.T) {
	ok := byteLevelVocab("gpt-2", nil, []string{"a b"})
	cases := map[string]func(v *Vocab){
		"no merges":      func(v *Vocab) { v.Merges = nil },
		"bad merge":      func(v *Vocab) { v.Merges = []string{"ab"} },
		"bad bos":        func(v *Vocab) { v.BOS = 99999 },
		"scores length":  func(v *Vocab) { v.Scores = []float32{1} },
		"types length":   func(v *Vocab) { v.Types = []int32{1, 2} },
		"unknown pre":    func(v *Vocab) { v.Pre = "no-such-pre" },
		"wordpiece":      func(v *Vocab) { v.Model = "bert" },
		"no model":       func(v *Vocab) { v.Model = "" },
		"empty":          func(v *Vocab) { v.Tokens = nil },
		"unknown family": func(v *Vocab) { v.Model = "rwkv" },
	}
	for name, mut := range cases {
		v := *ok
		mut(&v)
		if _, err := FromVocab(&v); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "tokenizer: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	if _, err := FromVocab(ok); err != nil {
		t.Fatal(err)
	}
	// GGUF metadata with wrong array types.
	for key, val := range map[string]any{
		"tokenizer.ggml.tokens":     []int32{1, 2},
		"tokenizer.ggml.scores":     []string{"x"},
		"tokenizer.ggml.token_type": []float32{1},
		"tokenizer.ggml.merges":     "a b",
		"tokenizer.ggml.model":      int64(3),
	} {
		m := ggufMeta{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": []string{"a", "b"}, "tokenizer.ggml.merges": []string{"a b"}}
		m[key] = val
		if _, err := m.vocab(); err == nil {
			t.Errorf("%s as %T: no error", key, val)
		}
	}
}

func TestVocabRoundTrip(t *testing.T) {
	for _, name := range []string{"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-phi-3.gguf"} {
		a := loadVocab(t, name)
		b, err := FromVocab(a.Vocab())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range roundTripTexts {
			x, _ := a.Encode(s, EncodeOptions{AddBOS: true})
			y, _ := b.Encode(s, EncodeOptions{AddBOS: true})
			if !equalInts(x, y) {
				t.Errorf("%s %q: %v vs %v", name, s, x, y)
			}
		}
		if a.AddBOSDefault() != b.AddBOSDefault() || a.EOS() != b.EOS() {
			t.Errorf("%s: defaults differ", name)
		}
	}
}
