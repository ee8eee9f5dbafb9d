package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// defaultPrompt is used with the embedded default model (trained on Go
// source code) when -p and -f are absent.
const defaultPrompt = "func main() {"

func init() { register(newGenerateCmd) }

// modelFlags are the flags shared by generate, info and bench generate.
type modelFlags struct {
	model, tok string
	threads    int
	maxKV      string // --max-kv-memory: session memory limit (sysmem.ParseSize; 0 = MemAvailable)
	quantAct   bool
	keepMapped bool // leave the weights in the file mapping (info: no forward pass)
}

func (mf *modelFlags) add(fs *pflag.FlagSet) {
	fs.StringVarP(&mf.model, "model", "m", "", "model: llama2.c .bin, .gguf, or a trainer checkpoint folder (default: the embedded model)")
	fs.StringVar(&mf.tok, "tokenizer", "", "tokenizer file (tokenizer.bin, SentencePiece .model, tokenizer.json, .gguf); default: the model's own, or tokenizer.bin beside a llama2.c model")
	fs.IntVarP(&mf.threads, "threads", "t", 0, fmt.Sprintf("worker goroutines (0 = all cores, at most %d)", model.MaxThreads))
	fs.BoolVar(&mf.quantAct, "quantize-activations", false, "decode Q8_0/Q4_0 weights against Q8_0-quantized activations (llama.cpp's integer path) instead of float32 ones")
}

// open loads the model and its tokenizer, reporting what it loaded on
// stderr.
func (mf *modelFlags) open() (*model.Model, tokenizer.Tokenizer, error) {
	t0 := time.Now()
	m, tok, where, err := mf.load(true)
	if err != nil {
		return nil, nil, err
	}
	if tok.VocabSize() != m.Config.VocabSize {
		fmt.Fprintf(os.Stderr, "warning: tokenizer has %d tokens, model %d\n", tok.VocabSize(), m.Config.VocabSize)
	}
	c := m.Config
	fmt.Fprintf(os.Stderr, "loaded %s (%s, %s): %d layers, dim %d, %d heads (%d kv), vocab %d, ctx %d, %.2fM params, %d threads, %v\n",
		m.Info.Path, m.Info.Format, c.Arch, c.NLayers, c.Dim, c.NHeads, c.NKVHeads, c.VocabSize, c.ContextLen,
		float64(m.NumParams())/1e6, m.Threads(), time.Since(t0).Round(time.Millisecond))
	fmt.Fprintf(os.Stderr, "tokenizer: %s (%s, %d tokens)\n", where, tok.Kind(), tok.VocabSize())
	return m, tok, nil
}

// load loads -m (or the embedded default model when -m is absent) and,
// when withTok is set, its tokenizer.
func (mf *modelFlags) load(withTok bool) (*model.Model, tokenizer.Tokenizer, string, error) {
	if mf.model == "" {
		m, err := model.LoadFS(defaultmodel.FS(), "defaultmodel")
		if err != nil {
			return nil, nil, "", err
		}
		m.SetThreads(mf.threads)
		m.Info.Path = "embedded default model (defaultmodel package)"
		tok, err := defaultmodel.Tokenizer()
		if err != nil {
			return nil, nil, "", err
		}
		return m, tok, "embedded tokenizer.json", nil
	}
	m, err := model.Load(mf.model, model.Options{Threads: mf.threads, QuantizeActivations: mf.quantAct, KeepMapped: mf.keepMapped})
	if err != nil {
		return nil, nil, "", err
	}
	if !withTok {
		return m, nil, "", nil
	}
	tok, where, err := loadTokenizer(m, mf.tok)
	if err != nil {
		m.Close()
		return nil, nil, "", err
	}
	return m, tok, where, nil
}

