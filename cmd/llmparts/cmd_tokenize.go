package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/tokenizer"
)

func init() {
	register(newTokenizeCmd)
	registerBench(newBenchTokenizeCmd)
}

// tokenizeOut is where tokenize writes its result (tests replace it).
var tokenizeOut io.Writer = os.Stdout

// openTokenizer returns the tokenizer file tok if given, else the
// tokenizer of model (see llmparts.OpenTokenizer).
func openTokenizer(model, tok string) (tokenizer.Tokenizer, error) {
	if tok != "" {
		return tokenizer.LoadFile(tok)
	}
	if model == "" {
		return nil, usageErrorf("no model: pass -m MODEL (GGUF, checkpoint folder or tokenizer file)")
	}
	t, _, err := llmparts.OpenTokenizer(model)
	return t, err
}

func newTokenizeCmd() *cobra.Command {
	var (
		model, tok, file string
		noBOS, special   bool
	)
	c := &cobra.Command{
		Use:   "tokenize -m MODEL [--tokenizer TOK] [--no-bos] [--parse-special] [TEXT | -f FILE]",
		Short: "token ids of a text (or of standard input) as one JSON array",
		Long: `Print the token ids of TEXT (or of -f FILE, or of standard input when neither is
given) as one JSON array, with BOS/EOS added as the vocabulary asks unless --no-bos.
MODEL is a GGUF file, a checkpoint folder, a tokenizer file (tokenizer.json, .model,
tokenizer.bin), or a llama2.c checkpoint (its tokenizer.bin is found beside it).`,
		Example: `  llmparts tokenize -m model.gguf "Hello world"
  echo "Hello world" | llmparts tokenize -m model.gguf
  llmparts tokenize -m stories260K.bin -f story.txt --no-bos`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var text string
			switch {
			case file != "" && len(args) > 0:
				return usageErrorf("give either -f FILE or TEXT, not both")
			case file != "":
				b, err := readInput(file)
				if err != nil {
					return err
				}
				text = string(b)
			case len(args) == 1:
				text = args[0]
			case term.IsTerminal(int(os.Stdin.Fd())):
				return usageErrorf("no text: give TEXT, -f FILE, or pipe the text into standard input")
			default:
				b, err := readInput("-")
				if err != nil {
					return err
				}
				text = string(b)
			}
			return tokenize(text, model, tok, noBOS, special)
		},
	}
	fs := c.Flags()
	fs.StringVarP(&model, "model", "m", "", "model: GGUF file, checkpoint folder, tokenizer.json/.model/tokenizer.bin, or llama2.c .bin")
	fs.StringVar(&tok, "tokenizer", "", "tokenizer file (tokenizer.bin, .model, tokenizer.json, .gguf); overrides the model's")
	fs.BoolVar(&noBOS, "no-bos", false, "never add BOS (or EOS)")
	fs.BoolVar(&special, "parse-special", false, "match control tokens such as <s> written in the text")
	fs.StringVarP(&file, "file", "f", "", "read the text from this file (bytes used verbatim; - = standard input)")
	return c
}

// readInput reads a whole file, or standard input for "-".
func readInput(path string) ([]byte, error) {
	if path == "-" {
		return safeio.ReadAll(os.Stdin, "standard input", safeio.MaxText, "a text file")
	}
	return safeio.ReadFile(path, safeio.MaxText, "a text file")
}

