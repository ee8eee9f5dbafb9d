package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmparts/llmparts/internal/testdata"
)

func loadVocab(t *testing.T, name string) *BPE {
	t.Helper()
	tok, err := LoadGGUF(testdata.Path(t, "vocab/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSpecialTokensAndBOS(t *testing.T) {
	spm := loadVocab(t, "ggml-vocab-llama-spm.gguf")
	if !spm.AddBOSDefault() || spm.BOS() != 1 || spm.EOS() != 2 {
		t.Fatalf("llama-spm: add_bos %v bos %d eos %d", spm.AddBOSDefault(), spm.BOS(), spm.EOS())
	}
	got, _ := spm.Encode("<s>Hello</s>", EncodeOptions{AddBOS: true, ParseSpecial: true})
	if want := []int{1, 1, 15043, 2}; !equalInts(got, want) {
		t.Errorf("parse special: got %v want %v", got, want)
	}
	plain, _ := spm.Encode("<s>", EncodeOptions{})
	if len(plain) < 2 || plain[0] == 1 {
		t.Errorf("<s> without ParseSpecial should be text, got %v", plain)
	}
	got, _ = spm.Encode("Hello world", EncodeOptions{AddBOS: true})
	if want := []int{1, 15043, 3186}; !equalInts(got, want) {
		t.Errorf("Hello world: got %v want %v", got, want)
	}
	if got, _ := spm.Encode("", EncodeOptions{AddBOS: true}); !equalInts(got, []int{1}) {
		t.Errorf("empty with BOS: %v", got)
	}

	gpt2 := loadVocab(t, "ggml-vocab-gpt-2.gguf")
	if gpt2.AddBOSDefault() {
		t.Errorf("gpt-2 adds BOS by default")
	}
	eot, ok := gpt2.ID("<|endoftext|>")
	if !ok || eot != 50256 {
		t.Fatalf("<|endoftext|> = %d, %v", eot, ok)
	}
	got, _ = gpt2.Encode("a<|endoftext|>b", EncodeOptions{ParseSpecial: true})
	if want := []int{64, 50256, 65}; !equalInts(got, want) {
		t.Errorf("gpt-2 special: got %v want %v", got, want)
	}
	got, _ = gpt2.Encode("a<|endoftext|>b", EncodeOptions{})
	for _, id := range got {
		if id == 50256 {
			t.Errorf("special matched without ParseSpecial: %v", got)
		}
	}
	if s := gpt2.Decode(got); s != "a<|endoftext|>b" {
		t.Errorf("decode %q", s)
	}
}

func TestDecodeRules(t *testing.T) {
	spm := loadVocab(t, "ggml-vocab-llama-spm.gguf")
	ids, _ := spm.Encode("Hello world", EncodeOptions{AddBOS: true})
	if s := spm.Decode(ids); s != "Hello world" {
		t.Errorf("Decode = %q", s)
	}
	if p := spm.Piece(15043); p != " Hello" {
		t.Errorf("Piece = %q", p)
	}
	if p := PieceAfter(spm, 1, 15043); p != "Hello" {
		t.Errorf("PieceAfter(BOS) = %q", p)
	}
	if p := PieceAfter(spm, 3186, 15043); p != " Hello" {
		t.Errorf("PieceAfter(word) = %q", p)
	}
	// Streaming: emojis fall back to <0xNN> bytes; no chunk may split a rune.
	text := "smile 🙂 naïve 日本"
	ids, _ = spm.Encode(text, EncodeOptions{AddBOS: true})
	var sb strings.Builder
	d := spm.NewDecoder()
	for _, id := range ids {
		chunk := d.Add(id)
		if !utf8.ValidString(chunk) {
			t.Fatalf("broken chunk %q", chunk)
		}
		sb.WriteString(chunk)
	}
	sb.WriteString(d.Flush())
	if sb.String() != text {
		t.Errorf("stream = %q, want %q", sb.String(), text)
	}
	gpt2 := loadVocab(t, "ggml-vocab-gpt-2.gguf")
	ids, _ = gpt2.Encode(text, EncodeOptions{})
	d = gpt2.NewDecoder()
	sb.Reset()
	for _, id := range ids {
		chunk := d.Add(id)
		if !utf8.ValidString(chunk) {
			t.Fatalf("broken chunk %q", chunk)
		}
		sb.WriteString(chunk)
	}
	if sb.String()+d.Flush() != text {
		t.Errorf("gpt-2 stream = %q", sb.String())
	}
	// An unfinished character is replaced at Flush.
	d = gpt2.NewDecoder()
	e0, _ := gpt2.ID(string(byteToRune[0xF0]))
	if s := d.Add(e0); s != "" {
		t.Errorf("partial rune emitted %q", s)
	}
	if s := d.Flush(); s != "\uFFFD" {
		t.Errorf("Flush = %q", s)
	}
}
