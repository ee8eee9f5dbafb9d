package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/model/spec"
)

// writeJSONAtomic writes v as JSON to path through a temporary file in the
// same folder and a rename, so readers never see a half-written file.
func writeJSONAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("tokenizer: encode %s: %w", path, err)
	}
	return writeFileAtomic(path, data)
}

func writeFileAtomic(path string, data []byte) error {
	err := safeio.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("tokenizer: save: %w", err)
	}
	return nil
}

type hfAddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// Save writes a byte-level BPE in the Hugging Face tokenizer.json layout
// (model BPE with vocab and merges, ByteLevel pre-tokenizer and decoder;
// control and user-defined tokens as added_tokens), atomically. Only
// byte-level ("gpt2") tokenizers with the gpt-2 pre-tokenizer can be saved
// this way.
func (t *BPE) Save(path string) error {
	if t.kind != "gpt2" || (t.pre != "gpt-2" && t.pre != "gpt2") {
		return fmt.Errorf("tokenizer: save: only byte-level BPE with the gpt-2 pre-tokenizer can be written as tokenizer.json (this is %q, pre %q)", t.kind, t.pre)
	}
	var b bytes.Buffer
	b.WriteString(`{"version":"1.0","truncation":null,"padding":null,"added_tokens":[`)
	n := 0
	for i, ty := range t.types {
		if ty != TypeControl && ty != TypeUserDefined {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		js, _ := json.Marshal(hfAddedToken{ID: i, Content: t.tokens[i], Special: ty == TypeControl})
		b.Write(js)
	}
	b.WriteString(`],"normalizer":null,`)
	b.WriteString(`"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},`)
	b.WriteString(`"post_processor":null,`)
	b.WriteString(`"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},`)
	b.WriteString(`"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{`)
	for i, s := range t.tokens {
		if i > 0 {
			b.WriteByte(',')
		}
		js, _ := json.Marshal(s)
		b.Write(js)
		fmt.Fprintf(&b, ":%d", i)
	}
	b.WriteString(`},"merges":`)
	js, _ := json.Marshal(t.merges)
	b.Write(js)
	b.WriteString("}}\n")
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return err
	}
	// BOS and EOS go, as Hugging Face keeps them, in tokenizer_config.json
	// beside the file.
	cfg := hfConfig{AddBOS: t.addBOS}
	if t.bos >= 0 {
		cfg.BOS = t.tokens[t.bos]
	}
	if t.eos >= 0 {
		cfg.EOS = t.tokens[t.eos]
	}
	return writeJSONAtomic(filepath.Join(filepath.Dir(path), "tokenizer_config.json"), cfg)
}

// hfConfig is the part of Hugging Face's tokenizer_config.json we use.
type hfConfig struct {
	BOS    string `json:"bos_token,omitempty"`
	EOS    string `json:"eos_token,omitempty"`
	AddBOS bool   `json:"add_bos_token"`
}

type hfJSON struct {
	Type        string          `json:"type"` // "char" for our char tokenizer
	AddedTokens []hfAddedToken  `json:"added_tokens"`
	PreTok      json.RawMessage `json:"pre_tokenizer"`
	Decoder     struct {
		Type string `json:"type"`
	} `json:"decoder"`
	Model *hfModel `json:"model"`
}

type hfModel struct {
	Type         string          `json:"type"`
	Vocab        map[string]int  `json:"vocab"`
	Merges       json.RawMessage `json:"merges"`
	ByteFallback bool            `json:"byte_fallback"`
	UnkToken     *string         `json:"unk_token"`
}

// ParseJSON reads a tokenizer.json: our character tokenizer
// ({"type":"char",...}) or a Hugging Face byte-level BPE. BOS and EOS are
// guessed from the added tokens' names; LoadFile also reads
// tokenizer_config.json beside the file.
func ParseJSON(data []byte) (Tokenizer, error) { return parseJSON(data, nil) }

