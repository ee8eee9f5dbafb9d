package defaultmodel_test

import (
	"fmt"
	"io/fs"
	"log"

	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/tokenizer"
)

// The embedded checkpoint's files, and its tokenizer: byte-level BPE with
// 2,048 ids (256 bytes and 1,792 merges learned from the Go sources), so
// every text round-trips, a character it never saw included.
func Example() {
	names, err := fs.Glob(defaultmodel.FS(), "*")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(names)
	tok, err := defaultmodel.Tokenizer()
	if err != nil {
		log.Fatal(err)
	}
	ids, _ := tok.Encode("func ☃", tokenizer.EncodeOptions{})
	fmt.Println(tok.Kind(), tok.VocabSize(), len(ids), tok.Decode(ids))
	// Output:
	// [config.json model.safetensors state.json tokenizer.json tokenizer_config.json]
	// gpt2 2048 5 func ☃
}
