package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Piece returns the raw bytes of one id as text, with no leading-space
// rule: "▁" becomes a space, <0xNN> its byte, byte-level characters their
// bytes, control tokens nothing. A piece may be part of a UTF-8 character.
func (t *BPE) Piece(id int) string {
	if id < 0 || id >= len(t.pieces) {
		return ""
	}
	return string(t.pieces[id])
}

// stripsFirstSpace reports whether id, as the first text of a sequence,
// loses its leading space (SentencePiece's decoding rule: the dummy "▁"
// prefix added by Encode is removed again).
func (t *BPE) stripsFirstSpace(id int) bool {
	return t.kind == "llama" && t.addSpacePrefix && id >= 0 && id < len(t.tokens) &&
		t.types[id] == TypeNormal && strings.HasPrefix(t.tokens[id], "▁")
}

// Decode implements Tokenizer. For SentencePiece-style vocabularies that add
// a dummy space prefix, the leading space of the first text piece (the first
// token that is not BOS or another control token) is dropped, so that
// Decode(Encode(s)) == s. Bytes are returned as they are (a sequence that
// ends inside a character gives invalid UTF-8; use NewDecoder to stream).
func (t *BPE) Decode(ids []int) string {
	var b []byte
	first := true
	for _, id := range ids {
		if id < 0 || id >= len(t.pieces) {
			continue
		}
		p := t.pieces[id]
		if first && len(p) > 0 {
			first = false
			if t.stripsFirstSpace(id) && p[0] == ' ' {
				p = p[1:]
			}
		}
		b = append(b, p...)
	}
	return string(b)
}

// NewDecoder implements Tokenizer: a streaming decoder with the same
// leading-space rule as Decode (the first text piece of the stream loses
// its leading space in SentencePiece-style vocabularies).
func (t *BPE) NewDecoder() Decoder { return &streamDecoder{t: t, first: true} }

// NewContinuationDecoder returns a streaming decoder that keeps the leading
// space of its first piece: use it to print tokens that continue text
// already shown (for example the tokens generated after a prompt).
func (t *BPE) NewContinuationDecoder() Decoder { return &streamDecoder{t: t} }

type streamDecoder struct {
	t     *BPE
	first bool
	buf   []byte
}

// Add implements Decoder.
func (d *streamDecoder) Add(id int) string {
	if id < 0 || id >= len(d.t.pieces) {
		return ""
	}
	p := d.t.pieces[id]
	if d.first && len(p) > 0 {
		d.first = false
		if d.t.stripsFirstSpace(id) && p[0] == ' ' {
			p = p[1:]
		}
	}
	d.buf = append(d.buf, p...)
	return d.emit(false)
}

// Flush implements Decoder.
func (d *streamDecoder) Flush() string { return d.emit(true) }

// emit returns the complete characters of the buffer (all of it when
// final), invalid bytes replaced by U+FFFD.
func (d *streamDecoder) emit(final bool) string {
	n := len(d.buf)
	if !final {
		n = completePrefix(d.buf)
	}
	if n == 0 {
		return ""
	}
	s := strings.ToValidUTF8(string(d.buf[:n]), "\uFFFD")
	d.buf = append(d.buf[:0], d.buf[n:]...)
	return s
}

// completePrefix returns the length of b without a trailing incomplete
// (but so far valid) UTF-8 sequence.
func completePrefix(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		i := len(b) - k
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // lead byte
			need := utf8RuneLen(c)
			if need > k && utf8.FullRune(b[i:]) == false && validPrefix(b[i:]) {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}

// validPrefix reports whether b (a lead byte and continuation bytes) can
// still become a valid character.
func validPrefix(b []byte) bool {
	for _, c := range b[1:] {
		if c&0xC0 != 0x80 {
			return false
		}
	}
	// Complete it with the smallest continuation and check validity.
	need := utf8RuneLen(b[0])
	tmp := append([]byte{}, b...)
	for len(tmp) < need {
		tmp = append(tmp, 0x80)
	}
	r, _ := utf8.DecodeRune(tmp)
	if r != utf8.RuneError {
		return true
	}
	tmp = tmp[:len(b)]
	for len(tmp) < need {
		tmp = append(tmp, 0xBF)
	}
	r, _ = utf8.DecodeRune(tmp)
	return r != utf8.RuneError
}

// Piece returns the text of one id without the leading-space rule, for any
// Tokenizer (it uses the tokenizer's own Piece method when it has one).
func Piece(t Tokenizer, id int) string {
	if p, ok := t.(interface{ Piece(int) string }); ok {
		return p.Piece(id)
	}
	return t.Decode([]int{id})
}

// PieceAfter returns the text of id when it follows prev, applying the rule
// of SentencePiece decoding (and llama2.c's): the first piece after BOS
// drops its leading space, because Encode added that space as the dummy
// prefix. Other vocabularies return the piece unchanged.
func PieceAfter(t Tokenizer, prev, id int) string {
	p := Piece(t, id)
	if b, ok := t.(*BPE); ok && prev == t.BOS() && prev >= 0 && b.stripsFirstSpace(id) {
		p = strings.TrimPrefix(p, " ")
	}
	return p
}
