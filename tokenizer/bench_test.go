package tokenizer

import (
	"os"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

func benchEncode(b *testing.B, vocab string) {
	tok, err := LoadGGUF(testdata.Path(b, "vocab/"+vocab))
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(testdata.Path(b, "corpus/tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tok.Encode(string(data), EncodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGPT2(b *testing.B)     { benchEncode(b, "ggml-vocab-gpt-2.gguf") }
func BenchmarkEncodeLlamaSPM(b *testing.B) { benchEncode(b, "ggml-vocab-llama-spm.gguf") }
