package export

import (
	"fmt"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/quant"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// named is one output tensor.
type named struct {
	name string
	t    tensor
}

// ggufTensors lists the tensors of s under llama.cpp's names for family f
// (shapes as matrices [rows][cols]; the GGUF shape is [cols, rows]).
func ggufTensors(f Family, s *Source) ([]named, error) {
	fam := f.model()
	ws, err := s.weights(fam)
	if err != nil {
		return nil, err
	}
	c := s.Config
	var out []named
	for _, w := range ws {
		t := w.t
		if !fam.Neox && !w.bias && (w.role == model.AttnQ || w.role == model.AttnK) {
			// ggml's normal-mode rope turns interleaved pairs.
			heads := c.Heads
			if w.role == model.AttnK {
				heads = c.KVHeads
			}
			if t, err = halfSplitToInterleaved(t, heads, c.HeadDim()); err != nil {
				return nil, err
			}
		}
		out = append(out, named{w.ggufName(), t})
	}
	// llama.cpp's llama falls back to token_embd when output is absent;
	// the other families require output.weight.
	if c.Tied && f != Llama {
		out = append(out, named{model.Output.GGUFName(0) + ".weight", s.output()})
	}
	return out, nil
}

// ggufKVs returns the metadata of family f: hyper-parameters under
// f.Name's keys.
func ggufKVs(f Family, s *Source, typ quant.Type) ([]gguf.KV, error) {
	c := s.Config
	ft, ok := gguf.FileType(typ)
	if !ok {
		return nil, fmt.Errorf("export: no llama.cpp file type for %v", typ)
	}
	u32 := func(x int) gguf.Value { return gguf.Value{Data: uint32(x)} }
	f32 := func(x float64) gguf.Value { return gguf.Value{Data: float32(x)} }
	a := f.Name + "."
	name := s.Name
	if name == "" {
		name = "llmparts " + f.Name
	}
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: gguf.Value{Data: f.Name}},
		{Key: "general.name", Value: gguf.Value{Data: name}},
		{Key: "general.description", Value: gguf.Value{Data: describe(c)}},
		{Key: "general.file_type", Value: gguf.Value{Data: ft}},
		{Key: a + "context_length", Value: u32(c.Ctx)},
		{Key: a + "embedding_length", Value: u32(c.Dim)},
		{Key: a + "block_count", Value: u32(c.Layers)},
		{Key: a + "feed_forward_length", Value: u32(c.Hidden)},
		{Key: a + "attention.head_count", Value: u32(c.Heads)},
		{Key: a + "attention.head_count_kv", Value: u32(c.KVHeads)},
	}
	if f == Llama {
		kvs = append(kvs, gguf.KV{Key: a + "attention.layer_norm_rms_epsilon", Value: f32(c.Eps)},
			gguf.KV{Key: a + "vocab_size", Value: u32(c.Vocab)})
	} else {
		kvs = append(kvs, gguf.KV{Key: a + "attention.layer_norm_epsilon", Value: f32(c.Eps)})
	}
	if c.Pos == train.PosRoPE {
		kvs = append(kvs, gguf.KV{Key: a + "rope.dimension_count", Value: u32(c.HeadDim())},
			gguf.KV{Key: a + "rope.freq_base", Value: f32(c.RopeTheta)})
	}
	if f == GPTNeoX {
		kvs = append(kvs, gguf.KV{Key: a + "use_parallel_residual", Value: gguf.Value{Data: false}})
	}
	tk, err := tokenizerKVs(s.Tokenizer)
	if err != nil {
		return nil, err
	}
	return append(kvs, tk...), nil
}

// describe says in words what was trained.
func describe(c train.Config) string {
	return fmt.Sprintf("llmparts trainer checkpoint: %s + %s positions + %s, dim %d, %d layers, %d heads (%d kv), context %d, %d parameters",
		c.Norm, c.Pos, c.MLP, c.Dim, c.Layers, c.Heads, c.KVHeads, c.Ctx, c.NumParams())
}

