package defaultmodel_test

import (
	"fmt"
	"io/fs"
	"log"

	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/tokenizer"
)

// The embedded checkpoint's files, and its character tokenizer: every
// character is one id, and characters it never saw in training encode as
// U+FFFD.
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
	// [config.json model.safetensors state.json tokenizer.json]
	// char 218 6 func �
}