func parseJSON(data []byte, cfg *hfConfig) (Tokenizer, error) {
	var h hfJSON
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
	}
	if h.Type == "char" {
		var c charJSON
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("tokenizer: char tokenizer.json: %w", err)
		}
		return charFromJSON(c)
	}
	if h.Model == nil {
		return nil, errors.New("tokenizer: tokenizer.json has no model (and is not a char tokenizer)")
	}
	if h.Model.Type != "BPE" {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: unsupported model type %q (only BPE)", h.Model.Type)
	}
	if c, ok, err := charFromHFBPE(&h); ok || err != nil {
		return c, err
	}
	if h.Model.ByteFallback {
		return nil, errors.New("tokenizer: tokenizer.json: SentencePiece-style BPE (byte_fallback) is not supported from tokenizer.json; use the .model or GGUF file")
	}
	// Ids are checked before n is computed: id+1 overflows for the
	// largest int.
	const maxID = 1<<24 - 1
	n := 0
	for s, id := range h.Model.Vocab {
		if id < 0 || id > maxID {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: id %d for %q out of range [0, %d]", id, s, maxID)
		}
		n = max(n, id+1)
	}
	for _, a := range h.AddedTokens {
		if a.ID < 0 || a.ID > maxID {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: added token id %d for %q out of range [0, %d]", a.ID, a.Content, maxID)
		}
		n = max(n, a.ID+1)
	}
	v := &Vocab{Model: "gpt2", Pre: "gpt-2", BOS: -1, EOS: -1, UNK: -1, PAD: -1}
	v.Tokens = make([]string, n)
	v.Types = make([]int32, n)
	have := make([]bool, n)
	for s, id := range h.Model.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: negative id for %q", s)
		}
		if have[id] {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: id %d used twice", id)
		}
		v.Tokens[id], v.Types[id], have[id] = s, TypeNormal, true
	}
	for _, a := range h.AddedTokens {
		if a.ID < 0 {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: negative added token id")
		}
		v.Tokens[a.ID], have[a.ID] = a.Content, true
		v.Types[a.ID] = TypeUserDefined
		if a.Special {
			v.Types[a.ID] = TypeControl
		}
	}
	for i, ok := range have {
		if !ok {
			v.Tokens[i], v.Types[i] = fmt.Sprintf("[PAD%d]", i), TypeUnused
		}
	}
	// Merges: ["a b", ...] or [["a","b"], ...].
	var ms []string
	if err := json.Unmarshal(h.Model.Merges, &ms); err != nil {
		var pairs [][2]string
		if err2 := json.Unmarshal(h.Model.Merges, &pairs); err2 != nil {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: merges: %w", err)
		}
		ms = make([]string, len(pairs))
		for i, p := range pairs {
			ms[i] = p[0] + " " + p[1]
		}
	}
	v.Merges = ms
	pre, err := hfPre(h.PreTok)
	if err != nil {
		return nil, err
	}
	v.Pre = pre
	for _, a := range h.AddedTokens {
		switch a.Content {
		case "<s>", "<|begin_of_text|>", "<|bos|>", "<bos>":
			v.BOS = a.ID
		case "</s>", "<|endoftext|>", "<|end_of_text|>", "<|eos|>", "<eos>":
			v.EOS = a.ID
		}
	}
	if cfg != nil {
		byName := func(s string) int {
			for _, a := range h.AddedTokens {
				if a.Content == s {
					return a.ID
				}
			}
			return -1
		}
		if cfg.BOS != "" {
			v.BOS = byName(cfg.BOS)
		}
		if cfg.EOS != "" {
			v.EOS = byName(cfg.EOS)
		}
		add := cfg.AddBOS
		v.AddBOS = &add
	}
	return FromVocab(v)
}

// hfPre maps a Hugging Face pre_tokenizer to a llama.cpp pre-tokenizer name.
func hfPre(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "gpt-2", nil
	}
	s := string(raw)
	switch {
	case strings.Contains(s, `\\p{N}{1,3}`):
		return "llama-bpe", nil
	case strings.Contains(s, `[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|`):
		return "qwen2", nil
	case strings.Contains(s, `"ByteLevel"`):
		return "gpt-2", nil
	}
	return "", fmt.Errorf("tokenizer: tokenizer.json: unsupported pre_tokenizer %.200s", s)
}

