package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/model"
)

// modelFlags are the flags of the commands that load a model (generate,
// info, perplexity, bench generate): add them with mf.add(c.Flags()) and
// load with mf.open().
type modelFlags struct {
	model, tok string
	threads    int
	maxKV      string // --max-kv-memory: session memory limit (sysmem.ParseSize; 0 = MemAvailable)
	quantAct   bool
	floatAct   bool
	matchGGML  bool // --match-llamacpp
	keepMapped bool // leave the weights in the file mapping (info: no forward pass)
	noTok      bool // no tokenizer needed (bench generate)
}

func (mf *modelFlags) add(fs *pflag.FlagSet) {
	fs.StringVarP(&mf.model, "model", "m", "", "model: llama2.c .bin, .gguf, or a Hugging Face or trainer checkpoint folder (default: the embedded model)")
	fs.StringVar(&mf.tok, "tokenizer", "", "tokenizer file (tokenizer.bin, SentencePiece .model, tokenizer.json, .gguf); default: the model's own, or tokenizer.bin beside a llama2.c model")
	fs.IntVarP(&mf.threads, "threads", "t", 0, fmt.Sprintf("worker goroutines (0 = all cores, at most %d)", model.MaxThreads))
	// Shell completion offers model and tokenizer files (and folders).
	cobra.MarkFlagFilename(fs, "model", "gguf", "bin")
	cobra.MarkFlagFilename(fs, "tokenizer", "bin", "model", "json", "gguf")
	fs.BoolVar(&mf.quantAct, "quantize-activations", false, "multiply every quantized weight type with activations quantized per block to Q8_0/Q8_1/Q8_K (llama.cpp's integer path)")
	fs.BoolVar(&mf.matchGGML, "match-llamacpp", false, "compute attention, RoPE and SiLU in llama.cpp's own float32 arithmetic (its AVX-512 CPU build), bit for bit and slower: with --quantize-activations the logits equal llama.cpp's on the same file")
	fs.BoolVar(&mf.floatAct, "float-activations", false, "multiply every weight type with float32 activations (exact up to rounding); default: each type's measured faster path (llmparts info names it)")
}

// open loads -m (or the embedded default model when -m is absent) with
// its tokenizer, reporting what it loaded on stderr.
func (mf *modelFlags) open() (*llmparts.Model, error) {
	if err := model.CheckThreads(mf.threads); err != nil {
		return nil, usageErrorf("--%v", err)
	}
	if mf.quantAct && mf.floatAct {
		return nil, usageErrorf("--quantize-activations and --float-activations exclude each other")
	}
	t0 := time.Now()
	o := llmparts.Options{Tokenizer: mf.tok, Threads: mf.threads, QuantizeActivations: mf.quantAct, FloatActivations: mf.floatAct, MatchGGML: mf.matchGGML, KeepMapped: mf.keepMapped, NoTokenizer: mf.noTok}
	var m *llmparts.Model
	var err error
	if mf.model == "" {
		m, err = llmparts.OpenDefaultWith(o)
	} else {
		m, err = llmparts.OpenWith(mf.model, o)
	}
	if err != nil {
		return nil, err
	}
	n := m.Net
	c := n.Config
	fmt.Fprintf(os.Stderr, "loaded %s (%s, %s): %d layers, dim %d, %d heads (%d kv), vocab %d, ctx %d, %.2fM params, %d threads, %v\n",
		n.Info.Path, n.Info.Format, c.Arch, c.NLayers, c.Dim, c.NHeads, c.NKVHeads, c.VocabSize, c.ContextLen,
		float64(n.NumParams())/1e6, n.Threads(), time.Since(t0).Round(time.Millisecond))
	if d := n.Info.Dequantized; len(d) > 0 {
		list := strings.Join(d[:min(len(d), 4)], ", ")
		if len(d) > 4 {
			list += ", ..."
		}
		fmt.Fprintf(os.Stderr, "warning: %d tensors have a type with no kernels and were expanded to F32 at load (more memory, slower): %s\n", len(d), list)
	}
	if tok := m.Tokenizer; tok != nil {
		fmt.Fprintf(os.Stderr, "tokenizer: %s (%s, %d tokens)\n", m.TokenizerSource, tok.Kind(), tok.VocabSize())
		if tok.VocabSize() != c.VocabSize {
			fmt.Fprintf(os.Stderr, "warning: tokenizer has %d tokens, model %d\n", tok.VocabSize(), c.VocabSize)
		}
	}
	return m, nil
}
