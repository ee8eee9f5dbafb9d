package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// Token types, as stored in the GGUF key tokenizer.ggml.token_type (and in
// SentencePiece's ModelProto, shifted by one).
const (
	TypeUndefined   = 0
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// Vocab is a format-neutral description of a vocabulary, filled by the
// loaders (GGUF, llama2.c tokenizer.bin, SentencePiece .model, tokenizer.json)
// and turned into a Tokenizer by FromVocab.
type Vocab struct {
	// Model is the family: "llama" (SentencePiece-style BPE with scores),
	// "gpt2" (byte-level BPE with ranked merges), "bert" (WordPiece, see
	// NewWordPiece).
	Model string
	// Pre names the pre-tokenizer of byte-level BPE (tokenizer.ggml.pre);
	// empty means llama.cpp's "default".
	Pre string
	// Tokens are the pieces, indexed by id.
	Tokens []string
	// Scores are the SentencePiece merge scores (higher merges first); nil
	// for byte-level BPE.
	Scores []float32
	// Types are the token types (TypeNormal, TypeControl, ...); nil means
	// all normal.
	Types []int32
	// Merges are byte-level BPE merges "a b", best first (rank = index).
	Merges []string
	// BOS, EOS, UNK and PAD are special ids, -1 for none.
	BOS, EOS, UNK, PAD int
	// CLS and SEP are WordPiece's [CLS] and [SEP] ids (NewWordPiece only).
	CLS, SEP int
	// Name is the model name (general.name); llama.cpp gives Phi-3's
	// special tokens a right-strip rule by name.
	Name string
	// AddBOS, AddEOS and AddSpacePrefix override the family defaults when
	// non-nil (SentencePiece: BOS yes, space prefix yes; byte-level: no, no).
	AddBOS, AddEOS, AddSpacePrefix *bool
}

// BPE is the tokenizer of both BPE families: SentencePiece-style BPE
// (Kind "llama": merges by highest piece score, byte fallback) and byte-level
// BPE (Kind "gpt2": GPT-2 byte-to-unicode mapping, merges by rank after a
// regex-like pre-tokenizer). It is safe for concurrent use.
type BPE struct {
	name   string
	kind   string
	pre    string
	tokens []string
	scores []float32
	types  []int32
	ids    map[string]int32

	bos, eos, unk  int
	addBOS, addEOS bool
	addSpacePrefix bool
	ignoreMerges   bool
	spmWords       bool // no token has "▁" after another character
	// Character pairs that occur inside some token (SentencePiece).
	inner      map[uint64]struct{}
	innerASCII [128 * 128 / 64]uint64

	// pairs maps (left symbol, right symbol) to the merged symbol and its
	// priority, minus the rank (byte-level BPE; SentencePiece looks pairs
	// up by text).
	pairs map[uint64]pairInfo
	// Symbols are the pieces being merged: a token id, or an id past the
	// vocabulary for a merge part that is not a token (extra).
	extra    map[string]int32 // merge parts that are not tokens -> symbol id
	symToTok []int32          // symbol id -> token id, or -1

	byteTok [256]int32 // token of each byte (SentencePiece <0xNN>, or byte-level char), -1 if none
	byteSym [256]int32 // byte-level: symbol id of each byte's character, -1 if none

	special []int32 // control/user-defined/unknown tokens, longest text first
	rstrip  map[int32]bool
	pieces  [][]byte
	split   splitter
	cache   *wordCache
	merges  []string
}

type pairInfo struct {
	merged int32
	prio   float32 // minus the rank: exact for up to 2^24 merges
}

// FromVocab builds a tokenizer from v. It validates the vocabulary and
// returns a clear error for malformed input (missing merges, ids out of
// range, mismatched array lengths, unknown families).
func FromVocab(v *Vocab) (*BPE, error) {
	if v == nil {
		return nil, fmt.Errorf("tokenizer: nil vocabulary")
	}
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("tokenizer: empty vocabulary")
	}
	if v.Scores != nil && len(v.Scores) != n {
		return nil, fmt.Errorf("tokenizer: %d scores for %d tokens", len(v.Scores), n)
	}
	if v.Types != nil && len(v.Types) != n {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(v.Types), n)
	}
	for name, id := range map[string]int{"BOS": v.BOS, "EOS": v.EOS, "UNK": v.UNK, "PAD": v.PAD} {
		if id < -1 || id >= n {
			return nil, fmt.Errorf("tokenizer: %s id %d out of range [0,%d)", name, id, n)
		}
	}
	t := &BPE{
		tokens: v.Tokens,
		scores: v.Scores,
		types:  v.Types,
		bos:    v.BOS, eos: v.EOS, unk: v.UNK,
		pre: v.Pre, name: v.Name,
	}
	if t.types == nil {
		t.types = make([]int32, n)
		for i := range t.types {
			t.types[i] = TypeNormal
		}
	}
	t.ids = make(map[string]int32, n)
	for i, s := range v.Tokens {
		t.ids[s] = int32(i) // a duplicate text maps to its last id, as in llama.cpp
	}
	switch v.Model {
	case "llama", "spm", "sentencepiece":
		t.kind = "llama"
		t.addBOS, t.addSpacePrefix = true, true
		if t.scores == nil {
			t.scores = make([]float32, n)
		}
		if err := t.initSPM(); err != nil {
			return nil, err
		}
	case "gpt2", "bpe":
		t.kind = "gpt2"
		if err := t.initByteLevel(v.Merges); err != nil {
			return nil, err
		}
	case "bert":
		return nil, fmt.Errorf("tokenizer: the vocabulary is a BERT WordPiece one (tokenizer model bert), not BPE (OpenGGUF and LoadFile load it as WordPiece)")
	case "":
		return nil, fmt.Errorf("tokenizer: vocabulary has no tokenizer model")
	default:
		return nil, fmt.Errorf("tokenizer: unsupported tokenizer model %q", v.Model)
	}
	if v.AddBOS != nil {
		t.addBOS = *v.AddBOS
	}
	if v.AddEOS != nil {
		t.addEOS = *v.AddEOS
	}
	if v.AddSpacePrefix != nil {
		t.addSpacePrefix = *v.AddSpacePrefix
	}
	for i, ty := range t.types {
		if ty == TypeControl || ty == TypeUserDefined || ty == TypeUnknown {
			if t.tokens[i] != "" {
				t.special = append(t.special, int32(i))
			}
		}
	}
	if n := strings.ToLower(v.Name); strings.Contains(n, "phi-3") || strings.Contains(n, "phi3") {
		// llama.cpp: Phi-3's special tokens (and </s>) swallow the
		// whitespace after them, except <unk>, <s> and <|endoftext|>.
		t.rstrip = map[int32]bool{}
		for _, id := range t.special {
			t.rstrip[id] = true
		}
		if id, ok := t.ids["</s>"]; ok {
			t.rstrip[id] = true
		}
		for _, s := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			if id, ok := t.ids[s]; ok {
				delete(t.rstrip, id)
			}
		}
	}
	sort.SliceStable(t.special, func(a, b int) bool {
		return len(t.tokens[t.special[a]]) > len(t.tokens[t.special[b]])
	})
	t.buildPieces()
	t.cache = newWordCache()
	return t, nil
}