// loadTokenizer finds the tokenizer that goes with m: --tokenizer if given, the
// GGUF file's own vocabulary, the checkpoint's tokenizer.json, or a
// tokenizer.bin / tok<vocab>.bin beside a llama2.c model.
func loadTokenizer(m *model.Model, path string) (tokenizer.Tokenizer, string, error) {
	if path == "" {
		switch m.Info.Format {
		case "gguf":
			t, err := tokenizer.LoadGGUF(m.Info.Path)
			return t, m.Info.Path + " (GGUF vocabulary)", err
		default:
			path = m.Info.Tokenizer
			if path == "" {
				if m.Info.Format == "checkpoint" {
					return nil, "", fmt.Errorf("no tokenizer: %s has no tokenizer.json; pass --tokenizer", m.Info.Path)
				}
				return nil, "", fmt.Errorf("no tokenizer: pass --tokenizer (looked for tokenizer.bin and tok%d.bin beside %s)", m.Config.VocabSize, m.Info.Path)
			}
			if m.Info.Format != "checkpoint" {
				fmt.Fprintf(os.Stderr, "using tokenizer %s found beside the model\n", path)
			}
		}
	}
	var t tokenizer.Tokenizer
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".bin":
		t, err = tokenizer.LoadLlama2C(path)
	case ".model":
		t, err = tokenizer.LoadSentencePiece(path)
	case ".gguf":
		t, err = tokenizer.LoadGGUF(path)
	default:
		// tokenizer.json: the trainer's reader handles its char tokenizer
		// and hands everything else to tokenizer.ParseJSON.
		t, err = train.LoadTokenizer(path)
	}
	return t, path, err
}

type generateOpts struct {
	prompt     string
	n          int
	maxKV      int64 // session memory limit in bytes (0 = MemAvailable)
	params     sample.Params
	parseSpec  bool
	haveprompt bool
}

func newGenerateCmd() *cobra.Command {
	var (
		mf               modelFlags
		prompt, file     string
		n                int
		temp, topP, minP float64
		rep              float64
		topK, repN       int
		seed             int64
		special          bool
	)
	c := &cobra.Command{
		Use:   "generate [flags] [PROMPT]",
		Short: "generate text with a model (llama2.c .bin, GGUF or checkpoint folder)",
		Long: `Generate text: the prompt (PROMPT, -p or -f) is written to stdout followed by each new
token's text as it is produced; load and speed statistics go to stderr.
Without -m the embedded default model (trained on Go source) is used, with the
prompt "func main() {" when none is given.`,
		Example: `  llmparts generate
  llmparts generate -m stories260K.bin "Once upon a time" -n 64 --temp 0
  llmparts generate -m model.gguf -f prompt.txt --seed 7 -t 4`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			have := cmd.Flags().Changed("prompt") || cmd.Flags().Changed("file")
			text := prompt
			if len(args) == 1 {
				if have {
					return usageErrorf("give the prompt once: as PROMPT, -p or -f")
				}
				text, have = args[0], true
			}
			if cmd.Flags().Changed("prompt") && cmd.Flags().Changed("file") {
				return usageErrorf("give the prompt once: -p or -f, not both")
			}
			if file != "" {
				b, err := safeio.ReadFile(file, safeio.MaxText, "a prompt file")
				if err != nil {
					return err
				}
				text = string(b)
			}
			if mf.model == "" && !have {
				text = defaultPrompt
			}
			if seed < 0 {
				seed = time.Now().UnixNano() & math.MaxInt64
			}
			if n < 0 {
				return usageErrorf("-n %d: the number of new tokens cannot be negative", n)
			}
			if err := model.CheckThreads(mf.threads); err != nil {
				return usageErrorf("--%v", err)
			}
			maxKV, err := sysmem.ParseSize(mf.maxKV)
			if err != nil {
				return usageErrorf("--max-kv-memory: %v", err)
			}
			params := sample.Params{
				Temperature: temp, TopK: topK, TopP: topP, MinP: minP, RepeatPenalty: rep, RepeatLastN: repN, Seed: uint64(seed),
			}
			if err := params.Validate(); err != nil {
				return err
			}
			m, tok, err := mf.open()
			if err != nil {
				return err
			}
			defer m.Close()
			o := generateOpts{prompt: text, n: n, parseSpec: special, params: params, maxKV: maxKV}
			fmt.Fprintf(os.Stderr, "sampling: temp %g, top-k %d, top-p %g, min-p %g, repeat-penalty %g (last %d), seed %d\n",
				temp, topK, topP, minP, rep, repN, seed)
			return generate(os.Stdout, os.Stderr, m, tok, o)
		},
	}
	fs := c.Flags()
	mf.add(fs)
	fs.StringVar(&mf.maxKV, "max-kv-memory", "0", "refuse a KV cache and work buffers larger than this (e.g. 8G; 0 = the memory available now)")
	fs.StringVarP(&prompt, "prompt", "p", "", "prompt text (or give it as the argument PROMPT)")
	fs.StringVarP(&file, "file", "f", "", "read the prompt from this file")
	fs.IntVarP(&n, "n-predict", "n", 256, "number of new tokens")
	fs.Float64Var(&temp, "temp", 0.8, "temperature (0 = greedy)")
	fs.IntVar(&topK, "top-k", 40, "keep the K most likely tokens (0 = off)")
	fs.Float64Var(&topP, "top-p", 0.95, "nucleus sampling threshold (1 = off)")
	fs.Float64Var(&minP, "min-p", 0.05, "drop tokens below P × the top probability (0 = off)")
	fs.Float64Var(&rep, "repeat-penalty", 1.0, "repetition penalty (1 = off)")
	fs.IntVar(&repN, "repeat-last-n", 64, "tokens the repetition penalty looks back over")
	fs.Int64VarP(&seed, "seed", "s", -1, "random seed (-1 = from the clock)")
	fs.BoolVar(&special, "parse-special", false, "match special tokens such as <s> written in the prompt")
	return c
}

