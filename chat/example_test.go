package chat_test

import (
	"fmt"

	"github.com/llmparts/llmparts/chat"
)

func Example() {
	t, err := chat.Builtin("chatml")
	if err != nil {
		panic(err)
	}
	p, err := t.Render([]chat.Message{{Role: "user", Content: "Hi"}}, true)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q ends with %q\n", p, t.EndOfTurn[0])
	// Output: "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n" ends with "<|im_end|>"
}
