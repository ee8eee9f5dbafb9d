// Package chat turns a conversation into the prompt text a chat model was
// trained on, with the model's own Jinja chat template.
//
// A chat model sees one flat token sequence; the template decides how the
// turns are marked in it. For messages m₁…mₙ with roles rᵢ and contents cᵢ,
// ChatML for example renders
//
//	<|im_start|>r₁\nc₁<|im_end|>\n … <|im_start|>rₙ\ncₙ<|im_end|>\n<|im_start|>assistant\n
//
// and the model answers until it emits the template's end-of-turn token
// (<|im_end|> here), which is why every Template also carries the
// end-of-turn strings that stop generation.
//
// Templates come, in order of preference, from the model file (the GGUF key
// tokenizer.chat_template, or chat_template in a Hugging Face folder's
// tokenizer_config.json), or from the built-in ones written here from the
// formats each model family documents: llama2, llama3, chatml, gemma, phi3
// and plain (contents joined by newlines, for models trained on raw text
// such as this repository's own checkpoints). Jinja is rendered by
// github.com/ardanlabs/jinja.
package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ardanlabs/jinja"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/internal/safeio"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// Template is a compiled chat template.
type Template struct {
	// Name is the built-in name, or where the template came from.
	Name string
	// Source is the Jinja text.
	Source string
	// BOS and EOS are the texts of the vocabulary's begin- and
	// end-of-sequence tokens, passed to the template as bos_token and
	// eos_token (SetSpecial; empty when the vocabulary has none).
	BOS, EOS string
	// EndOfTurn lists the texts of the tokens that end an assistant turn
	// in this format (besides EOS, which always ends one).
	EndOfTurn []string

	t *jinja.Template
}

// builtins are the built-in templates, written from each family's
// documented prompt format (model cards; the chat_template of the
// official Hugging Face repositories for the exact whitespace).
var builtins = map[string]string{
	// Llama 2 chat: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s><s>[INST] {user} [/INST]
	"llama2": `{%- if messages and messages[0].role == 'system' -%}
{%- set ns = namespace(sys=messages[0].content, rest=messages[1:]) -%}
{%- else -%}
{%- set ns = namespace(sys='', rest=messages) -%}
{%- endif -%}
{%- for m in ns.rest -%}
{%- if m.role == 'user' -%}
{%- if loop.first and ns.sys -%}
{{ bos_token + '[INST] <<SYS>>\n' + ns.sys + '\n<</SYS>>\n\n' + (m.content | trim) + ' [/INST]' }}
{%- else -%}
{{ bos_token + '[INST] ' + (m.content | trim) + ' [/INST]' }}
{%- endif -%}
{%- elif m.role == 'assistant' -%}
{{ ' ' + (m.content | trim) + ' ' + eos_token }}
{%- endif -%}
{%- endfor -%}`,
	// Llama 3 instruct: <|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>…
	"llama3": `{{- bos_token -}}
{%- for m in messages -%}
{{ '<|start_header_id|>' + m.role + '<|end_header_id|>\n\n' + (m.content | trim) + '<|eot_id|>' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif -%}`,
	// ChatML (Qwen, many fine-tunes): <|im_start|>{role}\n{content}<|im_end|>\n
	"chatml": `{%- for m in messages -%}
{{ '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{ '<|im_start|>assistant\n' }}
{%- endif -%}`,
	// Gemma: <bos><start_of_turn>user\n{content}<end_of_turn>\n<start_of_turn>model\n;
	// no system role: a system message is put before the first user turn,
	// separated by a blank line (as Gemma 3's template does).
	"gemma": `{{- bos_token -}}
{%- if messages and messages[0].role == 'system' -%}
{%- set ns = namespace(sys=(messages[0].content | trim) + '\n\n', rest=messages[1:]) -%}
{%- else -%}
{%- set ns = namespace(sys='', rest=messages) -%}
{%- endif -%}
{%- for m in ns.rest -%}
{%- if m.role == 'assistant' -%}{%- set role = 'model' -%}{%- else -%}{%- set role = m.role -%}{%- endif -%}
{%- if loop.first -%}{%- set pre = ns.sys -%}{%- else -%}{%- set pre = '' -%}{%- endif -%}
{{ '<start_of_turn>' + role + '\n' + pre + (m.content | trim) + '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{ '<start_of_turn>model\n' }}
{%- endif -%}`,
	// Phi-3: <|system|>\n{system}<|end|>\n<|user|>\n{user}<|end|>\n<|assistant|>\n
	"phi3": `{%- for m in messages -%}
{{ '<|' + m.role + '|>\n' + m.content + '<|end|>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{ '<|assistant|>\n' }}
{%- endif -%}`,
	// plain: the contents alone, one per line, for models trained on raw
	// text (the embedded default model continues Go code).
	"plain": `{%- for m in messages -%}
{%- if not loop.first -%}{{ '\n' }}{%- endif -%}
{{ m.content }}
{%- endfor -%}`,
}

