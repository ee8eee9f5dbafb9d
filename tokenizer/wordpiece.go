package tokenizer

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// WordPiece is BERT's tokenizer (GGUF tokenizer.ggml.model = "bert"), as
// llama.cpp implements it: the text is lower-cased, accents are dropped
// (each character becomes the first character of its NFD form), it is cut
// at whitespace and around punctuation and CJK characters, and every word,
// prefixed with "▁", is covered greedily by the longest vocabulary pieces;
// a word that cannot be covered becomes the unknown token. With AddBOS the
// sequence is wrapped in [CLS] ... [SEP].
type WordPiece struct {
	tokens   []string
	types    []int32
	ids      map[string]int32
	cls, sep int
	unk      int
	special  []int32
	pieces   [][]byte
	trie     byteTrie
}

// byteTrie maps the bytes of every token to its id so that the longest
// vocabulary piece starting at a position is found in one walk of at most
// (longest token) bytes, instead of hashing every candidate substring
// (which made a long word against a vocabulary with a long token cubic).
type byteTrie struct {
	next map[uint64]int32 // node<<8 | byte → child node
	id   []int32          // token id ending at the node, or -1
}

func (t *byteTrie) insert(s string, id int32) {
	if t.next == nil {
		t.next, t.id = map[uint64]int32{}, []int32{-1}
	}
	n := int32(0)
	for i := 0; i < len(s); i++ {
		k := uint64(n)<<8 | uint64(s[i])
		c, ok := t.next[k]
		if !ok {
			c = int32(len(t.id))
			t.id = append(t.id, -1)
			t.next[k] = c
		}
		n = c
	}
	t.id[n] = id
}

// longest returns the id and byte length of the longest token that is a
// prefix of s, or -1, 0.
func (t *byteTrie) longest(s string) (id int32, n int) {
	id = -1
	node := int32(0)
	for i := 0; i < len(s) && t.next != nil; i++ {
		c, ok := t.next[uint64(node)<<8|uint64(s[i])]
		if !ok {
			break
		}
		node = c
		if t.id[c] >= 0 {
			id, n = t.id[c], i+1
		}
	}
	return id, n
}

// NewWordPiece builds a WordPiece tokenizer from v (Model "bert"; v.CLS
// and v.SEP name [CLS] and [SEP], -1 for none).
func NewWordPiece(v *Vocab) (*WordPiece, error) {
	if v == nil || len(v.Tokens) == 0 {
		return nil, fmt.Errorf("tokenizer: empty WordPiece vocabulary")
	}
	if v.Types != nil && len(v.Types) != len(v.Tokens) {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(v.Types), len(v.Tokens))
	}
	for name, id := range map[string]int{"CLS": v.CLS, "SEP": v.SEP, "UNK": v.UNK} {
		if id < -1 || id >= len(v.Tokens) {
			return nil, fmt.Errorf("tokenizer: %s id %d out of range [0,%d)", name, id, len(v.Tokens))
		}
	}
	w := &WordPiece{tokens: v.Tokens, types: v.Types, cls: v.CLS, sep: v.SEP, unk: v.UNK}
	if w.types == nil {
		w.types = make([]int32, len(v.Tokens))
		for i := range w.types {
			w.types[i] = TypeNormal
		}
	}
	w.ids = make(map[string]int32, len(v.Tokens))
	w.pieces = make([][]byte, len(v.Tokens))
	for i, s := range v.Tokens {
		w.ids[s] = int32(i)
		w.trie.insert(s, int32(i))
		ty := w.types[i]
		if ty == TypeControl || ty == TypeUserDefined || ty == TypeUnknown {
			if s != "" {
				w.special = append(w.special, int32(i))
			}
			if ty != TypeUserDefined {
				continue
			}
		}
		w.pieces[i] = []byte(strings.ReplaceAll(s, "▁", " "))
	}
	sort.SliceStable(w.special, func(a, b int) bool {
		return len(w.tokens[w.special[a]]) > len(w.tokens[w.special[b]])
	})
	return w, nil
}

