package tokenizer

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/internal/testdata"
)

var fuzzSeeds = []string{
	"", " ", "Hello world", "  two  spaces ", "\n\n\t x", "naïve café 日本語 🙂👍🏽", "ied 4 ½ months",
	"I'm 12345 $x+=1; // ok", "\u3000\u00a0 a", "<s></s><|endoftext|>", "\x00\x01\x7f", "ℍ𝕖𝕝𝕝𝕠",
}

func fuzzRoundTrip(f *testing.F, tok *BPE, skip func(string) bool) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || skip(s) {
			return
		}
		ids, err := tok.Encode(s, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if got := tok.Decode(ids); got != s {
			t.Fatalf("%q -> %v -> %q", s, ids, got)
		}
		// Streaming gives the same text, in whole characters.
		d := tok.NewDecoder()
		var b strings.Builder
		for _, id := range ids {
			c := d.Add(id)
			if !utf8.ValidString(c) {
				t.Fatalf("broken chunk %q", c)
			}
			b.WriteString(c)
		}
		b.WriteString(d.Flush())
		if b.String() != s {
			t.Fatalf("stream %q != %q", b.String(), s)
		}
	})
}

// FuzzRoundTripGPT2: decode(encode(s)) == s for byte-level BPE.
func FuzzRoundTripGPT2(f *testing.F) {
	tok, err := LoadGGUF(testdata.Path(f, "vocab/ggml-vocab-gpt-2.gguf"))
	if err != nil {
		f.Fatal(err)
	}
	fuzzRoundTrip(f, tok, func(string) bool { return false })
}

// FuzzRoundTripSPM: the same for SentencePiece with byte fallback (text
// holding "▁" itself is skipped: it encodes like a space, by design).
func FuzzRoundTripSPM(f *testing.F) {
	tok, err := LoadLlama2C(testdata.Path(f, "llama2c/tok512.bin"))
	if err != nil {
		f.Fatal(err)
	}
	fuzzRoundTrip(f, tok, func(s string) bool { return strings.Contains(s, "▁") })
}

// FuzzLoadLlama2C: malformed tokenizer.bin bytes give an error, never a panic.
func FuzzLoadLlama2C(f *testing.F) {
	if b, err := os.ReadFile(testdata.Path(f, "llama2c/tok512.bin")); err == nil {
		f.Add(b)
		f.Add(b[:100])
	}
	f.Add([]byte{})
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 127})
	f.Fuzz(func(t *testing.T, b []byte) {
		if tok, err := ParseLlama2C(b); err == nil {
			checkLoaded(t, tok)
		}
	})
}

// FuzzLoadSentencePiece: malformed .model bytes give an error, never a panic.
func FuzzLoadSentencePiece(f *testing.F) {
	if b, err := os.ReadFile(testdata.Path(f, "llama2c/tok512.model")); err == nil {
		f.Add(b)
		f.Add(b[:200])
	}
	f.Add([]byte{0x0a, 0x05, 0x0a, 0x03, 'a', 'b', 'c'})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if tok, err := ParseSentencePiece(b); err == nil {
			checkLoaded(t, tok)
		}
	})
}

// FuzzLoadGGUFMeta: malformed GGUF metadata gives an error, never a panic.
func FuzzLoadGGUFMeta(f *testing.F) {
	if b, err := os.ReadFile(testdata.Path(f, "vocab/ggml-vocab-llama-spm.gguf")); err == nil {
		f.Add(b[:4096])
	}
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	// Small whole vocabularies of each family, for the fuzzer to mutate.
	for _, kvs := range [][]gguf.KV{
		{{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "llama"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"<unk>", "<s>", "</s>", "<0x41>", "▁h", "e"}}},
			{Key: "tokenizer.ggml.scores", Value: gguf.Value{Data: []float32{0, 0, 0, 0, -1, -2}}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: []int32{2, 3, 3, 6, 1, 1}}}},
		{{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "gpt2"}},
			{Key: "tokenizer.ggml.pre", Value: gguf.Value{Data: "gpt-2"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"h", "e", "he", "Ġ", "<|endoftext|>"}}},
			{Key: "tokenizer.ggml.merges", Value: gguf.Value{Data: []string{"h e"}}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: []int32{1, 1, 1, 1, 3}}},
			{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Value{Data: uint32(4)}}},
		{{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "bert"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "▁hello", "##s"}}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: []int32{3, 2, 3, 3, 1, 1}}},
			{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Value{Data: uint32(1)}},
			{Key: "tokenizer.ggml.cls_token_id", Value: gguf.Value{Data: uint32(2)}},
			{Key: "tokenizer.ggml.seperator_token_id", Value: gguf.Value{Data: uint32(3)}}},
		// Issue 14 item 1: a token_type array shorter than the unknown id.
		{{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "llama"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"a", "b", "c", "<unk>", "<s>", "</s>"}}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: []int32{1, 1}}},
			{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Value{Data: uint32(3)}}},
		// Issue 14 item 4: a WordPiece vocabulary holding a long token.
		{{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "bert"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: []string{"[UNK]", "▁a", "a", "##a", "▁" + strings.Repeat("a", 300) + "b"}}},
			{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Value{Data: uint32(0)}}},
	} {
		var buf bytes.Buffer
		w := gguf.NewWriter(&buf)
		if err := w.AddKVs(kvs); err != nil {
			f.Fatal(err)
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		v, err := metaOf(f).vocab()
		if err != nil {
			return
		}
		// As OpenGGUF does.
		if tok, err := fromVocabAnyFamily(v, "fuzz input"); err == nil {
			checkLoaded(t, tok)
		}
	})
}

