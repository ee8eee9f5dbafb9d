package tokenizer

import (
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// byteToRune is GPT-2's byte-to-unicode table: printable bytes map to
// themselves, the others to U+0100 and up, so every byte is a visible
// character and a word's bytes can be merged like text.
var byteToRune [256]rune

// runeToByte inverts byteToRune (-1 for characters outside the table).
var runeToByte [324]int16

func init() {
	n := rune(0)
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = 256 + n
			n++
		}
		runeToByte[byteToRune[b]] = int16(b)
	}
}

// byteLevelEncode maps raw bytes to the byte-level alphabet.
func byteLevelEncode(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = utf8.AppendRune(dst, byteToRune[s[i]])
	}
	return dst
}

// byteLevelDecode maps byte-level text back to raw bytes; characters
// outside the table are kept as UTF-8.
func byteLevelDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0 && int(r) < len(runeToByte) && runeToByte[r] >= 0 {
			out = append(out, byte(runeToByte[r]))
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// wordCache remembers the ids of pre-tokenized words (byte-level BPE).
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

func newWordCache() *wordCache { return &wordCache{m: make(map[string][]int32)} }

const (
	maxCacheWords = 1 << 18
	maxCachedWord = 128 // bytes
)

func (c *wordCache) get(w string) ([]int32, bool) {
	c.mu.RLock()
	v, ok := c.m[w]
	c.mu.RUnlock()
	return v, ok
}

func (c *wordCache) put(w string, ids []int32) {
	if len(w) > maxCachedWord {
		return // long words are rare: keep the cache small
	}
	c.mu.Lock()
	if len(c.m) >= maxCacheWords {
		clear(c.m)
	}
	c.m[strings.Clone(w)] = ids
	c.mu.Unlock()
}

// symbol is one piece of a word during merging.
type symbol struct {
	a, b       int32 // byte range in the word
	sid        int32 // symbol id (token id for tokens), -1 if unknown
	prev, next int32
}

// bigram is a candidate merge in the priority queue.
type bigram struct {
	prio        float32 // higher first
	left, right int32
	lsid, rsid  int32
	merged      int32
}

func (x bigram) before(y bigram) bool {
	return x.prio > y.prio || (x.prio == y.prio && x.left < y.left)
}

// bigramHeap is a binary max-heap on (prio, -left).
type bigramHeap []bigram

func (h *bigramHeap) push(x bigram) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *bigramHeap) pop() bigram {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].before(s[l]) {
			m = r
		}
		if !s[m].before(s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// workspace holds reusable buffers of one Encode call.
type workspace struct {
	syms  []symbol
	heap  bigramHeap
	enc   []byte
	sb    []byte
	text  string // the text being merged (SentencePiece)
	cand  []candidate
	split splitBuf
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// pairOf returns the merge of symbols l and r, if the vocabulary has one.
func (t *BPE) pairOf(w *workspace, l, r int32) (merged int32, prio float32, ok bool) {
	ls, rs := w.syms[l].sid, w.syms[r].sid
	if t.kind == "llama" {
		// SentencePiece: any two symbols whose joined text is a token.
		id, ok := t.ids[w.text[w.syms[l].a:w.syms[r].b]]
		if !ok {
			return 0, 0, false
		}
		return id, t.scores[id], true
	}
	if ls < 0 || rs < 0 {
		return 0, 0, false
	}
	p, ok := t.pairs[pairKey(ls, rs)]
	return p.merged, p.prio, ok
}

// addBigram queues the merge of symbols l and r if the vocabulary has it.
func (t *BPE) addBigram(w *workspace, l, r int32) {
	if l < 0 || r < 0 {
		return
	}
	if m, prio, ok := t.pairOf(w, l, r); ok {
		w.heap.push(bigram{prio: prio, left: l, right: r, lsid: w.syms[l].sid, rsid: w.syms[r].sid, merged: m})
	}
}

// candidate is the pending merge of a symbol with the one after it.
type candidate struct {
	ok     bool
	prio   float32
	merged int32
}

// maxScan is the word length (in symbols) up to which merge scans the
// pairs instead of using a priority queue: the same order, less overhead.
var maxScan = 24

func (t *BPE) setCandidate(w *workspace, l int32) {
	r := w.syms[l].next
	if r < 0 {
		w.cand[l] = candidate{}
		return
	}
	m, prio, ok := t.pairOf(w, l, r)
	w.cand[l] = candidate{ok: ok, prio: prio, merged: m}
}

// merge runs BPE over w.syms (already linked) until no pair applies: the
// pair with the highest priority first (lowest rank, or highest score),
// the leftmost on ties.
func (t *BPE) merge(w *workspace) {
	n := len(w.syms)
	if n < 2 {
		return
	}
	if n <= maxScan {
		if cap(w.cand) < n {
			w.cand = make([]candidate, n)
		}
		w.cand = w.cand[:n]
		for i := int32(0); i < int32(n); i++ {
			t.setCandidate(w, i)
		}
		for {
			best := int32(-1)
			for i := int32(0); i != -1; i = w.syms[i].next {
				if c := w.cand[i]; c.ok && (best < 0 || c.prio > w.cand[best].prio) {
					best = i
				}
			}
			if best < 0 {
				return
			}
			l := &w.syms[best]
			r := &w.syms[l.next]
			l.b = r.b
			l.sid = w.cand[best].merged
			r.a = r.b
			r.sid = -1
			l.next = r.next
			if r.next >= 0 {
				w.syms[r.next].prev = best
			}
			t.setCandidate(w, best)
			if l.prev >= 0 {
				t.setCandidate(w, l.prev)
			}
		}
	}
	w.heap = w.heap[:0]
	for i := 1; i < n; i++ {
		t.addBigram(w, int32(i-1), int32(i))
	}
	for len(w.heap) > 0 {
		bg := w.heap.pop()
		l, r := &w.syms[bg.left], &w.syms[bg.right]
		if l.sid != bg.lsid || r.sid != bg.rsid || l.next != bg.right || l.a == l.b || r.a == r.b {
			continue // stale: one side changed since it was queued
		}
		l.b = r.b
		l.sid = bg.merged
		r.a = r.b
		r.sid = -1
		l.next = r.next
		if r.next >= 0 {
			w.syms[r.next].prev = bg.left
		}
		t.addBigram(w, l.prev, bg.left)
		t.addBigram(w, bg.left, l.next)
	}
}

// symbolize splits s into UTF-8 characters linked in order.
func (t *BPE) symbolize(w *workspace, s string) {
	w.syms = w.syms[:0]
	for i := 0; i < len(s); {
		n := utf8RuneLen(s[i])
		if i+n > len(s) {
			n = len(s) - i
		}
		sid := int32(-1)
		if id, ok := t.symID(s[i : i+n]); ok {
			sid = id
		}
		k := int32(len(w.syms))
		w.syms = append(w.syms, symbol{a: int32(i), b: int32(i + n), sid: sid, prev: k - 1, next: k + 1})
		i += n
	}
	if len(w.syms) > 0 {
		w.syms[len(w.syms)-1].next = -1
	}
}

// utf8RuneLen is llama.cpp's unicode_len_utf8: the length announced by a
// lead byte (1 for continuation or invalid bytes).
func utf8RuneLen(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 3
	case c&0xF8 == 0xF0:
		return 4
	}
	return 1
}

// encodeSPM appends the ids of one text fragment (spaces already "▁").
// A merge only ever builds a token, so it cannot join two neighbouring
// characters that appear side by side in no token: the text is cut at every
// such place into words that are merged (and cached) one by one, with the
// same result as merging the whole text.
func (t *BPE) encodeSPM(w *workspace, s string, out []int) []int {
	start := 0
	prev := rune(-1)
	for i := 0; i <= len(s); {
		cur := rune(-1)
		n := 0
		if i < len(s) {
			n = min(utf8RuneLen(s[i]), len(s)-i)
			r, size := utf8.DecodeRuneInString(s[i : i+n])
			if size == n && !(r == utf8.RuneError && size == 1) {
				cur = r
			}
		}
		cut := i == len(s) || (i > start && prev >= 0 && cur >= 0 && !t.innerPair(prev, cur))
		if cut {
			out = t.encodeSPMCached(w, s[start:i], out)
			start = i
		}
		if i == len(s) {
			break
		}
		prev = cur
		i += n
	}
	return out
}

// innerPair reports whether some token holds the characters a, b side by side.
func (t *BPE) innerPair(a, b rune) bool {
	if a < 128 && b < 128 {
		k := a<<7 | b
		return t.innerASCII[k>>6]&(1<<(k&63)) != 0
	}
	_, ok := t.inner[uint64(a)<<32|uint64(b)]
	return ok
}

func (t *BPE) encodeSPMCached(w *workspace, word string, out []int) []int {
	if ids, ok := t.cache.get(word); ok {
		for _, id := range ids {
			out = append(out, int(id))
		}
		return out
	}
	n := len(out)
	out = t.encodeSPMWord(w, word, out)
	ids := make([]int32, len(out)-n)
	for j, id := range out[n:] {
		ids[j] = int32(id)
	}
	t.cache.put(word, ids)
	return out
}

// encodeSPMWord runs SentencePiece-style BPE over all of s.
func (t *BPE) encodeSPMWord(w *workspace, s string, out []int) []int {
	w.text = s
	t.symbolize(w, s)
	t.merge(w)
	w.text = ""
	if len(w.syms) == 0 {
		return out
	}
	for i := int32(0); i != -1; i = w.syms[i].next {
		sy := w.syms[i]
		if sy.sid >= 0 && t.symToTok[sy.sid] >= 0 {
			out = append(out, int(t.symToTok[sy.sid]))
			continue
		}
		// Byte fallback: <0xNN> per byte, or the unknown token.
		piece := s[sy.a:sy.b]
		if t.byteTok[piece[0]] < 0 {
			if t.unk >= 0 {
				out = append(out, t.unk)
			}
			continue
		}
		for j := 0; j < len(piece); j++ {
			if id := t.byteTok[piece[j]]; id >= 0 {
				out = append(out, int(id))
			} else if t.unk >= 0 {
				out = append(out, t.unk)
			}
		}
	}
	return out
}

// encodeWord returns the ids of one pre-tokenized word (byte-level BPE).
// Symbols start as the word's bytes (each one the token of its byte-level
// character); their ranges are byte ranges of the raw word.
func (t *BPE) encodeWord(w *workspace, word string) []int32 {
	if t.ignoreMerges {
		w.enc = byteLevelEncode(w.enc[:0], word)
		if id, ok := t.ids[string(w.enc)]; ok {
			return []int32{id}
		}
	}
	w.syms = w.syms[:0]
	for i := 0; i < len(word); i++ {
		k := int32(i)
		w.syms = append(w.syms, symbol{a: k, b: k + 1, sid: t.byteSym[word[i]], prev: k - 1, next: k + 1})
	}
	if len(w.syms) == 0 {
		return nil
	}
	w.syms[len(w.syms)-1].next = -1
	t.merge(w)
	ids := make([]int32, 0, 4)
	for i := int32(0); i != -1; i = w.syms[i].next {
		sy := w.syms[i]
		if sy.sid >= 0 && t.symToTok[sy.sid] >= 0 {
			ids = append(ids, t.symToTok[sy.sid])
			continue
		}
		// Not a token: llama.cpp falls back to single bytes of the
		// encoded text that happen to be tokens.
		enc := byteLevelEncode(nil, word[sy.a:sy.b])
		for j := range enc {
			if id, ok := t.ids[string(enc[j:j+1])]; ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// fragment is a piece of the input: raw text [a,b) or a special token.
type fragment struct {
	tok  int32 // -1 for raw text
	a, b int
}

// partition splits text around special tokens written in it: user-defined
// tokens always, control and unknown tokens only with parseSpecial
// (llama.cpp's tokenizer_st_partition), longest tokens first.
func (t *BPE) partition(text string, parseSpecial bool) []fragment {
	return partitionSpecial(text, parseSpecial, t.special, t.tokens, t.types, t.rstrip)
}

// partitionSpecial is llama.cpp's tokenizer_st_partition over the special
// ids (longest text first).
func partitionSpecial(text string, parseSpecial bool, special []int32, tokens []string, types []int32, rstrip map[int32]bool) []fragment {
	frags := []fragment{{tok: -1, a: 0, b: len(text)}}
	for _, id := range special {
		ty := types[id]
		if !parseSpecial && ty != TypeUserDefined {
			continue
		}
		st := tokens[id]
		var next []fragment
		changed := false
		for fi, f := range frags {
			if f.tok >= 0 || !strings.Contains(text[f.a:f.b], st) {
				if changed {
					next = append(next, f)
				}
				continue
			}
			if !changed {
				next = append(next, frags[:fi]...)
				changed = true
			}
			a := f.a
			for {
				i := strings.Index(text[a:f.b], st)
				if i < 0 {
					break
				}
				if i > 0 {
					next = append(next, fragment{tok: -1, a: a, b: a + i})
				}
				next = append(next, fragment{tok: id})
				a += i + len(st)
				if rstrip[id] {
					for a < f.b && isSpace(rune(text[a])) && text[a] < 0x80 {
						a++
					}
				}
			}
			if a < f.b {
				next = append(next, fragment{tok: -1, a: a, b: f.b})
			}
		}
		if changed {
			frags = next
		}
	}
	return frags
}

// Encode implements Tokenizer with llama.cpp's semantics (see the package
// documentation).
func (t *BPE) Encode(text string, opt EncodeOptions) ([]int, error) {
	out := make([]int, 0, len(text)/3+2)
	if opt.AddBOS && t.bos >= 0 {
		out = append(out, t.bos)
	}
	if text != "" {
		prevSpecial := true
		for _, f := range t.partition(text, opt.ParseSpecial) {
			if f.tok >= 0 {
				out = append(out, int(f.tok))
				prevSpecial = true
				continue
			}
			out = t.encodeFragment(text[f.a:f.b], t.kind == "llama" && t.addSpacePrefix && prevSpecial, out)
			prevSpecial = false
		}
	}
	if opt.AddEOS && t.eos >= 0 {
		out = append(out, t.eos)
	}
	return out, nil
}

// parallelMin is the fragment size from which Encode uses several cores.
const parallelMin = 1 << 16

// encodeFragment appends the ids of raw text (no special tokens in it).
// Long fragments are cut where no merge or pre-tokenizer rule can reach
// across (see safeCuts) and encoded on several goroutines.
func (t *BPE) encodeFragment(s string, prefix bool, out []int) []int {
	n := runtime.GOMAXPROCS(0)
	if len(s) < parallelMin || n < 2 || (t.kind == "llama" && !t.spmWords) {
		w := workspaces.Get().(*workspace)
		out = t.encodeChunk(w, s, prefix, out)
		workspaces.Put(w)
		return out
	}
	cuts := safeCuts(s, max(parallelMin/2, len(s)/(4*n)))
	parts := make([][]int, len(cuts)+1)
	var wg sync.WaitGroup
	next := make(chan int, len(parts))
	for i := range parts {
		next <- i
	}
	close(next)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := workspaces.Get().(*workspace)
			defer workspaces.Put(w)
			for i := range next {
				a, b := 0, len(s)
				if i > 0 {
					a = cuts[i-1]
				}
				if i < len(cuts) {
					b = cuts[i]
				}
				parts[i] = t.encodeChunk(w, s[a:b], prefix && i == 0, make([]int, 0, (b-a)/3+1))
			}
		}()
	}
	wg.Wait()
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// safeCuts returns cut positions about every step bytes, each one at a
// space between two ASCII letters ("a| b"): there a word ends and the next
// begins with its space for every pre-tokenizer, and SentencePiece words
// start at "▁", so encoding the pieces separately gives the same ids.
func safeCuts(s string, step int) []int {
	var cuts []int
	isL := func(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
	for p := step; p < len(s)-1; {
		q := p
		for q < len(s)-1 && !(s[q] == ' ' && isL(s[q-1]) && isL(s[q+1])) {
			q++
		}
		if q >= len(s)-1 {
			break
		}
		cuts = append(cuts, q)
		p = q + step
	}
	return cuts
}

// encodeChunk encodes raw text with one workspace.
func (t *BPE) encodeChunk(w *workspace, s string, prefix bool, out []int) []int {
	if t.kind == "llama" {
		sb := w.sb[:0]
		if prefix {
			sb = append(sb, "▁"...)
		}
		sb = appendEscaped(sb, s)
		w.sb = sb
		return t.encodeSPM(w, string(sb), out)
	}
	t.split.run(s, &w.split, func(a, b int) {
		word := s[a:b]
		ids, ok := t.cache.get(word)
		if !ok {
			ids = t.encodeWord(w, word)
			t.cache.put(word, ids)
		}
		for _, id := range ids {
			out = append(out, int(id))
		}
	})
	return out
}

// appendEscaped appends s with every space replaced by "▁" (U+2581).
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			dst = append(dst, "▁"...)
		} else {
			dst = append(dst, s[i])
		}
	}
	return dst
}
