package tokenizer

// Tokenizer turns text into token ids and back. Every vocabulary family
// (SentencePiece-style BPE, byte-level BPE, character-level) implements it.
type Tokenizer interface {
	// Encode returns the ids of text. BOS is prepended when opt.AddBOS is
	// true and the vocabulary has one. With opt.ParseSpecial, special
	// (control and user-defined) tokens written in the text are matched
	// before BPE; otherwise they are encoded as plain text.
	Encode(text string, opt EncodeOptions) ([]int, error)
	// Decode returns the text of ids (control tokens such as BOS/EOS give
	// no text; byte-fallback and byte-level pieces are joined into bytes).
	Decode(ids []int) string
	// NewDecoder returns a streaming decoder that never emits a broken
	// UTF-8 sequence in the middle of a character.
	NewDecoder() Decoder
	// VocabSize is the number of ids.
	VocabSize() int
	// BOS and EOS are the begin/end-of-sequence ids, or -1 if none.
	BOS() int
	EOS() int
	// AddBOSDefault reports whether BOS is added by default (the GGUF
	// key tokenizer.ggml.add_bos_token, or the family's rule when absent).
	AddBOSDefault() bool
	// Kind names the family: "llama" (SentencePiece-style), "gpt2"
	// (byte-level BPE), "char", ...
	Kind() string
}

// EncodeOptions controls Encode.
type EncodeOptions struct {
	// AddBOS prepends the BOS id (use Tokenizer.AddBOSDefault for the
	// vocabulary's own choice).
	AddBOS bool
	// AddEOS appends the EOS id (a few vocabularies ask for it:
	// tokenizer.ggml.add_eos_token).
	AddEOS bool
	// ParseSpecial matches control tokens such as "<s>" written in the text.
	// User-defined tokens are always matched, as in llama.cpp.
	ParseSpecial bool
}

// Decoder decodes a stream of ids piece by piece.
type Decoder interface {
	// Add appends one id and returns the text that is now complete
	// (possibly empty while a multi-byte character is unfinished).
	Add(id int) string
	// Flush returns whatever is still held back (invalid bytes are
	// replaced by U+FFFD).
	Flush() string
}

// ContinuationDecoder returns t's streaming decoder for tokens that continue
// text already shown: it keeps the leading space of the first piece where t
// has such a decoder (BPE, WordPiece, Char: NewContinuationDecoder), and is
// t.NewDecoder otherwise.
func ContinuationDecoder(t Tokenizer) Decoder {
	if cd, ok := t.(interface{ NewContinuationDecoder() Decoder }); ok {
		return cd.NewContinuationDecoder()
	}
	return t.NewDecoder()
}