// symID returns the symbol id of s: its token id, or the id of a merge
// part that is not a token.
func (t *BPE) symID(s string) (int32, bool) {
	if id, ok := t.ids[s]; ok {
		return id, true
	}
	id, ok := t.extra[s]
	return id, ok
}

// internSym returns the symbol id of s, creating one for a string that is
// not a token.
func (t *BPE) internSym(s string) int32 {
	if id, ok := t.symID(s); ok {
		return id
	}
	id := int32(len(t.symToTok))
	t.extra[s] = id
	t.symToTok = append(t.symToTok, -1)
	return id
}

// internSymBytes is internSym for a byte slice (no allocation on a hit).
func (t *BPE) internSymBytes(b []byte) int32 {
	if id, ok := t.ids[string(b)]; ok {
		return id
	}
	if id, ok := t.extra[string(b)]; ok {
		return id
	}
	return t.internSym(string(b))
}

func (t *BPE) initSymbols() {
	// Token ids are symbol ids; a duplicate text resolves to the id that
	// llama.cpp's token_to_id keeps (the last one).
	t.extra = make(map[string]int32)
	t.symToTok = make([]int32, len(t.tokens))
	for i := range t.tokens {
		t.symToTok[i] = int32(i)
	}
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// initSPM prepares SentencePiece-style merging: two neighbouring symbols
// merge when their joined text is a token, best score first, so no merge
// table is needed (the pair is looked up by its text while encoding).
func (t *BPE) initSPM() error {
	t.initSymbols()
	t.inner = make(map[uint64]struct{})
	for _, s := range t.tokens {
		prev := rune(-1)
		for _, r := range s {
			if prev >= 0 {
				if prev < 128 && r < 128 {
					k := prev<<7 | r
					t.innerASCII[k>>6] |= 1 << (k & 63)
				} else {
					t.inner[uint64(prev)<<32|uint64(r)] = struct{}{}
				}
			}
			prev = r
		}
	}
	t.spmWords = true
	for _, s := range t.tokens {
		if i := strings.Index(strings.TrimLeft(s, "▁"), "▁"); i >= 0 {
			t.spmWords = false
			break
		}
	}
	for b := 0; b < 256; b++ {
		t.byteTok[b] = -1
		if id, ok := t.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			t.byteTok[b] = id
		} else if id, ok := t.ids[string([]byte{byte(b)})]; ok && b < 0x80 {
			t.byteTok[b] = id
		}
	}
	return nil
}

