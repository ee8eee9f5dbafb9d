// Package tokenizer turns text into the token ids of a model and back, giving
// exactly the ids of the models' own tokenizers (llama.cpp's llama-vocab.cpp
// is the reference).
//
// # Byte-pair encoding in a few sentences
//
// BPE starts from the smallest pieces of a word (characters or bytes) and
// repeatedly merges the adjacent pair that the vocabulary likes best, until
// no pair of neighbours is a known merge; the pieces left are the tokens.
// Training (TrainBPE) learns the merges: count every adjacent pair in a
// corpus, add the most frequent pair as a new token, replace it everywhere,
// repeat until the vocabulary is full. Encoding replays the merges in the
// order they were learned, so frequent words become single tokens and rare
// ones fall apart into smaller pieces, never into "unknown".
//
// Two families are implemented by *BPE:
//
//   - SentencePiece-style BPE (Kind "llama": Llama 1/2, TinyLlama, llama2.c
//     tokenizer.bin, SentencePiece .model). Spaces become "▁", a dummy "▁" is
//     prepended to the text (and after every special token), and the pair
//     merged next is the one whose merged piece has the highest score
//     (leftmost on ties). Characters that never become a token fall back to
//     their bytes as <0xNN> tokens. The whole text is one sequence: there is
//     no pre-tokenizer.
//   - Byte-level BPE (Kind "gpt2": GPT-2, Llama 3, Qwen2, DeepSeek, Falcon,
//     StarCoder, ...). The text is first cut into words by a pre-tokenizer
//     (a regular expression chosen by the GGUF key tokenizer.ggml.pre,
//     written here by hand since Go's regexp has no look-ahead), every byte
//     of a word is mapped to a printable character (GPT-2's byte-to-unicode
//     table) and merges apply by rank, the lowest (earliest learned) first.
//
// BERT's WordPiece (Kind "bert", *WordPiece) is there too: lower-case, drop
// accents, cut at spaces and punctuation, then cover each word greedily with
// the longest pieces.
//
// Special tokens: user-defined tokens written in the text are always matched
// first, control tokens such as "<s>" only with EncodeOptions.ParseSpecial.
// Whether BOS is added by default follows tokenizer.ggml.add_bos_token, or
// the family's rule when the key is absent (SentencePiece and Llama 3: yes;
// other byte-level BPEs: no).
//
// Exactness: the ids match llama.cpp's test-tokenizer-0 expectations for
// llama-spm, phi-3, gpt-2, deepseek-coder, deepseek-llm, falcon, mpt,
// starcoder, refact and bert-bge (baichuan and gpt-neox, which have no
// expected ids here, load and round-trip), and every pre-tokenizer is checked against llama.cpp's regular
// expressions run by a look-ahead regex engine. Where llama.cpp and Hugging
// Face disagree, this package follows llama.cpp. Invalid UTF-8 is kept byte
// for byte (llama.cpp would replace it with U+FFFD first).
//
// Decoding joins the pieces: "▁" becomes a space, <0xNN> its byte, byte-level
// characters their bytes; control tokens give no text. SentencePiece's rule
// is kept: the first text piece of a sequence loses the leading space that
// the dummy prefix added, so Decode(Encode(s)) == s (PieceAfter applies the
// same rule token by token, for the first piece after BOS). NewDecoder
// streams and never emits half a UTF-8 character.
//
// Also here: NewChar (a character-level tokenizer), TrainBPE (a byte-level
// BPE trainer), Save/LoadFile (Hugging Face tokenizer.json layout) and the
// loaders LoadGGUF / OpenGGUF / FromGGUF, LoadLlama2C and LoadSentencePiece;
// LoadFile detects the kind of any of these files.
package tokenizer
