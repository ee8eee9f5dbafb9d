package tokenizer

import (
	"fmt"
	"unicode"
)

// A splitter cuts text into the words that byte-level BPE merges within.
// It follows llama.cpp's unicode_regex_split: a list of stages, each one a
// regular expression applied to every segment produced by the stage before;
// matches and the gaps between them both become segments, and a segment
// boundary acts as the end of the text for look-ahead and $.
//
// Go's regexp has no look-ahead (the \s+(?!\S) rule), so every stage is
// written by hand over Unicode categories.
type splitter []stage

// stage appends to out the end positions (rune indices) of the pieces of
// the segment c[s:e], in order; the last one is e.
type stage func(c []rune, s, e int, out []int) []int

// run splits text and calls f with the byte range of every word.
func (sp splitter) run(text string, buf *splitBuf, f func(a, b int)) {
	c := buf.runes[:0]
	off := buf.offs[:0]
	for i, r := range text {
		c = append(c, r)
		off = append(off, i)
	}
	off = append(off, len(text))
	ends := append(buf.ends[:0], len(c))
	var next []int
	for _, st := range sp {
		next = buf.next[:0]
		s := 0
		for _, e := range ends {
			if e > s {
				next = st(c, s, e, next)
			}
			s = e
		}
		buf.next, buf.ends = ends, next
		ends = next
	}
	buf.runes, buf.offs, buf.ends = c, off, ends
	s := 0
	for _, e := range ends {
		if e > s {
			f(off[s], off[e])
		}
		s = e
	}
}

type splitBuf struct {
	runes      []rune
	offs       []int
	ends, next []int
}

// isSpace is llama.cpp's whitespace set (the Unicode White_Space property).
func isSpace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.IsSpace(r)
}

