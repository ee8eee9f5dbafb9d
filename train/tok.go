package train

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/tokenizer"
)

// charTok is a character-level tokenizer: one id per distinct rune of the
// corpus, in rune order. With a minimum count, rarer runes are left out and
// encode as U+FFFD (which then has an id of its own).
type charTok struct {
	runes []rune
	ids   map[rune]int
	unk   int // id of U+FFFD for unknown runes, or -1 (unknown is an error)
}

func newCharTok(corpus string, minCount int) *charTok {
	count := map[rune]int{}
	for _, r := range corpus {
		count[r]++
	}
	rs := make([]rune, 0, len(count))
	dropped := false
	for r, n := range count {
		if n >= minCount || r == utf8.RuneError {
			rs = append(rs, r)
		} else {
			dropped = true
		}
	}
	if dropped && count[utf8.RuneError] < minCount {
		if _, ok := count[utf8.RuneError]; !ok {
			rs = append(rs, utf8.RuneError)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return charTokFrom(rs, dropped)
}

func charTokFrom(rs []rune, lossy bool) *charTok {
	t := &charTok{runes: rs, ids: make(map[rune]int, len(rs)), unk: -1}
	for i, r := range rs {
		t.ids[r] = i
	}
	if id, ok := t.ids[utf8.RuneError]; ok && lossy {
		t.unk = id
	}
	return t
}

func (t *charTok) Encode(text string, _ tokenizer.EncodeOptions) ([]int, error) {
	out := make([]int, 0, len(text))
	for _, r := range text {
		id, ok := t.ids[r]
		if !ok && t.unk >= 0 {
			id, ok = t.unk, true
		}
		if !ok {
			return nil, fmt.Errorf("char tokenizer: character %q is not in the vocabulary", r)
		}
		out = append(out, id)
	}
	return out, nil
}

func (t *charTok) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		if id >= 0 && id < len(t.runes) {
			sb.WriteRune(t.runes[id])
		}
	}
	return sb.String()
}

type charDec struct{ t *charTok }

func (d charDec) Add(id int) string { return d.t.Decode([]int{id}) }
func (d charDec) Flush() string     { return "" }

func (t *charTok) NewDecoder() tokenizer.Decoder { return charDec{t} }
func (t *charTok) VocabSize() int                { return len(t.runes) }
func (t *charTok) BOS() int                      { return -1 }
func (t *charTok) EOS() int                      { return -1 }
func (t *charTok) AddBOSDefault() bool           { return false }
func (t *charTok) Kind() string                  { return "char" }

// Runes returns the vocabulary, indexed by id (as tokenizer.Char does).
func (t *charTok) Runes() []rune { return t.runes }

// Unknown returns the id of U+FFFD when rarer characters encode to it, else -1.
func (t *charTok) Unknown() int { return t.unk }

