package tokenizer

import (
	"os"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func TestLlama2CMatchesSentencePiece(t *testing.T) {
	bin, err := LoadLlama2C(testdata.Path(t, "llama2c/tok512.bin"))
	if err != nil {
		t.Fatal(err)
	}
	model, err := LoadSentencePiece(testdata.Path(t, "llama2c/tok512.model"))
	if err != nil {
		t.Fatal(err)
	}
	if bin.VocabSize() != 512 || model.VocabSize() != 512 {
		t.Fatalf("vocab sizes %d, %d; want 512", bin.VocabSize(), model.VocabSize())
	}
	if bin.BOS() != 1 || bin.EOS() != 2 || model.BOS() != 1 || model.EOS() != 2 {
		t.Fatalf("BOS/EOS %d/%d and %d/%d", bin.BOS(), bin.EOS(), model.BOS(), model.EOS())
	}
	for _, s := range []string{
		"Once upon a time, there was a little girl named Lily.",
		"", " ", "  two  spaces ", "Hello\nworld\t!", "naïve café 日本語 🙂", "<s> and </s>",
	} {
		a, _ := bin.Encode(s, EncodeOptions{AddBOS: true})
		b, _ := model.Encode(s, EncodeOptions{AddBOS: true})
		if !equalInts(a, b) {
			t.Errorf("%q: tokenizer.bin %v, .model %v", s, a, b)
		}
		if a[0] != 1 {
			t.Errorf("%q: no BOS: %v", s, a)
		}
		if got := bin.Decode(a); got != s {
			t.Errorf("round trip %q -> %v -> %q", s, a, got)
		}
	}
	ids, _ := bin.Encode("Once upon a time", EncodeOptions{AddBOS: true})
	t.Logf("Once upon a time -> %v", ids)
}

// TestSPMWordCutIsExact checks that cutting SentencePiece text between
// characters that no token holds side by side (the fast path) gives the
// same ids as merging the whole text at once.
func TestSPMWordCutIsExact(t *testing.T) {
	data, err := os.ReadFile(testdata.Path(t, "corpus/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data[:30000]) + " naïve 日本語 🙂  x\t\ty 中文的句子。한국어"
	for _, name := range []string{"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf", "ggml-vocab-baichuan.gguf"} {
		tok := loadVocab(t, name)
		esc := string(appendEscaped([]byte("▁"), text))
		fast := tok.encodeSPM(new(workspace), esc, nil)
		whole := tok.encodeSPMWord(new(workspace), esc, nil)
		if !equalInts(fast, whole) {
			t.Errorf("%s: word cut differs: %d vs %d ids", name, len(fast), len(whole))
		}
	}
}
