package tokenizer

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/format/gguf"
)

func writeVocabGGUF(t *testing.T, kvs []gguf.KV) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vocab.gguf")
	var buf bytes.Buffer
	w := gguf.NewWriter(&buf)
	if err := w.AddKVs(kvs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostileShortTokenType (issue 14 item 1): a token_type array shorter
// than the unknown id is an error naming the key, not an index panic.
func TestHostileShortTokenType(t *testing.T) {
	p := writeVocabGGUF(t, []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "llama"}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"a", "b", "c", "<unk>", "<s>", "</s>"}}},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: []int32{1, 1}}},
		{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Value{Data: uint32(3)}},
	})
	for name, load := range map[string]func(string) (Tokenizer, error){
		"LoadGGUF": func(p string) (Tokenizer, error) { return LoadGGUF(p) },
		"OpenGGUF": OpenGGUF,
		"LoadFile": LoadFile,
	} {
		_, err := load(p)
		if err == nil || !strings.Contains(err.Error(), "tokenizer.ggml.token_type has 2 entries for 6 tokens") || !strings.Contains(err.Error(), "vocab.gguf") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestHostileWordPieceLongToken (issue 14 item 4): a 64 KB word against a
// vocabulary holding a 16 KB token took ~15 min (cubic); now one trie
// walk per piece.
func TestHostileWordPieceLongToken(t *testing.T) {
	long := strings.Repeat("a", 16<<10)
	w, err := NewWordPiece(&Vocab{Model: "bert", Tokens: []string{"[UNK]", "▁" + long, long, "a", "▁a", "b"}, UNK: 0, CLS: -1, SEP: -1})
	if err != nil {
		t.Fatal(err)
	}
	word := strings.Repeat("a", 64<<10+1)
	t0 := time.Now()
	ids, err := w.Encode(word, EncodeOptions{})
	el := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	// "▁"+16K a, then 3 × 16K a, then the last "a".
	if len(ids) != 5 || ids[0] != 1 || ids[1] != 2 || ids[3] != 2 || ids[4] != 3 {
		t.Fatalf("ids = %v", ids)
	}
	if el > 2*time.Second {
		t.Fatalf("64 KB word took %v", el)
	}
	// A word nearly matching the long token everywhere but covered by
	// short pieces: the longest-match walk stops where the text differs.
	ids, _ = w.Encode(strings.Repeat("ab", 32<<10), EncodeOptions{})
	if len(ids) != 64<<10 || ids[0] != 4 || ids[1] != 5 {
		t.Fatalf("ab…: %d ids starting %v", len(ids), ids[:2])
	}
}

// TestHostileBertInModelGGUF (item 17): a BERT vocabulary asked for as BPE
// says what it is, not which Go function to call.
func TestHostileBertInModelGGUF(t *testing.T) {
	p := writeVocabGGUF(t, []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "bert"}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"[UNK]", "▁hello"}}},
	})
	_, err := LoadGGUF(p)
	if err == nil || !strings.Contains(err.Error(), "BERT WordPiece") || strings.Contains(err.Error(), "NewWordPiece") {
		t.Errorf("LoadGGUF(bert): %v", err)
	}
	if tok, err := OpenGGUF(p); err != nil || tok.Kind() != "bert" {
		t.Errorf("OpenGGUF(bert) = %v, %v", tok, err)
	}
}