// Names lists the built-in templates.
func Names() []string {
	var n []string
	for k := range builtins {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// Builtin returns the built-in template called name.
func Builtin(name string) (*Template, error) {
	src, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("chat: no built-in template %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return New(name, src)
}

// New compiles a Jinja chat template. Its end-of-turn tokens are those of
// the family its markers show (see EndOfTurnFor).
func New(name, source string) (*Template, error) {
	t, err := jinja.Compile(source)
	if err != nil {
		return nil, fmt.Errorf("chat: template %s: %w", name, err)
	}
	return &Template{Name: name, Source: source, EndOfTurn: EndOfTurnFor(source), t: t}, nil
}

// markers maps a turn marker that identifies a template family to the
// tokens that end an assistant turn in that family.
var markers = []struct {
	marker string
	end    []string
}{
	{"<|start_header_id|>", []string{"<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"}},
	{"<|im_start|>", []string{"<|im_end|>", "<|endoftext|>"}},
	{"<start_of_turn>", []string{"<end_of_turn>"}},
	{"<|assistant|>", []string{"<|end|>", "<|endoftext|>"}},
}

// EndOfTurnFor returns the end-of-turn token texts of the template family
// whose markers appear in source (Llama 3 headers, ChatML, Gemma turns,
// Phi-3 roles), or nil (Llama 2 and plain text end with EOS alone).
func EndOfTurnFor(source string) []string {
	for _, m := range markers {
		if strings.Contains(source, m.marker) {
			return m.end
		}
	}
	return nil
}

// SetSpecial sets the texts passed to the template as bos_token and
// eos_token.
func (t *Template) SetSpecial(bos, eos string) { t.BOS, t.EOS = bos, eos }

// Render returns the prompt text of msgs. With addGenerationPrompt the
// text ends with the header of an assistant turn, so that the model
// writes the answer next.
func (t *Template) Render(msgs []Message, addGenerationPrompt bool) (out string, err error) {
	ms := make([]any, len(msgs))
	for i, m := range msgs {
		ms[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	defer func() {
		// A template from a model file is data: whatever it does, a
		// failure is an error, not a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("chat: template %s: %v", t.Name, r)
		}
	}()
	out, err = t.t.Render(map[string]any{
		"messages":              ms,
		"add_generation_prompt": addGenerationPrompt,
		"bos_token":             t.BOS,
		"eos_token":             t.EOS,
	})
	if err != nil {
		return "", fmt.Errorf("chat: template %s: %w", t.Name, err)
	}
	return out, nil
}

// ForVocabulary picks a built-in template from the special tokens a
// vocabulary has (has reports whether a token text exists): llama3 for
// <|start_header_id|>, chatml for <|im_start|>, gemma for <start_of_turn>,
// phi3 for <|assistant|>, plain otherwise.
func ForVocabulary(has func(string) bool) *Template {
	name := "plain"
	switch {
	case has("<|start_header_id|>"):
		name = "llama3"
	case has("<|im_start|>"):
		name = "chatml"
	case has("<start_of_turn>"):
		name = "gemma"
	case has("<|assistant|>"):
		name = "phi3"
	}
	t, err := Builtin(name)
	if err != nil {
		panic(err) // the built-in templates compile (TestBuiltins)
	}
	return t
}

// FromHFConfig reads the chat_template of a Hugging Face folder's
// tokenizer_config.json (a string, or a list of {name, template} of which
// "default" is taken). It returns nil and no error when the folder has no
// such file or the file no template.
func FromHFConfig(dir string) (*Template, error) {
	path := filepath.Join(dir, "tokenizer_config.json")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	b, err := safeio.ReadFile(path, safeio.MaxConfig, "a JSON config file")
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	return ParseHFConfig(b, path)
}

// ParseHFConfig is FromHFConfig on the bytes of a tokenizer_config.json
// (where names the file in errors). bos_token and eos_token are taken from
// it when they are given (as strings or {"content": ...}).
func ParseHFConfig(b []byte, where string) (*Template, error) {
	var cfg struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
		BOS          json.RawMessage `json:"bos_token"`
		EOS          json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("chat: %s: %w", where, err)
	}
	if len(cfg.ChatTemplate) == 0 || string(cfg.ChatTemplate) == "null" {
		return nil, nil
	}
	var src string
	if err := json.Unmarshal(cfg.ChatTemplate, &src); err != nil {
		var list []struct{ Name, Template string }
		if err2 := json.Unmarshal(cfg.ChatTemplate, &list); err2 != nil {
			return nil, fmt.Errorf("chat: %s: chat_template is neither a string nor a list of {name, template}", where)
		}
		for _, e := range list {
			if e.Name == "default" || src == "" {
				src = e.Template
			}
		}
	}
	if src == "" {
		return nil, nil
	}
	t, err := New(where, src)
	if err != nil {
		return nil, err
	}
	t.SetSpecial(specialText(cfg.BOS), specialText(cfg.EOS))
	return t, nil
}

// specialText reads a token given as "text" or {"content": "text"}.
func specialText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct{ Content string }
	if json.Unmarshal(raw, &o) == nil {
		return o.Content
	}
	return ""
}

// FromGGUF reads the tokenizer.chat_template of an opened GGUF file, with
// bos_token and eos_token set from its vocabulary. It returns nil and no
// error when the file has no template.
func FromGGUF(f *gguf.File) (*Template, error) {
	src, ok := f.String("tokenizer.chat_template")
	if !ok || src == "" {
		return nil, nil
	}
	t, err := New(f.Name(), src)
	if err != nil {
		return nil, err
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	text := func(key string) string {
		id, ok := f.Uint(key)
		if !ok || id >= uint64(len(toks)) {
			return ""
		}
		return toks[id]
	}
	t.SetSpecial(text("tokenizer.ggml.bos_token_id"), text("tokenizer.ggml.eos_token_id"))
	return t, nil
}