// initByteLevel prepares ranked merges of a byte-level BPE vocabulary.
func (t *BPE) initByteLevel(merges []string) error {
	if len(merges) == 0 {
		return fmt.Errorf("tokenizer: byte-level BPE vocabulary has no merges (tokenizer.ggml.merges)")
	}
	if len(merges) > 1<<24 {
		return fmt.Errorf("tokenizer: %d merges, more than the 2^24 supported", len(merges))
	}
	sp, ignore, addBOS, err := preTokenizer(t.pre)
	if err != nil {
		return err
	}
	t.split, t.ignoreMerges, t.addBOS = sp, ignore, addBOS
	t.merges = merges
	t.initSymbols()
	t.pairs = make(map[uint64]pairInfo, len(merges))
	var ab []byte
	for r, m := range merges {
		i := strings.IndexByte(m[min(1, len(m)):], ' ')
		if i < 0 {
			return fmt.Errorf("tokenizer: merge %d %q is not two pieces separated by a space", r, m)
		}
		i++ // index in m
		a, b := m[:i], m[i+1:]
		if a == "" || b == "" {
			return fmt.Errorf("tokenizer: merge %d %q has an empty piece", r, m)
		}
		ka, kb := t.internSym(a), t.internSym(b)
		k := pairKey(ka, kb)
		if _, ok := t.pairs[k]; ok {
			continue // a repeated merge keeps its best rank
		}
		ab = append(append(ab[:0], a...), b...)
		merged := t.internSymBytes(ab)
		t.pairs[k] = pairInfo{merged: merged, prio: -float32(r)}
	}
	for b := 0; b < 256; b++ {
		t.byteTok[b], t.byteSym[b] = -1, -1
		if id, ok := t.ids[string(byteToRune[b])]; ok {
			t.byteTok[b] = id
		}
		if id, ok := t.symID(string(byteToRune[b])); ok {
			t.byteSym[b] = id
		}
	}
	return nil
}

