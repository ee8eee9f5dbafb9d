package chat

import (
	"path/filepath"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/internal/testdata"
)

// The expected strings below are copied from each family's published
// prompt format (model cards and the official Hugging Face
// apply_chat_template outputs), not produced by this package.
func TestBuiltins(t *testing.T) {
	sys := Message{"system", "You are a helpful assistant."}
	cases := []struct {
		name, bos, eos string
		msgs           []Message
		gen            bool
		want           string
	}{
		// Llama 2: "How to prompt Llama 2" (Hugging Face blog, Meta's format).
		{"llama2", "<s>", "</s>", []Message{sys, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "How are you?"}}, true,
			"<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] How are you? [/INST]"},
		// Llama 3: Meta's model card, "Llama 3 prompt format".
		{"llama3", "<|begin_of_text|>", "<|end_of_text|>", []Message{{"system", "You are a helpful AI assistant for travel tips and recommendations"}, {"user", "What is France's capital?"}}, true,
			"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful AI assistant for travel tips and recommendations<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is France's capital?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		// ChatML: Qwen's documentation.
		{"chatml", "", "", []Message{sys, {"user", "Hello"}}, true,
			"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"},
		// Gemma: ai.google.dev "Gemma formatting and system instructions".
		{"gemma", "<bos>", "<eos>", []Message{{"user", "knock knock"}, {"assistant", "who is there"}, {"user", "LOL"}}, true,
			"<bos><start_of_turn>user\nknock knock<end_of_turn>\n<start_of_turn>model\nwho is there<end_of_turn>\n<start_of_turn>user\nLOL<end_of_turn>\n<start_of_turn>model\n"},
		// Phi-3: the Phi-3-mini model card.
		{"phi3", "<s>", "<|endoftext|>", []Message{sys, {"user", "How to explain Internet for a medieval knight?"}}, true,
			"<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHow to explain Internet for a medieval knight?<|end|>\n<|assistant|>\n"},
		{"plain", "", "", []Message{{"user", "func main() {"}}, true, "func main() {"},
		{"chatml", "", "", []Message{{"user", "Hello"}}, false, "<|im_start|>user\nHello<|im_end|>\n"},
	}
	for _, c := range cases {
		tm, err := Builtin(c.name)
		if err != nil {
			t.Fatal(err)
		}
		tm.SetSpecial(c.bos, c.eos)
		got, err := tm.Render(c.msgs, c.gen)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	if _, err := Builtin("nope"); err == nil {
		t.Error("unknown built-in: no error")
	}
}

func TestEndOfTurn(t *testing.T) {
	for name, want := range map[string]string{"llama3": "<|eot_id|>", "chatml": "<|im_end|>", "gemma": "<end_of_turn>", "phi3": "<|end|>"} {
		tm, _ := Builtin(name)
		if len(tm.EndOfTurn) == 0 || tm.EndOfTurn[0] != want {
			t.Errorf("%s: end of turn %q, want %q first", name, tm.EndOfTurn, want)
		}
	}
	for _, name := range []string{"llama2", "plain"} {
		if tm, _ := Builtin(name); tm.EndOfTurn != nil {
			t.Errorf("%s: end of turn %q, want none (EOS)", name, tm.EndOfTurn)
		}
	}
}

// The Phi-3 vocabulary from llama.cpp's test models carries the model's
// own template; rendered, it must give the model card's format.
func TestFromGGUF(t *testing.T) {
	path := testdata.Path(t, filepath.Join("vocab", "ggml-vocab-phi-3.gguf"))
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tm, err := FromGGUF(f)
	if err != nil || tm == nil {
		t.Fatalf("template %v, error %v", tm, err)
	}
	got, err := tm.Render([]Message{{"user", "How to explain Internet for a medieval knight?"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "<s><|user|>\nHow to explain Internet for a medieval knight?<|end|>\n<|assistant|>\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(tm.EndOfTurn) == 0 || tm.EndOfTurn[0] != "<|end|>" {
		t.Errorf("end of turn %q", tm.EndOfTurn)
	}
}

func TestParseHFConfig(t *testing.T) {
	cfg := `{"bos_token": {"content": "<s>"}, "eos_token": "</s>",
	 "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{{ eos_token }}"}]}`
	tm, err := ParseHFConfig([]byte(cfg), "tokenizer_config.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.Render([]Message{{"user", "a"}, {"assistant", "b"}}, false)
	if err != nil || got != "<s>[user]a[assistant]b</s>" {
		t.Errorf("got %q, %v", got, err)
	}
	if tm, err := ParseHFConfig([]byte(`{"eos_token": "</s>"}`), "x"); tm != nil || err != nil {
		t.Errorf("no template: got %v, %v", tm, err)
	}
	for _, bad := range []string{`{`, `{"chat_template": 3}`, `{"chat_template": "{% for %}"}`} {
		if _, err := ParseHFConfig([]byte(bad), "x"); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestRenderError(t *testing.T) {
	tm, err := New("t", `{{ raise_exception('only user and assistant roles') }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tm.Render([]Message{{"user", "x"}}, true); err == nil {
		t.Error("raise_exception: no error")
	}
}

func TestForVocabulary(t *testing.T) {
	has := func(toks ...string) func(string) bool {
		return func(s string) bool {
			for _, t := range toks {
				if t == s {
					return true
				}
			}
			return false
		}
	}
	for want, toks := range map[string][]string{"llama3": {"<|start_header_id|>"}, "chatml": {"<|im_start|>"}, "gemma": {"<start_of_turn>"}, "phi3": {"<|assistant|>"}, "plain": nil} {
		if got := ForVocabulary(has(toks...)).Name; got != want {
			t.Errorf("%v: %s, want %s", toks, got, want)
		}
	}
}