func tokenize(text, model, tokPath string, noBOS, special bool) error {
	t, err := openTokenizer(model, tokPath)
	if err != nil {
		return err
	}
	opt := tokenizer.EncodeOptions{ParseSpecial: special}
	if !noBOS {
		opt.AddBOS = t.AddBOSDefault()
		if e, ok := t.(interface{ AddEOSDefault() bool }); ok {
			opt.AddEOS = e.AddEOSDefault()
		}
	}
	ids, err := t.Encode(text, opt)
	if err != nil {
		return err
	}
	b := make([]byte, 0, len(ids)*6+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	b = append(b, "]\n"...)
	_, err = tokenizeOut.Write(b)
	return err
}

func newBenchTokenizeCmd() *cobra.Command {
	var (
		model, tok, file string
		asJSON           bool
		runs             int
	)
	c := &cobra.Command{
		Use:     "tokenize -m VOCAB -f FILE [flags]",
		Short:   "tokenizer throughput (MB/s, tokens/s) on a file",
		Long:    "Encode FILE with the vocabulary of VOCAB (as for llmparts tokenize), best of --runs fresh loads, and report load, encode and decode times.",
		Example: "  llmparts bench tokenize -m ggml-vocab-gpt-2.gguf -f tinyshakespeare.txt --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" || (model == "" && tok == "") {
				return usageErrorf("need -m VOCAB (or --tokenizer) and -f FILE")
			}
			return benchTokenize(model, tok, file, asJSON, runs)
		},
	}
	fs := c.Flags()
	fs.StringVarP(&model, "model", "m", "", "vocabulary or model (as for llmparts tokenize)")
	fs.StringVar(&tok, "tokenizer", "", "tokenizer file, overriding the model's")
	fs.StringVarP(&file, "file", "f", "", "text to encode")
	fs.BoolVar(&asJSON, "json", false, "print one JSON line")
	fs.IntVar(&runs, "runs", 3, "runs (fresh load + encode each); the fastest is reported")
	return c
}

func benchTokenize(model, tokPath, file string, asJSON bool, runs int) error {
	data, err := safeio.ReadFile(file, safeio.MaxText, "a text file")
	if err != nil {
		return err
	}
	// Best of several runs, each loading a fresh tokenizer (cold caches):
	// the machine may be shared, and the minimum is the least disturbed.
	var (
		t              tokenizer.Tokenizer
		ids            []int
		load, enc, tot time.Duration
	)
	for r := 0; r < max(1, runs); r++ {
		t0 := time.Now()
		tr, err := openTokenizer(model, tokPath)
		if err != nil {
			return err
		}
		l := time.Since(t0)
		t1 := time.Now()
		out, err := tr.Encode(string(data), tokenizer.EncodeOptions{})
		if err != nil {
			return err
		}
		e := time.Since(t1)
		if r == 0 || l+e < tot {
			t, ids, load, enc, tot = tr, out, l, e, l+e
		}
	}
	t2 := time.Now()
	back := t.Decode(ids)
	dec := time.Since(t2)
	mbps := float64(len(data)) / 1e6 / enc.Seconds()
	tps := float64(len(ids)) / enc.Seconds()
	if asJSON {
		js, _ := json.Marshal(map[string]any{
			"vocab": filepath.Base(firstNonEmpty(tokPath, model)), "kind": t.Kind(), "file": filepath.Base(file),
			"bytes": len(data), "tokens": len(ids), "load_s": load.Seconds(), "encode_s": enc.Seconds(),
			"decode_s": dec.Seconds(), "total_s": tot.Seconds(), "runs": max(1, runs), "mb_per_s": mbps, "tokens_per_s": tps,
			"round_trip": back == string(data),
		})
		fmt.Fprintln(tokenizeOut, string(js))
		return nil
	}
	fmt.Fprintf(tokenizeOut, "vocabulary  %s (%s, %d tokens)\n", firstNonEmpty(tokPath, model), t.Kind(), t.VocabSize())
	fmt.Fprintf(tokenizeOut, "text        %s: %d bytes -> %d tokens (%.2f bytes/token)\n", file, len(data), len(ids), float64(len(data))/float64(max(1, len(ids))))
	fmt.Fprintf(tokenizeOut, "load        %.3f s\n", load.Seconds())
	fmt.Fprintf(tokenizeOut, "encode      %.3f s  %.2f MB/s  %.0f tokens/s\n", enc.Seconds(), mbps, tps)
	fmt.Fprintf(tokenizeOut, "decode      %.3f s  round trip %v\n", dec.Seconds(), back == string(data))
	fmt.Fprintf(tokenizeOut, "total       %.3f s (load + encode, best of %d runs)\n", tot.Seconds(), max(1, runs))
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
