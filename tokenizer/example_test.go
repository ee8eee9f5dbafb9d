package tokenizer_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/llmparts/llmparts/tokenizer"
)

// A character tokenizer: one id per distinct character of the corpus, in
// code-point order.
func ExampleNewChar() {
	t := tokenizer.NewChar("hello world")
	ids, err := t.Encode("hold", tokenizer.EncodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.VocabSize(), ids, t.Decode(ids))
	// Output: 8 [3 5 4 1] hold
}

// Train a byte-level BPE: the 256 byte tokens, then merges of the most
// frequent adjacent pairs (Ġ marks a leading space, as in GPT-2), and
// encode with them.
func ExampleTrainBPE() {
	corpus := strings.Repeat("low lower lowest ", 50)
	t, err := tokenizer.TrainBPE([]byte(corpus), 262, tokenizer.TrainOptions{})
	if err != nil {
		log.Fatal(err)
	}
	var merges []string
	for _, m := range t.Merges() {
		merges = append(merges, fmt.Sprintf("%q", m))
	}
	fmt.Println(strings.Join(merges, " "))
	ids, _ := t.Encode("lowest low", tokenizer.EncodeOptions{})
	var pieces []string
	for _, id := range ids {
		pieces = append(pieces, fmt.Sprintf("%q", t.Decode([]int{id})))
	}
	fmt.Println(strings.Join(pieces, " "), "=", t.Decode(ids))
	// Output:
	// "l o" "lo w" "Ġ low" "Ġlow e" "s t" "Ġlowe r"
	// "low" "e" "st" " low" = lowest low
}

// A streaming decoder holds back the bytes of an unfinished character:
// "é" (0xC3 0xA9), unseen in training, is two byte tokens, and its text
// appears when the second arrives.
func ExampleDecoder() {
	t, err := tokenizer.TrainBPE([]byte("tea tea tea"), 257, tokenizer.TrainOptions{})
	if err != nil {
		log.Fatal(err)
	}
	ids, _ := t.Encode("café", tokenizer.EncodeOptions{})
	d := t.NewContinuationDecoder()
	for _, id := range ids {
		fmt.Printf("%d -> %q\n", id, d.Add(id))
	}
	fmt.Printf("flush -> %q\n", d.Flush())
	// Output:
	// 99 -> "c"
	// 97 -> "a"
	// 102 -> "f"
	// 195 -> ""
	// 169 -> "é"
	// flush -> ""
}
