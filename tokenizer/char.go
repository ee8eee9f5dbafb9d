package tokenizer

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Char is a character-level tokenizer: one id per distinct rune of a
// corpus, in sorted order (so the same corpus always gives the same ids).
// It has no BOS or EOS.
type Char struct {
	runes []rune
	ids   map[rune]int
	unk   int // id that characters outside the vocabulary encode to, or -1
}

// NewChar builds a character tokenizer from the distinct runes of corpus.
func NewChar(corpus string) *Char {
	seen := map[rune]bool{}
	for _, r := range corpus {
		seen[r] = true
	}
	rs := make([]rune, 0, len(seen))
	for r := range seen {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return newCharFromRunes(rs)
}

func newCharFromRunes(rs []rune) *Char {
	c := &Char{runes: rs, ids: make(map[rune]int, len(rs)), unk: -1}
	for i, r := range rs {
		c.ids[r] = i
	}
	return c
}

// Encode implements Tokenizer; a rune outside the vocabulary is an error,
// unless the tokenizer has an unknown character (see WithUnknown).
func (c *Char) Encode(text string, opt EncodeOptions) ([]int, error) {
	out := make([]int, 0, len(text))
	for i, r := range text {
		id, ok := c.ids[r]
		if !ok && c.unk >= 0 {
			id, ok = c.unk, true
		}
		if !ok {
			return nil, fmt.Errorf("tokenizer: character %q at byte %d is not in the vocabulary", r, i)
		}
		out = append(out, id)
	}
	return out, nil
}

// Decode implements Tokenizer (ids out of range are skipped).
func (c *Char) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 0 && id < len(c.runes) {
			b.WriteRune(c.runes[id])
		}
	}
	return b.String()
}

// Piece returns the character of id.
func (c *Char) Piece(id int) string { return c.Decode([]int{id}) }

// NewDecoder implements Tokenizer; every id is a whole character.
func (c *Char) NewDecoder() Decoder { return charDecoder{c} }

// NewContinuationDecoder is NewDecoder (characters have no leading-space
// rule).
func (c *Char) NewContinuationDecoder() Decoder { return charDecoder{c} }

type charDecoder struct{ c *Char }

// Add returns the character of id.
func (d charDecoder) Add(id int) string { return d.c.Decode([]int{id}) }

// Flush returns nothing: no character is ever held back.
func (d charDecoder) Flush() string { return "" }

// VocabSize implements Tokenizer.
func (c *Char) VocabSize() int { return len(c.runes) }

// BOS implements Tokenizer: none.
func (c *Char) BOS() int { return -1 }

// EOS implements Tokenizer: none.
func (c *Char) EOS() int { return -1 }

// AddBOSDefault implements Tokenizer: false.
func (c *Char) AddBOSDefault() bool { return false }

// Kind implements Tokenizer: "char".
func (c *Char) Kind() string { return "char" }

// Runes returns the vocabulary, indexed by id.
func (c *Char) Runes() []rune { return c.runes }

// Unknown returns the id that characters outside the vocabulary encode to,
// or -1 when they are an error (see WithUnknown).
func (c *Char) Unknown() int { return c.unk }

// WithUnknown makes characters outside the vocabulary encode as r (which
// must be in it, usually U+FFFD) instead of failing.
func (c *Char) WithUnknown(r rune) error {
	id, ok := c.ids[r]
	if !ok {
		return fmt.Errorf("tokenizer: unknown character %q is not in the vocabulary", r)
	}
	c.unk = id
	return nil
}

type charJSON struct {
	Type    string   `json:"type"`
	Vocab   []string `json:"vocab"`
	Unknown string   `json:"unknown,omitempty"`
}

// Save writes the tokenizer as {"type":"char","vocab":[...]} (plus
// "unknown" when set), atomically.
func (c *Char) Save(path string) error {
	v := charJSON{Type: "char", Vocab: make([]string, len(c.runes))}
	for i, r := range c.runes {
		v.Vocab[i] = string(r)
	}
	if c.unk >= 0 {
		v.Unknown = string(c.runes[c.unk])
	}
	return writeJSONAtomic(path, v)
}

func charFromJSON(v charJSON) (*Char, error) {
	rs := make([]rune, len(v.Vocab))
	seen := map[rune]bool{}
	for i, s := range v.Vocab {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) || (r == utf8.RuneError && n == 1) {
			return nil, fmt.Errorf("tokenizer: char vocabulary entry %d %q is not one character", i, s)
		}
		if seen[r] {
			return nil, fmt.Errorf("tokenizer: char vocabulary repeats %q", s)
		}
		seen[r] = true
		rs[i] = r
	}
	c := newCharFromRunes(rs)
	if v.Unknown != "" {
		r, n := utf8.DecodeRuneInString(v.Unknown)
		if n != len(v.Unknown) {
			return nil, fmt.Errorf("tokenizer: char unknown %q is not one character", v.Unknown)
		}
		if err := c.WithUnknown(r); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// charFromRWKV reads a GGUF vocabulary of tokenizer model "rwkv" (llama.cpp's
// greedy longest match over byte strings, token text escaped as \\, \n,
// \t, \r and \xhh) whose tokens are one character each: greedy longest
// match over such a vocabulary is character tokenization, so it is a Char.
// The unknown token, if any, becomes the unknown character.
func charFromRWKV(v *Vocab) (*Char, error) {
	rs := make([]rune, len(v.Tokens))
	seen := make(map[rune]bool, len(v.Tokens))
	for i, tok := range v.Tokens {
		b, err := unescapeRWKV(tok)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: rwkv token %d %q: %v", i, tok, err)
		}
		r, n := utf8.DecodeRune(b)
		if n == 0 || n != len(b) || (r == utf8.RuneError && n == 1) {
			return nil, fmt.Errorf("tokenizer: rwkv token %d %q is not one character (only character vocabularies are supported)", i, tok)
		}
		if seen[r] {
			return nil, fmt.Errorf("tokenizer: rwkv vocabulary repeats %q", tok)
		}
		seen[r] = true
		rs[i] = r
	}
	c := newCharFromRunes(rs)
	if v.UNK >= 0 {
		c.unk = v.UNK
	}
	return c, nil
}

// unescapeRWKV decodes llama.cpp's rwkv token escapes.
func unescapeRWKV(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		i++
		if i == len(s) {
			return nil, fmt.Errorf("trailing backslash")
		}
		switch s[i] {
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("short \\x escape")
			}
			var b byte
			for _, c := range []byte(s[i+1 : i+3]) {
				switch {
				case '0' <= c && c <= '9':
					b = b<<4 | (c - '0')
				case 'a' <= c && c <= 'f':
					b = b<<4 | (c - 'a' + 10)
				default:
					return nil, fmt.Errorf("bad \\x escape")
				}
			}
			out = append(out, b)
			i += 2
		default:
			out = append(out, s[i])
		}
	}
	return out, nil
}