func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// wpmWords is llama.cpp's WordPiece pre-processing.
func wpmWords(text string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range text {
		if r >= 0x80 {
			if d := norm.NFD.String(string(r)); d != "" {
				r, _ = utf8.DecodeRuneInString(d)
			}
		}
		if isSpace(r) {
			flush()
			continue
		}
		if r == 0 || r == utf8.RuneError || unicode.Is(unicode.C, r) {
			continue
		}
		lr := unicode.ToLower(r)
		if unicode.IsPunct(r) || (r < 0x7F && unicode.IsSymbol(r)) || isCJK(r) {
			flush()
			words = append(words, string(lr))
			continue
		}
		cur.WriteRune(lr)
	}
	flush()
	return words
}

// Encode implements Tokenizer.
func (w *WordPiece) Encode(text string, opt EncodeOptions) ([]int, error) {
	var out []int
	if opt.AddBOS && w.cls >= 0 {
		out = append(out, w.cls)
	}
	if text != "" {
		for _, f := range partitionSpecial(text, opt.ParseSpecial, w.special, w.tokens, w.types, nil) {
			if f.tok >= 0 {
				out = append(out, int(f.tok))
				continue
			}
			for _, word := range wpmWords(text[f.a:f.b]) {
				out = w.encodeWord("▁"+word, out)
			}
		}
	}
	if (opt.AddBOS || opt.AddEOS) && w.sep >= 0 {
		out = append(out, w.sep)
	}
	return out, nil
}

// encodeWord covers word greedily by the longest vocabulary pieces (one
// trie walk per piece: linear in the word length unless pieces nearly
// match far beyond where they end); a word that cannot be covered becomes
// the unknown token.
func (w *WordPiece) encodeWord(word string, out []int) []int {
	start := len(out)
	for i := 0; i < len(word); {
		id, n := w.trie.longest(word[i:])
		if id < 0 {
			out = out[:start]
			break
		}
		out = append(out, int(id))
		i += n
	}
	if len(out) == start && w.unk >= 0 {
		out = append(out, w.unk)
	}
	return out
}

// Decode implements Tokenizer: "▁" starts a new word, control tokens give
// nothing, and the first word's space is dropped. (Lower-casing and accent
// removal cannot be undone.)
func (w *WordPiece) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		if id >= 0 && id < len(w.pieces) {
			b = append(b, w.pieces[id]...)
		}
	}
	return strings.TrimPrefix(string(b), " ")
}

// Piece returns the text of one id ("▁" as a space).
func (w *WordPiece) Piece(id int) string {
	if id < 0 || id >= len(w.pieces) {
		return ""
	}
	return string(w.pieces[id])
}

// NewDecoder implements Tokenizer.
func (w *WordPiece) NewDecoder() Decoder { return &wpmDecoder{w: w, first: true} }

// NewContinuationDecoder returns a streaming decoder that keeps the space
// before its first word (for text that continues what is shown).
func (w *WordPiece) NewContinuationDecoder() Decoder { return &wpmDecoder{w: w} }

type wpmDecoder struct {
	w     *WordPiece
	first bool
}

// Add returns the text of id (pieces are whole characters).
func (d *wpmDecoder) Add(id int) string {
	p := d.w.Piece(id)
	if d.first && p != "" {
		d.first = false
		p = strings.TrimPrefix(p, " ")
	}
	return p
}

// Flush returns nothing: nothing is held back.
func (d *wpmDecoder) Flush() string { return "" }

// VocabSize implements Tokenizer.
func (w *WordPiece) VocabSize() int { return len(w.tokens) }

// BOS implements Tokenizer: the [CLS] id.
func (w *WordPiece) BOS() int { return w.cls }

// EOS implements Tokenizer: the [SEP] id.
func (w *WordPiece) EOS() int { return w.sep }

// AddBOSDefault implements Tokenizer: BERT wraps inputs in [CLS] ... [SEP].
func (w *WordPiece) AddBOSDefault() bool { return w.cls >= 0 }

// Kind implements Tokenizer: "bert".
func (w *WordPiece) Kind() string { return "bert" }