// tokenizerKVs returns the tokenizer.ggml.* entries for tok.
//
// A character vocabulary is written as tokenizer model "rwkv": llama.cpp's
// greedy longest match over the tokens' bytes, which for tokens of one
// character each is exactly character tokenization (UTF-8 is prefix-free).
// Its "llama" and "gpt2" models would be wrong here: they make ids 1 and 2
// (or 11) BOS and EOS whatever the file says, and llama.cpp would stop
// generating at an ordinary character. Token text is escaped as that
// model reads it (\\, \n, \t, \r, \xhh for other control bytes).
func tokenizerKVs(tok tokenizer.Tokenizer) ([]gguf.KV, error) {
	switch t := tok.(type) {
	case charVocab:
		rs := t.Runes()
		tokens := make([]string, len(rs))
		types := make([]int32, len(rs))
		for i, r := range rs {
			tokens[i] = rwkvEscape(r)
			types[i] = tokenizer.TypeNormal
		}
		kvs := []gguf.KV{
			{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "rwkv"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: tokens}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: types}},
			{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Data: false}},
			{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Value{Data: false}},
		}
		if u := t.Unknown(); u >= 0 {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Value{Data: uint32(u)}})
		}
		return kvs, nil
	case *tokenizer.BPE:
		v := t.Vocab()
		kvs := []gguf.KV{
			{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: v.Model}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: v.Tokens}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: v.Types}},
		}
		if v.Pre != "" {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.pre", Value: gguf.Value{Data: v.Pre}})
		}
		if v.Scores != nil {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.scores", Value: gguf.Value{Data: v.Scores}})
		}
		if len(v.Merges) > 0 {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.Value{Data: v.Merges}})
		}
		for _, sp := range []struct {
			key string
			id  int
		}{{"bos_token_id", v.BOS}, {"eos_token_id", v.EOS}, {"unknown_token_id", v.UNK}} {
			if sp.id >= 0 {
				kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml." + sp.key, Value: gguf.Value{Data: uint32(sp.id)}})
			}
		}
		for _, b := range []struct {
			key string
			v   *bool
		}{{"add_bos_token", v.AddBOS}, {"add_eos_token", v.AddEOS}, {"add_space_prefix", v.AddSpacePrefix}} {
			if b.v != nil {
				kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml." + b.key, Value: gguf.Value{Data: *b.v}})
			}
		}
		return kvs, nil
	}
	return nil, fmt.Errorf("export: cannot write a %s tokenizer into GGUF", tok.Kind())
}

// charVocab is a character tokenizer (tokenizer.Char, the trainer's char:N).
type charVocab interface {
	tokenizer.Tokenizer
	Runes() []rune
	Unknown() int
}

// rwkvEscape writes r as llama.cpp's rwkv tokenizer model reads tokens.
func rwkvEscape(r rune) string {
	switch r {
	case '\\':
		return `\\`
	case '\n':
		return `\n`
	case '\t':
		return `\t`
	case '\r':
		return `\r`
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return string(r)
}

// WriteGGUF writes s as a GGUF file of its family (see FamilyOf) with
// matrices of type typ (one of gguf.FileTypeNames) and vectors in F32,
// atomically.
func WriteGGUF(path string, s *Source, typ quant.Type) error {
	f, err := FamilyOf(s.Config)
	if err != nil {
		return err
	}
	kvs, err := ggufKVs(f, s, typ)
	if err != nil {
		return err
	}
	ts, err := ggufTensors(f, s)
	if err != nil {
		return err
	}
	if bs := typ.BlockSize(); bs > 1 {
		for _, t := range ts {
			if !t.t.vector && t.t.cols%bs != 0 {
				return fmt.Errorf("export: --type %v needs rows whose length is a multiple of %d; %s has %d", typ, bs, t.name, t.t.cols)
			}
		}
	}
	w, err := gguf.Create(path)
	if err != nil {
		return err
	}
	defer w.Abort() // no-op after a successful Close
	if err := w.AddKVs(kvs); err != nil {
		return err
	}
	typeOf := func(t tensor) quant.Type {
		if t.vector {
			return quant.F32
		}
		return typ
	}
	for _, t := range ts {
		shape := []uint64{uint64(t.t.cols)}
		if !t.t.vector {
			shape = append(shape, uint64(t.t.rows))
		}
		if err := w.AddTensor(t.name, typeOf(t.t), shape); err != nil {
			return err
		}
	}
	for _, t := range ts {
		b, err := quant.Quantize(typeOf(t.t), t.t.data)
		if err != nil {
			return fmt.Errorf("export: %s: %v", t.name, err)
		}
		if err := w.WriteTensor(t.name, b); err != nil {
			return err
		}
	}
	return w.Close()
}

// ParseGGUFType parses a --type value for WriteGGUF.
func ParseGGUFType(s string) (quant.Type, error) {
	t, err := quant.ParseType(s)
	if _, ok := gguf.FileType(t); err != nil || !ok {
		return 0, fmt.Errorf("export: --type %q: want one of %s", s, gguf.FileTypeNames())
	}
	return t, nil
}
