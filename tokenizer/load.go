package tokenizer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/internal/safeio"
)

// LoadGGUF reads the vocabulary of a GGUF file (a full model or a
// vocabulary-only file) and builds its tokenizer. Only the metadata is
// used; the file is closed before it returns.
func LoadGGUF(path string) (*BPE, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	return FromGGUF(f)
}

// FromGGUF builds the tokenizer of an opened GGUF file (package
// format/gguf) from its tokenizer.ggml.* keys.
func FromGGUF(f *gguf.File) (*BPE, error) {
	v, err := metaOf(f).vocab()
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", f.Name(), err)
	}
	t, err := FromVocab(v)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, f.Name())
	}
	return t, nil
}

// OpenGGUF loads the tokenizer of a GGUF file of any supported family:
// *BPE for "llama" and "gpt2", *WordPiece for "bert".
func OpenGGUF(path string) (Tokenizer, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	v, err := metaOf(f).vocab()
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	return fromVocabAnyFamily(v, path)
}

// fromVocabAnyFamily builds the tokenizer of v's family: WordPiece for
// "bert", BPE otherwise.
func fromVocabAnyFamily(v *Vocab, where string) (Tokenizer, error) {
	var t Tokenizer
	var err error
	switch v.Model {
	case "bert":
		t, err = NewWordPiece(v)
	case "rwkv":
		t, err = charFromRWKV(v)
	default:
		t, err = FromVocab(v)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, where)
	}
	return t, nil
}

// ggufMeta holds the vocabulary keys of a GGUF file's metadata
// (tokenizer.ggml.* and general.name), integer scalars as int64 (uint64
// when too large) and float scalars as float64, so that vocab can check
// each key's type and say what it found.
type ggufMeta map[string]any

// metaOf collects the vocabulary keys of f.
func metaOf(f *gguf.File) ggufMeta {
	m := ggufMeta{}
	for _, kv := range f.KV {
		if !strings.HasPrefix(kv.Key, "tokenizer.ggml.") && kv.Key != "general.name" {
			continue
		}
		x := kv.Value.Data
		if _, big := x.(uint64); !big {
			if i, ok := kv.Value.Int(); ok {
				x = i
			} else if fl, ok := kv.Value.Float(); ok {
				x = fl
			}
		}
		m[kv.Key] = x
	}
	return m
}

func (m ggufMeta) vocab() (*Vocab, error) {
	model, ok := m["tokenizer.ggml.model"].(string)
	if !ok {
		return nil, errors.New("no tokenizer.ggml.model string (not a vocabulary?)")
	}
	v := &Vocab{Model: model, BOS: -1, EOS: -1, UNK: -1, PAD: -1, CLS: -1, SEP: -1}
	v.Name, _ = m["general.name"].(string)
	if pre, ok := m["tokenizer.ggml.pre"]; ok {
		if v.Pre, ok = pre.(string); !ok {
			return nil, errors.New("tokenizer.ggml.pre is not a string")
		}
	}
	switch x := m["tokenizer.ggml.tokens"].(type) {
	case []string:
		v.Tokens = x
	case nil:
		return nil, errors.New("no tokenizer.ggml.tokens")
	default:
		return nil, fmt.Errorf("tokenizer.ggml.tokens is %T, want an array of strings", x)
	}
	if x, ok := m["tokenizer.ggml.scores"]; ok {
		s, ok := x.([]float32)
		if !ok {
			return nil, fmt.Errorf("tokenizer.ggml.scores is %T, want an array of float32", x)
		}
		v.Scores = s
	}
	if x, ok := m["tokenizer.ggml.token_type"]; ok {
		s, ok := x.([]int32)
		if !ok {
			return nil, fmt.Errorf("tokenizer.ggml.token_type is %T, want an array of int32", x)
		}
		v.Types = s
	}
	if x, ok := m["tokenizer.ggml.merges"]; ok {
		s, ok := x.([]string)
		if !ok {
			return nil, fmt.Errorf("tokenizer.ggml.merges is %T, want an array of strings", x)
		}
		v.Merges = s
	}
	if model == "llama" {
		v.BOS, v.EOS, v.UNK = 1, 2, 0 // llama.cpp's defaults for SentencePiece vocabularies
	}
	for k, dst := range map[string]*int{"bos_token_id": &v.BOS, "eos_token_id": &v.EOS, "unknown_token_id": &v.UNK, "padding_token_id": &v.PAD,
		"cls_token_id": &v.CLS, "seperator_token_id": &v.SEP} {
		x, ok := m["tokenizer.ggml."+k]
		if !ok {
			continue
		}
		var id int64
		switch n := x.(type) {
		case uint64:
			id = int64(min(n, math.MaxInt32))
		case int64:
			id = n
		default:
			return nil, fmt.Errorf("tokenizer.ggml.%s is %T, want an integer", k, x)
		}
		if id >= int64(len(v.Tokens)) || id < -1 {
			if k == "padding_token_id" || k == "cls_token_id" || k == "seperator_token_id" {
				continue // some converters write a pad id past the vocabulary; llama.cpp ignores it
			}
			return nil, fmt.Errorf("tokenizer.ggml.%s = %d out of range [0,%d)", k, id, len(v.Tokens))
		}
		*dst = int(id)
	}
	for k, dst := range map[string]**bool{"add_bos_token": &v.AddBOS, "add_eos_token": &v.AddEOS, "add_space_prefix": &v.AddSpacePrefix} {
		if x, ok := m["tokenizer.ggml."+k]; ok {
			b, ok := x.(bool)
			if !ok {
				return nil, fmt.Errorf("tokenizer.ggml.%s is %T, want a bool", k, x)
			}
			*dst = &b
		}
	}
	// Per-token arrays must match the token list before any id indexes
	// them (a short token_type array with a larger unknown id panicked).
	for k, n := range map[string]int{"scores": len(v.Scores), "token_type": len(v.Types)} {
		if _, ok := m["tokenizer.ggml."+k]; ok && n != len(v.Tokens) {
			return nil, fmt.Errorf("tokenizer.ggml.%s has %d entries for %d tokens (want one per token)", k, n, len(v.Tokens))
		}
	}
	if v.UNK >= 0 && v.Types != nil && v.Types[v.UNK] == TypeNormal && model == "llama" {
		v.Types = append([]int32(nil), v.Types...) // may be shared with the caller
		v.Types[v.UNK] = TypeUnknown
	}
	return v, nil
}

