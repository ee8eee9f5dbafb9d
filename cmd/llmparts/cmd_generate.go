package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// defaultPrompt is used with the embedded default model (trained on Go
// source code) when no prompt is given.
const defaultPrompt = "func main() {"

func init() { register(newGenerateCmd) }

// generateOpts is what generate needs besides the model.
type generateOpts struct {
	prompt     string
	n          int // tokens to generate; -1: until the end of text or the context
	ctx        int // context size; 0: prompt + n (the model's when n is -1)
	params     sample.Params
	parseSpec  bool
	hidePrompt bool
	endNewline bool  // end the output with a newline if it lacks one (a terminal)
	maxKV      int64 // session memory limit in bytes (0 = MemAvailable)
	noShift    bool  // stop at a full context instead of shifting it
	keep       int   // tokens a context shift keeps at the start
}

func newGenerateCmd() *cobra.Command {
	var (
		mf     modelFlags
		o      generateOpts
		prompt string
		file   string
		seed   int64
	)
	p := sample.DefaultParams()
	c := &cobra.Command{
		Use:   "generate [-m MODEL] [PROMPT | -p PROMPT | -f FILE] [-n N] [--temp T] [flags]",
		Short: "generate text: llama2.c .bin, GGUF of 12 families (llmparts info shows which), Hugging Face or trainer checkpoint folder; no -m: the embedded default model",
		Long: `Generate text: the prompt (PROMPT, -p, or -f FILE; -f - reads standard input) is
written to stdout followed by each new token's text as it is produced; load and
speed statistics go to stderr. Without -m the embedded default model (trained on
Go source) is used, with the prompt "func main() {" when none is given.
Generation stops after -n tokens, at the model's end-of-generation token, when the
context is full, or at Ctrl-C (the statistics are still printed; exit status 130).
Sampling defaults are llama.cpp's.`,
		Example: `  llmparts generate
  llmparts generate -m stories260K.bin "Once upon a time" -n 64 --temp 0
  llmparts generate -m model.gguf -f prompt.txt -s 7 -t 4 -c 2048
  echo "Once upon a time" | llmparts generate -m stories260K.bin -f - -n -1 --no-display-prompt`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			have := fl.Changed("prompt") || fl.Changed("file")
			o.prompt = prompt
			if len(args) == 1 {
				if have {
					return usageErrorf("give the prompt once: as PROMPT, -p or -f")
				}
				o.prompt, have = args[0], true
			}
			if fl.Changed("prompt") && fl.Changed("file") {
				return usageErrorf("give the prompt once: -p or -f, not both")
			}
			if file != "" {
				b, err := readInput(file)
				if err != nil {
					return err
				}
				o.prompt = string(b)
			}
			if mf.model == "" && !have {
				o.prompt = defaultPrompt
			}
			if o.n < -1 {
				return usageErrorf("-n %d: want a number of tokens, or -1 for until the end of text or context", o.n)
			}
			if o.ctx < 0 {
				return usageErrorf("-c %d: want a context size, or 0 for the model's", o.ctx)
			}
			if seed < 0 {
				seed = time.Now().UnixNano() & math.MaxInt64
			}
			p.Seed = uint64(seed)
			maxKV, err := sysmem.ParseSize(mf.maxKV)
			if err != nil {
				return usageErrorf("--max-kv-memory: %v", err)
			}
			o.maxKV = maxKV
			if err := p.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			o.params = p
			m, err := mf.open()
			if err != nil {
				return err
			}
			defer m.Close()
			fmt.Fprintf(os.Stderr, "sampling: temp %g, top-k %d, top-p %g, min-p %g, repeat-penalty %g (last %d), seed %d\n",
				p.Temperature, p.TopK, p.TopP, p.MinP, p.RepeatPenalty, p.RepeatLastN, seed)
			o.endNewline = term.IsTerminal(int(os.Stdout.Fd()))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return generate(ctx, os.Stdout, os.Stderr, m, o)
		},
	}
	fs := c.Flags()
	mf.add(fs)
	fs.StringVar(&mf.maxKV, "max-kv-memory", "0", "refuse a KV cache and work buffers larger than this (e.g. 8G; 0 = the memory available now)")
	fs.StringVarP(&prompt, "prompt", "p", "", "prompt text (or give it as the argument PROMPT)")
	fs.StringVarP(&file, "file", "f", "", "read the prompt from this file (- = standard input)")
	fs.IntVarP(&o.n, "n-predict", "n", 256, "number of tokens to generate (-1 = until the end of text or the context)")
	fs.IntVarP(&o.ctx, "ctx-size", "c", 0, "context size in tokens (0 = prompt + -n, or the model's context with -n -1)")
	fs.Float64Var(&p.Temperature, "temp", p.Temperature, "temperature (0 = greedy)")
	fs.IntVar(&p.TopK, "top-k", p.TopK, "keep the K most likely tokens (0 = off)")
	fs.Float64Var(&p.TopP, "top-p", p.TopP, "nucleus sampling threshold (1 = off)")
	fs.Float64Var(&p.MinP, "min-p", p.MinP, "drop tokens below P × the top probability (0 = off)")
	fs.Float64Var(&p.RepeatPenalty, "repeat-penalty", p.RepeatPenalty, "repetition penalty (1 = off)")
	fs.IntVar(&p.RepeatLastN, "repeat-last-n", p.RepeatLastN, "tokens the repetition penalty looks back over")
	fs.Int64VarP(&seed, "seed", "s", -1, "random seed (-1 = from the clock)")
	fs.BoolVar(&o.parseSpec, "parse-special", false, "match special tokens such as <s> written in the prompt")
	fs.BoolVar(&o.hidePrompt, "no-display-prompt", false, "write only the generated text, not the prompt")
	fs.BoolVar(&o.noShift, "no-context-shift", false, "stop when the context is full (default with -n N: keep --keep tokens, drop half of the rest, go on)")
	fs.IntVar(&o.keep, "keep", 0, "tokens kept at the start of the text by a context shift (BOS always stays)")
	return c
}

