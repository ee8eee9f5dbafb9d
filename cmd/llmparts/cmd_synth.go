package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/quant"
)

func init() { register(newSynthCmd) }

// synthConfig is the shape of a synthetic Llama model.
type synthConfig struct {
	Dim, Hidden, Layers, Heads, KVHeads, Vocab, Ctx int
	Type                                            quant.Type
	Seed                                            uint64
	Name                                            string
}

func newSynthCmd() *cobra.Command {
	var (
		out, typ string
		c        synthConfig
	)
	cmd := &cobra.Command{
		Use:   "synth -o FILE.gguf [--dim D] [--hidden H] [--layers L] [--heads N] [--kv-heads K] [--vocab V] [--ctx C] [--type T]",
		Short: "write a random-weight Llama GGUF model of any shape",
		Long: `Write a Llama-architecture GGUF file with random weights ~ N(0, 0.02), norms 1.0,
and a SentencePiece-style vocabulary of the requested size (<unk>, <s>, </s>, the
256 byte tokens <0x00>…<0xFF>, then filler pieces), that llama.cpp can load. 2-D
weights use --type; norms are always F32.`,
		Example: "  llmparts synth -o tiny.gguf --dim 64 --hidden 192 --layers 2 --heads 4 --vocab 512 --type q8_0",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErrorf("-o FILE is required")
			}
			return runSynth(out, typ, c)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "output", "o", "", "output `FILE`.gguf (required)")
	fs.IntVar(&c.Dim, "dim", 64, "embedding dimension (llama.embedding_length)")
	fs.IntVar(&c.Hidden, "hidden", 192, "feed-forward hidden dimension")
	fs.IntVar(&c.Layers, "layers", 2, "number of transformer blocks")
	fs.IntVar(&c.Heads, "heads", 4, "number of attention heads")
	fs.IntVar(&c.KVHeads, "kv-heads", 0, "number of key/value heads (default: --heads)")
	fs.IntVar(&c.Vocab, "vocab", 512, "vocabulary size (at least 259)")
	fs.IntVar(&c.Ctx, "ctx", 256, "context length")
	fs.StringVar(&typ, "type", "f32", "type of the 2-D weights: "+gguf.FileTypeNames())
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed")
	fs.StringVar(&c.Name, "name", "", "general.name (default: a description of the shape)")
	return cmd
}

func runSynth(out, typ string, c synthConfig) error {
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	t, err := quant.ParseType(typ)
	if _, ok := gguf.FileType(t); err != nil || !ok {
		return fmt.Errorf("--type %q: want one of %s", typ, gguf.FileTypeNames())
	}
	c.Type = t
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("-o %s is a directory", out)
	}
	return writeSynth(out, c, os.Stderr)
}

func (c *synthConfig) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"dim", c.Dim}, {"hidden", c.Hidden}, {"layers", c.Layers}, {"heads", c.Heads}, {"kv-heads", c.KVHeads}, {"vocab", c.Vocab}, {"ctx", c.Ctx}} {
		if f.v <= 0 {
			return fmt.Errorf("--%s %d: must be positive", f.name, f.v)
		}
		if f.v > 1<<24 {
			return fmt.Errorf("--%s %d: too large", f.name, f.v)
		}
	}
	// Each layer is nine tensors, listed in memory before anything is
	// written: bound them, and the file size, before allocating.
	if c.Layers > maxSynthLayers {
		return fmt.Errorf("--layers %d: too large (at most %d)", c.Layers, maxSynthLayers)
	}
	if c.Dim%c.Heads != 0 {
		return fmt.Errorf("--heads %d does not divide --dim %d", c.Heads, c.Dim)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("--kv-heads %d does not divide --heads %d", c.KVHeads, c.Heads)
	}
	if hd := c.Dim / c.Heads; hd%2 != 0 {
		return fmt.Errorf("head dimension %d (--dim %d / --heads %d) must be even for RoPE", hd, c.Dim, c.Heads)
	}
	if c.Vocab < 3+256 {
		return fmt.Errorf("--vocab %d: must be at least 259 (3 special tokens and 256 byte tokens)", c.Vocab)
	}
	if bs := c.Type.BlockSize(); bs > 1 {
		if c.Dim%bs != 0 {
			return fmt.Errorf("--dim %d must be a multiple of %d for --type %v", c.Dim, bs, c.Type)
		}
		if c.Hidden%bs != 0 {
			return fmt.Errorf("--hidden %d must be a multiple of %d for --type %v", c.Hidden, bs, c.Type)
		}
	}
	// The weights' size, in float64 (the uint64 product can overflow).
	d, h, v := float64(c.Dim), float64(c.Hidden), float64(c.Vocab)
	kv := float64(c.Dim / c.Heads * c.KVHeads)
	elems := 2*d*v + float64(c.Layers)*(2*d*d+2*d*kv+3*d*h)
	if bytes := elems * float64(c.Type.BlockBytes()) / float64(c.Type.BlockSize()); bytes > maxSynthBytes {
		return fmt.Errorf("the weights would take %.3g bytes, more than the limit of %d TiB", bytes, maxSynthBytes>>40)
	}
	return nil
}