// generate writes the prompt and then each new token's text to out as it
// is produced; statistics go to log.
func generate(out, log io.Writer, m *model.Model, tok tokenizer.Tokenizer, o generateOpts) error {
	ids, err := tok.Encode(o.prompt, tokenizer.EncodeOptions{AddBOS: tok.AddBOSDefault(), ParseSpecial: o.parseSpec})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		if tok.BOS() < 0 {
			if o.prompt != "" {
				return fmt.Errorf("the prompt gives no tokens (none of its characters is in the vocabulary) and the vocabulary has no BOS token to start from")
			}
			return errors.New("empty prompt and the vocabulary has no BOS token to start from")
		}
		ids = []int{tok.BOS()}
	}
	// len(ids)+n may overflow (-n 9223372036854775807): compare instead.
	ctx := m.Config.ContextLen
	if o.n >= 0 && o.n < ctx-len(ids) {
		ctx = len(ids) + o.n
	}
	if len(ids) > m.Config.ContextLen {
		return fmt.Errorf("prompt is %d tokens, longer than the context of %d", len(ids), m.Config.ContextLen)
	}
	w := bufio.NewWriter(out)
	w.WriteString(o.prompt)
	w.Flush()
	s, err := m.NewSessionLimit(ctx, o.maxKV)
	if err != nil {
		return err
	}
	smp := sample.New(o.params)
	t0 := time.Now()
	logits, err := s.Forward(ids, 0)
	if err != nil {
		return err
	}
	tPrompt := time.Since(t0)
	var dec tokenizer.Decoder
	if cd, ok := tok.(interface{ NewContinuationDecoder() tokenizer.Decoder }); ok && o.prompt != "" {
		dec = cd.NewContinuationDecoder()
	} else {
		dec = tok.NewDecoder()
	}
	hist := append([]int(nil), ids...)
	t1 := time.Now()
	gen := 0
	stop := ""
	for gen < o.n {
		next := smp.Sample(logits, hist)
		if isEnd(tok, next) {
			stop = "end of sequence"
			break
		}
		gen++
		hist = append(hist, next)
		w.WriteString(dec.Add(next))
		w.Flush()
		if gen == o.n {
			break
		}
		if len(hist) >= ctx {
			if ctx == m.Config.ContextLen {
				stop = fmt.Sprintf("context limit of %d tokens reached", ctx)
			}
			break
		}
		if logits, err = s.Forward([]int{next}, len(hist)-1); err != nil {
			return err
		}
	}
	w.WriteString(dec.Flush())
	w.Flush()
	tGen := time.Since(t1)
	fmt.Fprintln(log)
	if stop != "" {
		fmt.Fprintf(log, "stopped: %s\n", stop)
	}
	fmt.Fprintf(log, "prompt: %d tokens in %v (%.1f tok/s); generated: %d tokens in %v (%.1f tok/s)\n",
		len(ids), tPrompt.Round(time.Microsecond), float64(len(ids))/tPrompt.Seconds(),
		gen, tGen.Round(time.Microsecond), float64(gen)/tGen.Seconds())
	return nil
}

// endTokens are the end-of-generation control tokens of common chat
// vocabularies, honoured besides the vocabulary's EOS (as llama.cpp's
// end-of-generation set does).
var endTokens = map[string]bool{"<|eot_id|>": true, "<|eom_id|>": true, "<|im_end|>": true, "<|end_of_text|>": true, "<|endoftext|>": true, "<end_of_turn>": true}

// isEnd reports whether id ends generation: EOS, or a control token
// named in endTokens.
func isEnd(tok tokenizer.Tokenizer, id int) bool {
	if id == tok.EOS() {
		return true
	}
	if v, ok := tok.(interface {
		Token(int) string
		TokenType(int) int
	}); ok {
		return v.TokenType(id) == tokenizer.TypeControl && endTokens[v.Token(id)]
	}
	return false
}