// LoadLlama2C reads a llama2.c tokenizer.bin (int32 max_token_length, then
// per token: float32 score, int32 length, bytes). Ids 0, 1, 2 are <unk>,
// <s> (BOS) and </s> (EOS); "<0xNN>" pieces are byte-fallback tokens. The
// file stores "▁" as a plain space; the loader turns it back into "▁".
//
// Encoding follows SentencePiece / llama.cpp (dummy "▁" prefix, spaces as
// "▁", merges by highest score), not llama2.c's run.c, whose encode looks
// the raw text up with spaces kept as spaces; the ids agree with the
// matching SentencePiece .model.
func LoadLlama2C(path string) (*BPE, error) {
	data, err := safeio.ReadFile(path, safeio.MaxTokenizer, "a tokenizer file")
	if err != nil {
		return nil, err
	}
	t, err := ParseLlama2C(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// ParseLlama2C parses the bytes of a llama2.c tokenizer.bin. The number of
// tokens is not stored: every record up to the end of data is read.
func ParseLlama2C(data []byte) (*BPE, error) {
	r := bytes.NewReader(data)
	var maxLen int32
	if err := binary.Read(r, binary.LittleEndian, &maxLen); err != nil {
		return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: %w", err)
	}
	if maxLen <= 0 || maxLen > 1<<16 {
		return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: bad max_token_length %d", maxLen)
	}
	v := &Vocab{Model: "llama", BOS: 1, EOS: 2, UNK: 0, PAD: -1}
	for r.Len() > 0 {
		var hdr struct {
			Score float32
			Len   int32
		}
		if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
			return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: token %d: %w", len(v.Tokens), err)
		}
		if hdr.Len < 0 || hdr.Len > maxLen || int(hdr.Len) > r.Len() {
			return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: token %d: bad length %d", len(v.Tokens), hdr.Len)
		}
		b := make([]byte, hdr.Len)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: token %d: %w", len(v.Tokens), err)
		}
		if math.IsNaN(float64(hdr.Score)) {
			return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: token %d: NaN score", len(v.Tokens))
		}
		// llama2.c's export wrote "▁" as a space and BOS/EOS as
		// "\n<s>\n" and "\n</s>\n": restore SentencePiece's pieces.
		piece := strings.ReplaceAll(string(b), " ", "▁")
		switch len(v.Tokens) {
		case 1:
			piece = strings.TrimSpace(strings.ReplaceAll(string(b), "\n", ""))
		case 2:
			piece = strings.TrimSpace(strings.ReplaceAll(string(b), "\n", ""))
		}
		v.Tokens = append(v.Tokens, piece)
		v.Scores = append(v.Scores, hdr.Score)
	}
	if len(v.Tokens) < 3 {
		return nil, fmt.Errorf("tokenizer: llama2.c tokenizer: only %d tokens", len(v.Tokens))
	}
	v.Types = inferTypes(v.Tokens)
	return FromVocab(v)
}