// Limits of synth: far above any real model, far below what would take
// memory for the tensor list or overflow sizes.
const (
	maxSynthLayers = 1 << 16
	maxSynthBytes  = 16 << 40
)

// synthTensor is one tensor of the synthetic model.
type synthTensor struct {
	name  string
	shape []uint64 // ggml order
	typ   quant.Type
	norm  bool // all ones
}

func (c *synthConfig) tensors() []synthTensor {
	d, h, v := uint64(c.Dim), uint64(c.Hidden), uint64(c.Vocab)
	kv := uint64(c.Dim / c.Heads * c.KVHeads)
	w := func(name string, shape ...uint64) synthTensor { return synthTensor{name, shape, c.Type, false} }
	n := func(name string) synthTensor { return synthTensor{name, []uint64{d}, quant.F32, true} }
	// Tensor names from the model package's one table of GGUF names.
	name := func(r model.Role, i int) string { return r.GGUFName(i) + ".weight" }
	ts := []synthTensor{w(name(model.TokenEmbd, 0), d, v)}
	for i := 0; i < c.Layers; i++ {
		ts = append(ts,
			n(name(model.AttnNorm, i)),
			w(name(model.AttnQ, i), d, d),
			w(name(model.AttnK, i), d, kv),
			w(name(model.AttnV, i), d, kv),
			w(name(model.AttnOut, i), d, d),
			n(name(model.FFNNorm, i)),
			w(name(model.FFNGate, i), d, h),
			w(name(model.FFNUp, i), d, h),
			w(name(model.FFNDown, i), h, d),
		)
	}
	return append(ts, n(name(model.OutputNorm, 0)), w(name(model.Output, 0), d, v))
}

// synthVocab returns a SentencePiece-style ("llama") vocabulary of n
// tokens: <unk>, <s>, </s>, the byte tokens, then unique filler pieces.
func synthVocab(n int) (tokens []string, scores []float32, types []int32) {
	tokens = []string{"<unk>", "<s>", "</s>"}
	types = []int32{2, 3, 3} // unknown, control, control
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, 6) // byte
	}
	scores = make([]float32, n)
	for i := 0; len(tokens) < n; i++ {
		scores[len(tokens)] = float32(-i)
		tokens = append(tokens, fillerPiece(i))
		types = append(types, 1) // normal
	}
	return tokens, scores, types
}

// fillerPiece returns the i-th filler token: "▁a", "a", "▁b", "b", …,
// "▁z", "z", "▁aa", "aa"… (all distinct).
func fillerPiece(i int) string {
	var s []byte
	for k := i / 2; ; k = k/26 - 1 {
		s = append([]byte{byte('a' + k%26)}, s...)
		if k < 26 {
			break
		}
	}
	if i%2 == 0 {
		return "▁" + string(s)
	}
	return string(s)
}

// synthRand returns the random stream of the idx-th tensor: each tensor has
// its own stream, so its values do not depend on how it is chunked.
func synthRand(seed uint64, idx int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(idx)))
}

// synthStd is the standard deviation of the random weights.
const synthStd = 0.02

