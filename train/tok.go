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

	"github.com/llmparts/llmparts/format/safetensors"
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

// charTokJSON is the tokenizer.json of a character tokenizer:
// {"kind": "char", "chars": ["\n", " ", "!", ...], "unknown": "\ufffd"}
// where id i decodes to chars[i] and "unknown" (optional) names the
// character that runes outside the vocabulary encode to.
type charTokJSON struct {
	Kind    string   `json:"kind"`
	Chars   []string `json:"chars"`
	Unknown string   `json:"unknown,omitempty"`
}

func (t *charTok) save(w io.Writer) error {
	j := charTokJSON{Kind: "char"}
	if t.unk >= 0 {
		j.Unknown = string(t.runes[t.unk])
	}
	for _, r := range t.runes {
		j.Chars = append(j.Chars, string(r))
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// NewTokenizer builds the tokenizer named by spec from the corpus: "char"
// (every distinct character), "char:N" (characters seen at least N times;
// the rest encode as U+FFFD) or "bpe:N".
func NewTokenizer(spec, corpus string) (tokenizer.Tokenizer, error) {
	switch {
	case spec == "char":
		return newCharTok(corpus, 0), nil
	case strings.HasPrefix(spec, "char:"):
		n, err := strconv.Atoi(spec[5:])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: %q: want char:N with N ≥ 1", errTokenizer, spec)
		}
		return newCharTok(corpus, n), nil
	case strings.HasPrefix(spec, "bpe:"):
		return nil, fmt.Errorf("%w: bpe tokenizers are not available yet", errTokenizer)
	}
	return nil, fmt.Errorf("%w: unknown tokenizer %q (want char or bpe:N)", errTokenizer, spec)
}

// SaveTokenizer writes tok as path (tokenizer.json) atomically.
func SaveTokenizer(tok tokenizer.Tokenizer, path string) error {
	ct, ok := tok.(*charTok)
	if !ok {
		return fmt.Errorf("%w: cannot save a %s tokenizer", errTokenizer, tok.Kind())
	}
	return safetensors.WriteFileAtomic(path, ct.save)
}

// LoadTokenizer reads a tokenizer.json written by SaveTokenizer.
func LoadTokenizer(path string) (tokenizer.Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errTokenizer, err)
	}
	t, err := ParseTokenizer(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTokenizer decodes the contents of a tokenizer.json written by
// SaveTokenizer.
func ParseTokenizer(b []byte) (tokenizer.Tokenizer, error) {
	path := "tokenizer.json"
	var j charTokJSON
	if err := json.Unmarshal(b, &j); err != nil || j.Kind != "char" {
		return nil, fmt.Errorf("%w: %s is not a char tokenizer file", errTokenizer, path)
	}
	rs := make([]rune, len(j.Chars))
	for i, s := range j.Chars {
		r := []rune(s)
		if len(r) != 1 {
			return nil, fmt.Errorf("%w: %s: entry %d is not one character", errTokenizer, path, i)
		}
		rs[i] = r[0]
	}
	return charTokFrom(rs, j.Unknown == string(utf8.RuneError)), nil
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