func isLetter(r rune) bool {
	if r < 0x80 {
		return (r|0x20) >= 'a' && (r|0x20) <= 'z'
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

func isPunct(r rune) bool { return unicode.IsPunct(r) }

const outOfRange = -1

func at(c []rune, e, p int) rune {
	if p < e {
		return c[p]
	}
	return outOfRange
}

// flags of a position: out of the segment, nothing matches.
func letterAt(c []rune, e, p int) bool { return p < e && isLetter(c[p]) }
func numberAt(c []rune, e, p int) bool { return p < e && isNumber(c[p]) }
func spaceAt(c []rune, e, p int) bool  { return p < e && isSpace(c[p]) }
func otherAt(c []rune, e, p int) bool {
	return p < e && !isSpace(c[p]) && !isLetter(c[p]) && !isNumber(c[p])
}

// contraction matches 's|'t|'re|'ve|'m|'ll|'d at p (case-insensitively when
// fold) and returns its length, or 0.
func contraction(c []rune, e, p int, fold bool) int {
	if c[p] != '\'' || p+1 >= e {
		return 0
	}
	low := func(r rune) rune {
		if fold {
			return unicode.ToLower(r)
		}
		return r
	}
	n := low(c[p+1])
	if n == 's' || n == 't' || n == 'm' || n == 'd' {
		return 2
	}
	if p+2 < e {
		nn := low(c[p+2])
		if (n == 'r' && nn == 'e') || (n == 'v' && nn == 'e') || (n == 'l' && nn == 'l') {
			return 3
		}
	}
	return 0
}

// gpt2Stage is 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
// (llama.cpp's custom GPT-2 splitter; unmatched characters are pieces of
// their own).
func gpt2Stage(c []rune, s, e int, out []int) []int {
	for p := s; p < e; {
		if n := contraction(c, e, p, false); n > 0 {
			p += n
			out = append(out, p)
			continue
		}
		q := p
		if c[p] == ' ' {
			q = p + 1
		}
		switch {
		case letterAt(c, e, q):
			for q++; letterAt(c, e, q); q++ {
			}
			p = q
			out = append(out, p)
			continue
		case numberAt(c, e, q):
			for q++; numberAt(c, e, q); q++ {
			}
			p = q
			out = append(out, p)
			continue
		case otherAt(c, e, q):
			for q++; otherAt(c, e, q); q++ {
			}
			p = q
			out = append(out, p)
			continue
		}
		ns := 0
		for spaceAt(c, e, p+ns) {
			ns++
		}
		if ns > 1 && p+ns < e { // \s+(?!\S): leave the last space to the next word
			p += ns - 1
			out = append(out, p)
			continue
		}
		if ns > 0 {
			p += ns
		} else {
			p++
		}
		out = append(out, p)
	}
	return out
}

// llama3Stage returns the Llama 3 (cl100k-like) splitter
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (maxDigits 3 for llama-bpe, 1 for qwen2).
func llama3Stage(maxDigits int) stage {
	return func(c []rune, s, e int, out []int) []int {
		for p := s; p < e; {
			r := c[p]
			if n := contraction(c, e, p, true); n > 0 {
				p += n
				out = append(out, p)
				continue
			}
			if !(r == '\r' || r == '\n' || isNumber(r)) {
				if isLetter(r) || letterAt(c, e, p+1) {
					for p++; letterAt(c, e, p); p++ {
					}
					out = append(out, p)
					continue
				}
			}
			if isNumber(r) {
				n := 0
				for numberAt(c, e, p) && n < maxDigits {
					p++
					n++
				}
				out = append(out, p)
				continue
			}
			q := p
			if r == ' ' {
				q = p + 1
			}
			if otherAt(c, e, q) {
				for q++; otherAt(c, e, q); q++ {
				}
				for q < e && (c[q] == '\r' || c[q] == '\n') {
					q++
				}
				p = q
				out = append(out, p)
				continue
			}
			ns, lastNL := 0, 0
			for spaceAt(c, e, p+ns) {
				if c[p+ns] == '\r' || c[p+ns] == '\n' {
					lastNL = p + ns + 1
				}
				ns++
			}
			switch {
			case lastNL > 0: // \s*[\r\n]+
				p = lastNL
			case ns > 1 && p+ns < e: // \s+(?!\S)
				p += ns - 1
			case ns > 0: // \s+
				p += ns
			default:
				p++
			}
			out = append(out, p)
		}
		return out
	}
}

// runStage is [class]+: maximal runs of characters in the class.
func runStage(in func(rune) bool) stage {
	return func(c []rune, s, e int, out []int) []int {
		last := s
		for p := s; p < e; {
			if !in(c[p]) {
				p++
				continue
			}
			q := p + 1
			for q < e && in(c[q]) {
				q++
			}
			if p > last {
				out = append(out, p)
			}
			out = append(out, q)
			last, p = q, q
		}
		if last < e {
			out = append(out, e)
		}
		return out
	}
}

// eachStage is [class]: every character of the class is a piece.
func eachStage(in func(rune) bool) stage {
	return func(c []rune, s, e int, out []int) []int {
		last := s
		for p := s; p < e; p++ {
			if in(c[p]) {
				if p > last {
					out = append(out, p)
				}
				out = append(out, p+1)
				last = p + 1
			}
		}
		if last < e {
			out = append(out, e)
		}
		return out
	}
}

// optPrefixRunStage is P?[class]+ where P is a one-character prefix class
// (\s or a literal space).
func optPrefixRunStage(prefix, in func(rune) bool) stage {
	return func(c []rune, s, e int, out []int) []int {
		last := s
		for p := s; p < e; {
			start := -1
			if prefix(c[p]) && p+1 < e && in(c[p+1]) {
				start = p
			} else if in(c[p]) {
				start = p
			}
			if start < 0 {
				p++
				continue
			}
			q := start + 1
			for q < e && in(c[q]) {
				q++
			}
			if start > last {
				out = append(out, start)
			}
			out = append(out, q)
			last, p = q, q
		}
		if last < e {
			out = append(out, e)
		}
		return out
	}
}

// trailingSpaceStage is \s+$: the whitespace run that ends the segment.
func trailingSpaceStage(c []rune, s, e int, out []int) []int {
	p := e
	for p > s && isSpace(c[p-1]) {
		p--
	}
	if p > s && p < e {
		out = append(out, p)
	}
	return append(out, e)
}

// digits3Stage is [0-9][0-9][0-9].
func digits3Stage(c []rune, s, e int, out []int) []int {
	d := func(r rune) bool { return r >= '0' && r <= '9' }
	last := s
	for p := s; p < e; {
		if p+2 < e && d(c[p]) && d(c[p+1]) && d(c[p+2]) {
			if p > last {
				out = append(out, p)
			}
			out = append(out, p+3)
			last, p = p+3, p+3
			continue
		}
		p++
	}
	if last < e {
		out = append(out, e)
	}
	return out
}

// wide maps a character as llama.cpp's std::wregex stages see it: non-ASCII
// whitespace becomes \v, so it never matches an explicit class.
func wide(r rune) rune {
	if r > 0x7f && isSpace(r) {
		return 0x0b
	}
	return r
}

// rangeClass builds a membership test from "a-bcd-e" (characters and ranges).
func rangeClass(spec string) func(rune) bool {
	rs := []rune(spec)
	type rg struct{ lo, hi rune }
	var list []rg
	for i := 0; i < len(rs); i++ {
		if i+2 < len(rs) && rs[i+1] == '-' {
			list = append(list, rg{rs[i], rs[i+2]})
			i += 2
		} else {
			list = append(list, rg{rs[i], rs[i]})
		}
	}
	return func(r rune) bool {
		r = wide(r)
		for _, x := range list {
			if r >= x.lo && r <= x.hi {
				return true
			}
		}
		return false
	}
}

var (
	cjkClass = rangeClass("一-龥ࠀ-一가-퟿")
	// deepseek-llm's Latin/Greek/Cyrillic/... letter class.
	deepseekLetters = rangeClass("A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1f7dᾀ-ᾴᾶ-ᾼ\u1fbeῂ-ῄῆ-ῌῐ-\u1fd3ῖ-\u1fdbῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212a-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃")
	deepseekPunct   = rangeClass("!-/:-~！-／：-～‘-‟　-。")
	bloomExcluded   = rangeClass("(|.,!?…。，、।۔،)")
	isCRLF          = func(r rune) bool { return r == '\r' || r == '\n' }
	isSpaceChar     = func(r rune) bool { return r == ' ' }
)

func punctOr(extra string) func(rune) bool {
	return func(r rune) bool {
		if isPunct(r) {
			return true
		}
		for _, x := range extra {
			if r == x {
				return true
			}
		}
		return false
	}
}

// preTokenizer returns the splitter of a tokenizer.ggml.pre name, whether
// merges are skipped for words that are whole tokens, and the default of
// add_bos for that family.
func preTokenizer(pre string) (sp splitter, ignoreMerges, addBOS bool, err error) {
	gpt2 := stage(gpt2Stage)
	switch pre {
	case "", "default":
		return splitter{runStage(punctOr("$+<=>^~|")), gpt2, runStage(isNumber), digits3Stage}, false, false, nil
	case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe":
		return splitter{llama3Stage(3)}, true, true, nil
	case "deepseek-llm":
		return splitter{
			eachStage(isCRLF),
			optPrefixRunStage(isSpace, deepseekLetters),
			optPrefixRunStage(isSpace, deepseekPunct),
			trailingSpaceStage,
			runStage(cjkClass),
			runStage(isNumber),
		}, false, false, nil
	case "deepseek-coder":
		return splitter{
			eachStage(isCRLF),
			optPrefixRunStage(isSpace, isLetter),
			optPrefixRunStage(isSpace, isPunct),
			runStage(cjkClass),
			eachStage(isNumber),
		}, false, false, nil
	case "falcon":
		return splitter{runStage(punctOr("$+<=>^~|`")), gpt2, digits3Stage}, false, false, nil
	case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b":
		return splitter{eachStage(isNumber), gpt2}, false, false, nil
	case "gpt-2", "gpt2", "phi-2", "mpt", "olmo", "jais", "roberta-bpe", "trillion",
		"jina-es", "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code":
		return splitter{gpt2}, false, false, nil
	case "qwen2", "stablelm2", "deepseek-r1-qwen", "megrez", "hunyuan":
		return splitter{llama3Stage(1)}, false, false, nil
	case "bloom", "poro-chat", "gpt3-finnish":
		return splitter{optPrefixRunStage(isSpaceChar, func(r rune) bool {
			return !isSpace(r) && !bloomExcluded(r)
		})}, false, false, nil
	}
	return nil, false, false, fmt.Errorf("tokenizer: unknown pre-tokenizer type %q", pre)
}