// LoadFile loads a tokenizer of any supported kind, detected from the file:
// GGUF (.gguf), llama2.c tokenizer.bin (.bin), SentencePiece (.model),
// tokenizer.json (char or Hugging Face BPE), or a checkpoint folder holding
// tokenizer.json (directly or in the checkpoint folder spec.Resolve finds
// through a "current" file).
func LoadFile(path string) (Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.IsDir() {
		p := filepath.Join(path, "tokenizer.json")
		if _, err := os.Stat(p); err != nil {
			if _, err2 := os.Stat(filepath.Join(path, spec.CurrentFile)); !errors.Is(err2, fs.ErrNotExist) {
				sub, err := spec.Resolve(path)
				if err != nil {
					return nil, fmt.Errorf("tokenizer: %w", err)
				}
				p = filepath.Join(sub, "tokenizer.json")
			}
		}
		path = p
	}
	f, _, err := safeio.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	switch {
	case string(head) == "GGUF":
		return OpenGGUF(path)
	case strings.HasSuffix(path, ".model"):
		return LoadSentencePiece(path)
	case strings.HasSuffix(path, ".json") || (len(bytes.TrimSpace(head)) > 0 && bytes.TrimSpace(head)[0] == '{'):
		data, err := safeio.ReadFile(path, safeio.MaxTokenizer, "a tokenizer file")
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
		var cfg *hfConfig
		cp := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
		if _, err := os.Stat(cp); err == nil {
			cb, err := safeio.ReadFile(cp, safeio.MaxConfig, "a JSON config file")
			if err != nil {
				return nil, fmt.Errorf("tokenizer: %w", err)
			}
			var c struct {
				BOS    any  `json:"bos_token"`
				EOS    any  `json:"eos_token"`
				AddBOS bool `json:"add_bos_token"`
			}
			if json.Unmarshal(cb, &c) == nil {
				cfg = &hfConfig{BOS: tokenName(c.BOS), EOS: tokenName(c.EOS), AddBOS: c.AddBOS}
			}
		}
		t, err := parseJSON(data, cfg)
		if err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path)
		}
		return t, nil
	case strings.HasSuffix(path, ".bin"):
		return LoadLlama2C(path)
	}
	return nil, fmt.Errorf("tokenizer: %s: unrecognised tokenizer file (want .gguf, tokenizer.bin, .model or tokenizer.json)", path)
}

// tokenName reads a tokenizer_config.json token: a string or an object
// with "content".
func tokenName(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		s, _ := x["content"].(string)
		return s
	}
	return ""
}

// charFromHFBPE recognises a character vocabulary written as a Hugging Face
// BPE model with no merges, no normalizer or pre-tokenizer and a Fuse
// decoder (what package export writes): every character is then looked up
// on its own, and unk_token (if set) stands for the others. ok is false
// for any other tokenizer.json.
func charFromHFBPE(h *hfJSON) (*Char, bool, error) {
	if h.Decoder.Type != "Fuse" || len(h.AddedTokens) > 0 || (len(h.PreTok) > 0 && string(h.PreTok) != "null") {
		return nil, false, nil
	}
	var ms []json.RawMessage
	if json.Unmarshal(h.Model.Merges, &ms) != nil || len(ms) > 0 {
		return nil, false, nil
	}
	rs := make([]rune, len(h.Model.Vocab))
	have := make([]bool, len(h.Model.Vocab))
	for s, id := range h.Model.Vocab {
		r, n := utf8.DecodeRuneInString(s)
		if id < 0 || id >= len(rs) || have[id] || n != len(s) || (r == utf8.RuneError && n <= 1) {
			return nil, true, fmt.Errorf("tokenizer: tokenizer.json: character vocabulary entry %q (id %d) is not one character with a unique id below %d", s, id, len(rs))
		}
		rs[id], have[id] = r, true
	}
	c := newCharFromRunes(rs)
	if h.Model.UnkToken != nil {
		r, n := utf8.DecodeRuneInString(*h.Model.UnkToken)
		if n != len(*h.Model.UnkToken) {
			return nil, true, fmt.Errorf("tokenizer: tokenizer.json: unk_token %q is not one character", *h.Model.UnkToken)
		}
		if err := c.WithUnknown(r); err != nil {
			return nil, true, err
		}
	}
	return c, true, nil
}