func writeSynth(path string, c synthConfig, progress io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.Name == "" {
		c.Name = fmt.Sprintf("synth-llama d%d h%d l%d n%d kv%d v%d %v seed %d", c.Dim, c.Hidden, c.Layers, c.Heads, c.KVHeads, c.Vocab, c.Type, c.Seed)
	}
	tokens, scores, types := synthVocab(c.Vocab)
	u32 := func(x int) gguf.Value { return gguf.Value{Data: uint32(x)} }
	ft, _ := gguf.FileType(c.Type)
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: gguf.Value{Data: "llama"}},
		{Key: "general.name", Value: gguf.Value{Data: c.Name}},
		{Key: "general.file_type", Value: gguf.Value{Data: ft}},
		{Key: "llama.context_length", Value: u32(c.Ctx)},
		{Key: "llama.embedding_length", Value: u32(c.Dim)},
		{Key: "llama.block_count", Value: u32(c.Layers)},
		{Key: "llama.feed_forward_length", Value: u32(c.Hidden)},
		{Key: "llama.attention.head_count", Value: u32(c.Heads)},
		{Key: "llama.attention.head_count_kv", Value: u32(c.KVHeads)},
		{Key: "llama.rope.dimension_count", Value: u32(c.Dim / c.Heads)},
		{Key: "llama.rope.freq_base", Value: gguf.Value{Data: float32(10000)}},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.Value{Data: float32(1e-5)}},
		{Key: "llama.vocab_size", Value: u32(c.Vocab)},
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Data: "llama"}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Data: tokens}},
		{Key: "tokenizer.ggml.scores", Value: gguf.Value{Data: scores}},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Data: types}},
		{Key: "tokenizer.ggml.bos_token_id", Value: u32(1)},
		{Key: "tokenizer.ggml.eos_token_id", Value: u32(2)},
		{Key: "tokenizer.ggml.unknown_token_id", Value: u32(0)},
		{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Data: true}},
		{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Value{Data: false}},
	}
	w, err := gguf.Create(path)
	if err != nil {
		return err
	}
	defer w.Abort() // no-op after a successful Close
	if err := w.AddKVs(kvs); err != nil {
		return err
	}
	ts := c.tensors()
	var total, params uint64
	for _, t := range ts {
		if err := w.AddTensor(t.name, t.typ, t.shape); err != nil {
			return err
		}
		n := t.shape[0]
		if len(t.shape) > 1 {
			n *= t.shape[1]
		}
		params += n
		rb, _ := t.typ.RowBytes(int(t.shape[0]))
		total += uint64(rb) * n / t.shape[0]
	}
	verbose := total > 64<<20
	var done uint64
	for i, t := range ts {
		if err := writeSynthTensor(w, c.Seed, i, t); err != nil {
			return err
		}
		rb, _ := t.typ.RowBytes(int(t.shape[0]))
		rows := uint64(1)
		if len(t.shape) > 1 {
			rows = t.shape[1]
		}
		done += uint64(rb) * rows
		if verbose {
			fmt.Fprintf(progress, "synth: [%3d/%d] %-28s %5.1f%% of %.0f MB\n", i+1, len(ts), t.name, 100*float64(done)/float64(total), float64(total)/(1<<20))
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(progress, "synth: wrote %s: %d tensors, %d parameters, %v weights, %.1f MB\n",
		filepath.Base(path), len(ts), params, c.Type, float64(total)/(1<<20))
	return nil
}

// writeSynthTensor generates and writes one tensor a chunk of rows at a
// time, so that even a large embedding is never held in full.
func writeSynthTensor(w *gguf.Writer, seed uint64, idx int, t synthTensor) error {
	rowLen := int(t.shape[0])
	rows := 1
	if len(t.shape) > 1 {
		rows = int(t.shape[1])
	}
	chunkRows := max(1, (1<<20)/rowLen)
	r := synthRand(seed, idx)
	buf := make([]float32, min(rows, chunkRows)*rowLen)
	for row := 0; row < rows; row += chunkRows {
		x := buf[:min(chunkRows, rows-row)*rowLen]
		for j := range x {
			if t.norm {
				x[j] = 1
			} else {
				x[j] = float32(r.NormFloat64() * synthStd)
			}
		}
		b, err := quant.Quantize(t.typ, x)
		if err != nil {
			return fmt.Errorf("tensor %s: %v", t.name, err)
		}
		if err := w.WriteTensorPart(t.name, b); err != nil {
			return err
		}
	}
	return nil
}