// buildPieces precomputes the decoded bytes of every token.
func (t *BPE) buildPieces() {
	t.pieces = make([][]byte, len(t.tokens))
	for i, s := range t.tokens {
		var p []byte
		switch t.types[i] {
		case TypeControl, TypeUnknown, TypeUnused:
			p = nil
		case TypeByte:
			if b, ok := parseByteToken(s); ok {
				p = []byte{b}
			}
		case TypeUserDefined:
			p = []byte(s) // llama.cpp copies user-defined text as it is
		default:
			if t.kind == "llama" {
				p = []byte(strings.ReplaceAll(s, "▁", " "))
			} else {
				p = byteLevelDecode(s)
			}
		}
		t.pieces[i] = p
	}
}

// parseByteToken parses "<0xNN>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var v byte
	for _, c := range []byte(s[3:5]) {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= c - '0'
		case c >= 'A' && c <= 'F':
			v |= c - 'A' + 10
		case c >= 'a' && c <= 'f':
			v |= c - 'a' + 10
		default:
			return 0, false
		}
	}
	return v, true
}

// Kind implements Tokenizer: "llama" or "gpt2".
func (t *BPE) Kind() string { return t.kind }

// VocabSize implements Tokenizer.
func (t *BPE) VocabSize() int { return len(t.tokens) }

// BOS implements Tokenizer.
func (t *BPE) BOS() int { return t.bos }

// EOS implements Tokenizer.
func (t *BPE) EOS() int { return t.eos }

// AddBOSDefault implements Tokenizer.
func (t *BPE) AddBOSDefault() bool { return t.addBOS && t.bos >= 0 }

// AddEOSDefault reports whether the vocabulary asks for EOS after the text.
func (t *BPE) AddEOSDefault() bool { return t.addEOS && t.eos >= 0 }

// AddSpacePrefix reports whether SentencePiece-style encoding prepends "▁".
func (t *BPE) AddSpacePrefix() bool { return t.addSpacePrefix }

// Pre returns the pre-tokenizer name of a byte-level BPE ("" for default).
func (t *BPE) Pre() string { return t.pre }

// Token returns the text of id as stored in the vocabulary ("" if out of range).
func (t *BPE) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// TokenType returns the type of id (TypeNormal, TypeControl, ...).
func (t *BPE) TokenType(id int) int {
	if id < 0 || id >= len(t.types) {
		return TypeUndefined
	}
	return int(t.types[id])
}

// ID returns the id of the token whose text is s.
func (t *BPE) ID(s string) (int, bool) {
	id, ok := t.ids[s]
	return int(id), ok
}

// Merges returns the ranked merges of a byte-level BPE ("a b").
func (t *BPE) Merges() []string { return t.merges }

// Vocab returns a copy of the tokenizer's vocabulary in the format-neutral
// form that FromVocab takes (for example to write it into a GGUF file:
// tokenizer.ggml.tokens, scores, token_type, merges, the special ids and
// the add_* flags). FromVocab(t.Vocab()) gives the same tokenizer.
func (t *BPE) Vocab() *Vocab {
	v := &Vocab{
		Model:  t.kind,
		Pre:    t.pre,
		Name:   t.name,
		Tokens: append([]string(nil), t.tokens...),
		Types:  append([]int32(nil), t.types...),
		Merges: append([]string(nil), t.merges...),
		BOS:    t.bos, EOS: t.eos, UNK: t.unk, PAD: -1, CLS: -1, SEP: -1,
	}
	if t.kind == "llama" {
		v.Scores = append([]float32(nil), t.scores...)
	}
	addBOS, addEOS, space := t.addBOS, t.addEOS, t.addSpacePrefix
	v.AddBOS, v.AddEOS, v.AddSpacePrefix = &addBOS, &addEOS, &space
	return v
}
