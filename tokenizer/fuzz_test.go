package tokenizer

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

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
			tok.Encode("hello world", EncodeOptions{AddBOS: true})
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
			tok.Encode("hello world", EncodeOptions{AddBOS: true})
		}
	})
}

// FuzzLoadGGUFMeta: malformed GGUF metadata gives an error, never a panic.
func FuzzLoadGGUFMeta(f *testing.F) {
	if b, err := os.ReadFile(testdata.Path(f, "vocab/ggml-vocab-llama-spm.gguf")); err == nil {
		f.Add(b[:4096])
	}
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseGGUFMeta(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			if v, err := m.vocab(); err == nil {
				FromVocab(v)
			}
		}
	})
}