// checkLoaded checks what holds for any tokenizer a parser accepted: BOS
// and EOS are ids or -1, encoding gives ids in range (or an error), and
// decoding those ids, whole or streamed, does not panic.
func checkLoaded(t *testing.T, tok Tokenizer) {
	t.Helper()
	n := tok.VocabSize()
	if n < 0 || tok.BOS() < -1 || tok.BOS() >= n || tok.EOS() < -1 || tok.EOS() >= n {
		t.Fatalf("vocab size %d, BOS %d, EOS %d", n, tok.BOS(), tok.EOS())
	}
	for _, opt := range []EncodeOptions{{AddBOS: true}, {ParseSpecial: true}} {
		ids, err := tok.Encode("hello world <s></s> 日本 \x00", opt)
		if err != nil {
			continue
		}
		for _, id := range ids {
			if id < 0 || id >= n {
				t.Fatalf("id %d out of range [0,%d)", id, n)
			}
		}
		tok.Decode(ids)
		d := tok.NewDecoder()
		for _, id := range ids {
			d.Add(id)
		}
		d.Flush()
	}
	// Ids outside the vocabulary decode to something, never a panic.
	bad := []int{-1, n, 1 << 40}
	tok.Decode(bad)
	d := tok.NewDecoder()
	for _, id := range bad {
		d.Add(id)
	}
	d.Flush()
}

// FuzzParseJSON: malformed tokenizer.json bytes (Hugging Face BPE or our
// char tokenizer) give an error, never a panic; accepted ones work.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"version":"1.0","added_tokens":[{"id":5,"content":"<|endoftext|>","special":true}],` +
			`"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},` +
			`"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3,"Ġab":4},"merges":[["a","b"],["Ġ","ab"]]}}`,
		`{"model":{"type":"BPE","vocab":{"h":0,"e":1,"he":2},"merges":["h e"]},"added_tokens":[{"id":3,"content":"<s>"}]}`,
		`{"type":"char","vocab":["a","b","\ufffd"],"unknown":"\ufffd"}`,
		`{"model":{"type":"BPE","vocab":{"a":9223372036854775807},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{},"merges":[]},"added_tokens":[{"id":9223372036854775807,"content":"x"}]}`,
		`{"model":{"type":"Unigram"}}`, `{}`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if tok, err := ParseJSON(b); err == nil {
			checkLoaded(t, tok)
		}
	})
}

// FuzzWordPieceLongToken (issue 14 item 4): the trie's greedy longest
// match gives the same ids as the plain definition (try every length,
// longest first) on vocabularies holding long tokens and words built from
// them, and stays fast.
func FuzzWordPieceLongToken(f *testing.F) {
	f.Add("aaaaaaaaaaaaaaaaaaab", uint8(40), "aab ab a")
	f.Add("abc", uint8(3), "abcabcabcabd")
	f.Add("x", uint8(200), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	f.Fuzz(func(t *testing.T, unit string, reps uint8, text string) {
		if len(unit) == 0 || len(unit) > 16 || len(text) > 512 {
			return
		}
		long := strings.Repeat(unit, int(reps)+1)
		tokens := []string{"[UNK]", "▁" + long, long, "▁" + unit, unit}
		for i := 0; i < len(unit); i++ {
			tokens = append(tokens, unit[:i+1], unit[i:])
		}
		w, err := NewWordPiece(&Vocab{Model: "bert", Tokens: tokens, UNK: 0, CLS: -1, SEP: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, word := range wpmWords(text) {
			got := w.encodeWord("▁"+word, nil)
			want := naiveWordPiece(w, "▁"+word)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("word %q: trie %v, plain greedy %v", word, got, want)
			}
		}
	})
}

// naiveWordPiece is the definition: at each position take the longest
// vocabulary piece (every length tried, longest first); a word with a
// position no piece covers is the unknown token.
func naiveWordPiece(w *WordPiece, word string) []int {
	maxLen := 0
	for _, s := range w.tokens {
		maxLen = max(maxLen, len(s))
	}
	var out []int
	for i := 0; i < len(word); {
		j := min(len(word), i+maxLen)
		for ; j > i; j-- {
			if id, ok := w.ids[word[i:j]]; ok {
				out = append(out, int(id))
				break
			}
		}
		if j == i {
			out = nil
			break
		}
		i = j
	}
	if len(out) == 0 && w.unk >= 0 {
		out = append(out, w.unk)
	}
	return out
}