// generate writes the prompt (unless hidden) and then each new token's
// text to out as it is produced; statistics go to log. Cancelling ctx
// stops generation: the statistics are printed and errInterrupted
// returned.
func generate(ctx context.Context, out, log io.Writer, m *llmparts.Model, o generateOpts) error {
	n := o.ctx
	if n == 0 && o.n >= 0 {
		ids, err := m.Tokenizer.Encode(o.prompt, tokenizer.EncodeOptions{AddBOS: m.Tokenizer.AddBOSDefault(), ParseSpecial: o.parseSpec})
		if err != nil {
			return err
		}
		// len(ids)+n may overflow (-n 9223372036854775807): compare instead.
		n = m.Net.Config.ContextLen
		if p := max(len(ids), 1); o.n < n-p {
			n = p + o.n
		}
	}
	s, err := m.NewSessionLimit(n, o.maxKV)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	last := byte('\n')
	write := func(text string) {
		if text != "" {
			w.WriteString(text)
			w.Flush()
			last = text[len(text)-1]
		}
	}
	if !o.hidePrompt {
		write(o.prompt)
	}
	if o.n != 0 {
		for piece, e := range s.Generate(ctx, o.prompt, llmparts.Params{Sample: o.params, MaxTokens: max(o.n, 0), ParseSpecial: o.parseSpec,
			ContextShift: o.n > 0 && !o.noShift, Keep: o.keep}) {
			if e != nil {
				err = e
				break
			}
			write(piece)
		}
	}
	st := s.Stats()
	if o.endNewline && last != '\n' {
		write("\n")
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	switch st.Stop {
	case llmparts.StopEnd:
		fmt.Fprintln(log, "stopped: end of text")
	case llmparts.StopContext:
		fmt.Fprintf(log, "stopped: context limit of %d tokens reached\n", s.Context())
	case llmparts.StopCancelled:
		fmt.Fprintln(log, "stopped: interrupted")
	}
	if st.Shifts > 0 {
		fmt.Fprintf(log, "context shifts: %d (context of %d tokens)\n", st.Shifts, s.Context())
	}
	fmt.Fprintf(log, "prompt: %d tokens in %v (%.1f tok/s); generated: %d tokens in %v (%.1f tok/s)\n",
		st.PromptTokens, st.PromptTime.Round(time.Microsecond), float64(st.PromptTokens)/st.PromptTime.Seconds(),
		st.Tokens, st.GenTime.Round(time.Microsecond), float64(st.Tokens)/st.GenTime.Seconds())
	if err != nil {
		return errInterrupted
	}
	return nil
}