// inferTypes gives llama2.c tokens their SentencePiece types: 0 unknown,
// 1 and 2 control, <0xNN> bytes, the rest normal.
func inferTypes(tokens []string) []int32 {
	ty := make([]int32, len(tokens))
	for i, s := range tokens {
		ty[i] = TypeNormal
		if _, ok := parseByteToken(s); ok {
			ty[i] = TypeByte
		}
	}
	ty[0] = TypeUnknown
	ty[1], ty[2] = TypeControl, TypeControl
	return ty
}

// LoadSentencePiece reads a SentencePiece .model file (a ModelProto
// protobuf) with a BPE model.
func LoadSentencePiece(path string) (*BPE, error) {
	data, err := safeio.ReadFile(path, safeio.MaxTokenizer, "a tokenizer file")
	if err != nil {
		return nil, err
	}
	t, err := ParseSentencePiece(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// ParseSentencePiece parses the bytes of a SentencePiece .model: pieces
// (field 1: piece 1, score 2, type 3), trainer_spec (field 2: model_type 3,
// unk_id 40, bos_id 41, eos_id 42, pad_id 43) and normalizer_spec (field 3:
// add_dummy_prefix 3). Only BPE models are accepted.
func ParseSentencePiece(data []byte) (*BPE, error) {
	v := &Vocab{Model: "llama", BOS: 1, EOS: 2, UNK: 0, PAD: -1}
	modelType := uint64(1)
	err := protoFields(data, func(f int, wt int, x uint64, b []byte) error {
		switch {
		case f == 1 && wt == 2:
			var piece string
			score := float32(0)
			ty := uint64(1)
			err := protoFields(b, func(f int, wt int, x uint64, b []byte) error {
				switch {
				case f == 1 && wt == 2:
					piece = string(b)
				case f == 2 && wt == 5:
					score = math.Float32frombits(uint32(x))
				case f == 3 && wt == 0:
					ty = x
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("piece %d: %w", len(v.Tokens), err)
			}
			if ty < 1 || ty > 6 {
				return fmt.Errorf("piece %d: bad type %d", len(v.Tokens), ty)
			}
			v.Tokens = append(v.Tokens, piece)
			v.Scores = append(v.Scores, score)
			v.Types = append(v.Types, int32(ty)) // NORMAL=1 ... BYTE=6, as in GGUF
		case f == 2 && wt == 2:
			return protoFields(b, func(f int, wt int, x uint64, b []byte) error {
				if wt != 0 {
					return nil
				}
				id := int(int32(x))
				switch f {
				case 3:
					modelType = x
				case 40:
					v.UNK = id
				case 41:
					v.BOS = id
				case 42:
					v.EOS = id
				case 43:
					v.PAD = id
				}
				return nil
			})
		case f == 3 && wt == 2:
			return protoFields(b, func(f int, wt int, x uint64, b []byte) error {
				if f == 3 && wt == 0 {
					add := x != 0
					v.AddSpacePrefix = &add
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tokenizer: sentencepiece model: %w", err)
	}
	if len(v.Tokens) == 0 {
		return nil, errors.New("tokenizer: sentencepiece model: no pieces")
	}
	if modelType != 2 {
		return nil, fmt.Errorf("tokenizer: sentencepiece model: unsupported model type %d (only BPE = 2)", modelType)
	}
	for _, id := range []*int{&v.BOS, &v.EOS, &v.UNK, &v.PAD} {
		if *id >= len(v.Tokens) || *id < 0 {
			*id = -1
		}
	}
	return FromVocab(v)
}

// protoFields walks the fields of a protobuf message: f is the field
// number, wt the wire type, x the varint or fixed value, b the bytes of a
// length-delimited field.
func protoFields(data []byte, fn func(f, wt int, x uint64, b []byte) error) error {
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return errors.New("bad field key")
		}
		data = data[n:]
		f, wt := int(key>>3), int(key&7)
		if f == 0 {
			return errors.New("field number 0")
		}
		var x uint64
		var b []byte
		switch wt {
		case 0:
			x, n = binary.Uvarint(data)
			if n <= 0 {
				return errors.New("bad varint")
			}
			data = data[n:]
		case 1:
			if len(data) < 8 {
				return errors.New("truncated fixed64")
			}
			x = binary.LittleEndian.Uint64(data)
			data = data[8:]
		case 2:
			l, n := binary.Uvarint(data)
			if n <= 0 || l > uint64(len(data)-n) {
				return errors.New("bad length")
			}
			b = data[n : n+int(l)]
			data = data[n+int(l):]
		case 5:
			if len(data) < 4 {
				return errors.New("truncated fixed32")
			}
			x = uint64(binary.LittleEndian.Uint32(data))
			data = data[4:]
		default:
			return fmt.Errorf("unsupported wire type %d", wt)
		}
		if err := fn(f, wt, x, b); err != nil {
			return err
		}
	}
	return nil
}