// charTokJSON is the tokenizer.json of a character tokenizer in the
// tokenizer package's layout, {"type": "char", "vocab": ["\n", " ", ...]}
// (id i decodes to vocab[i]), plus "unknown": "\ufffd" when runes outside
// the vocabulary encode to U+FFFD (char:N). tokenizer.ParseJSON reads it
// too (ignoring "unknown": such text is then an error to encode).
// Kind and Chars are the field names of an earlier version of this file.
type charTokJSON struct {
	Type    string   `json:"type,omitempty"`
	Vocab   []string `json:"vocab,omitempty"`
	Unknown string   `json:"unknown,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Chars   []string `json:"chars,omitempty"`
}

func (t *charTok) save(w io.Writer) error {
	j := charTokJSON{Type: "char"}
	for _, r := range t.runes {
		j.Vocab = append(j.Vocab, string(r))
	}
	if t.unk >= 0 {
		j.Unknown = string(t.runes[t.unk])
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// NewTokenizer builds the tokenizer named by spec from the corpus: "char"
// (every distinct character: tokenizer.NewChar), "char:N" (characters seen
// at least N times; the rest encode as U+FFFD) or "bpe:N" (a byte-level
// BPE of N tokens: tokenizer.TrainBPE), or the path of a tokenizer file
// (tokenizer.LoadFile: a GGUF vocabulary, tokenizer.json...) whose ids
// the data uses, as pre-tokenized data needs.
func NewTokenizer(spec, corpus string) (tokenizer.Tokenizer, error) {
	switch {
	case spec == "char":
		return tokenizer.NewChar(corpus), nil
	case strings.HasPrefix(spec, "char:"):
		n, err := strconv.Atoi(spec[5:])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: %q: want char:N with N ≥ 1", errTokenizer, spec)
		}
		return newCharTok(corpus, n), nil
	case strings.HasPrefix(spec, "bpe:"):
		n, err := strconv.Atoi(spec[4:])
		if err != nil || n < 257 {
			return nil, fmt.Errorf("%w: %q: want bpe:N with N > 256 (the byte tokens come first)", errTokenizer, spec)
		}
		t, err := tokenizer.TrainBPE([]byte(corpus), n, tokenizer.TrainOptions{})
		if err != nil {
			return nil, tokErr(err)
		}
		return t, nil
	}
	if st, err := os.Stat(spec); err == nil && !st.IsDir() {
		return loadTokenizerFile(spec)
	}
	return nil, fmt.Errorf("%w: unknown tokenizer %q (want char, char:N, bpe:N or a tokenizer file)", errTokenizer, spec)
}

// tokenizerForTokens returns the tokenizer of pre-tokenized data: spec
// must name a tokenizer file.
func tokenizerForTokens(spec string) (tokenizer.Tokenizer, error) {
	if st, err := os.Stat(spec); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%w: pre-tokenized data needs --tokenizer FILE, the vocabulary its ids index (tokenizer.json, a .gguf vocabulary...); %q is not a file", errTokenizer, spec)
	}
	return loadTokenizerFile(spec)
}

// loadTokenizerFile reads a tokenizer file (tokenizer.LoadFile) that a
// checkpoint can hold: a character or byte-level BPE tokenizer.
func loadTokenizerFile(path string) (tokenizer.Tokenizer, error) {
	t, err := tokenizer.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errTokenizer, err)
	}
	if b, ok := t.(*tokenizer.BPE); ok && (b.Kind() != "gpt2" || (b.Pre() != "gpt-2" && b.Pre() != "gpt2")) {
		return nil, fmt.Errorf("%w: %s: a %s tokenizer (pre-tokenizer %q) cannot be saved in a checkpoint's tokenizer.json; only character and GPT-2-style byte-level BPE ones can", errTokenizer, path, b.Kind(), b.Pre())
	}
	if _, ok := t.(interface{ Save(string) error }); !ok {
		return nil, fmt.Errorf("%w: %s: a %s tokenizer cannot be saved in a checkpoint", errTokenizer, path, t.Kind())
	}
	return t, nil
}

// SaveTokenizer writes tok as path (tokenizer.json) atomically.
func SaveTokenizer(tok tokenizer.Tokenizer, path string) error {
	switch t := tok.(type) {
	case *charTok:
		return safeio.WriteFileAtomic(path, t.save)
	case interface{ Save(string) error }:
		if err := t.Save(path); err != nil {
			return tokErr(err)
		}
		return nil
	}
	return fmt.Errorf("%w: cannot save a %s tokenizer", errTokenizer, tok.Kind())
}

// LoadTokenizer reads a tokenizer.json written by SaveTokenizer.
func LoadTokenizer(path string) (tokenizer.Tokenizer, error) {
	b, err := safeio.ReadFile(path, safeio.MaxTokenizer, "a tokenizer file")
	if err != nil {
		return nil, tokErr(err)
	}
	t, err := ParseTokenizer(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTokenizer decodes the contents of a tokenizer.json written by
// SaveTokenizer: a char:N tokenizer (with "unknown") or one written by an
// earlier version of this package is read here, anything else by
// tokenizer.ParseJSON.
func ParseTokenizer(b []byte) (tokenizer.Tokenizer, error) {
	var j charTokJSON
	if err := json.Unmarshal(b, &j); err == nil && (j.Kind == "char" || (j.Type == "char" && j.Unknown != "")) {
		chars := j.Vocab
		if j.Kind == "char" {
			chars = j.Chars
		}
		rs := make([]rune, len(chars))
		seen := make(map[rune]bool, len(chars))
		for i, s := range chars {
			r := []rune(s)
			if len(r) != 1 || seen[r[0]] {
				return nil, fmt.Errorf("%w: char vocabulary entry %d %q is not one new character", errTokenizer, i, s)
			}
			seen[r[0]] = true
			rs[i] = r[0]
		}
		lossy := j.Unknown == string(utf8.RuneError)
		if j.Unknown != "" && !lossy {
			return nil, fmt.Errorf("%w: unknown character %q (want U+FFFD)", errTokenizer, j.Unknown)
		}
		if lossy && !seen[utf8.RuneError] {
			return nil, fmt.Errorf("%w: U+FFFD is not in the vocabulary", errTokenizer)
		}
		return charTokFrom(rs, lossy), nil
	}
	t, err := tokenizer.ParseJSON(b)
	if err != nil {
		return nil, tokErr(err)
	}
	return t, nil
}

// EncodeCorpus tokenizes the whole corpus into int32 ids.
func EncodeCorpus(tok tokenizer.Tokenizer, corpus string) ([]int32, error) {
	ids, err := tok.Encode(corpus, tokenizer.EncodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("train: encoding corpus: %w", err)
	}
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out, nil
}

// tokErr wraps an error of the tokenizer package (or of reading a file)
// once: "train: tokenizer: …", without repeating a "tokenizer:" prefix the
// error already has.
func tokErr(err error) error {
	if strings.HasPrefix(err.Error(), "tokenizer: ") {
		return fmt.Errorf("train: %w", err)
	}
	return fmt.Errorf("%w: %w", errTokenizer, err)
}
