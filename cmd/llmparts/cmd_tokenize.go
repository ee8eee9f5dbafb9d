package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llmparts/llmparts/tokenizer"
)

func init() {
	register(&command{name: "tokenize", summary: "print the token ids of a text as a JSON array", run: runTokenize})
	registerBench(&command{name: "tokenize", summary: "tokenizer throughput (MB/s, tokens/s) on a file", run: runBenchTokenize})
}

// tokenizeOut is where tokenize writes its result (tests replace it).
var tokenizeOut io.Writer = os.Stdout

// parseInterleaved parses flags that may come before or after positional
// arguments and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// openTokenizer finds the tokenizer of MODEL: a GGUF file (its vocabulary),
// a checkpoint folder (tokenizer.json, possibly in the subfolder named by
// "current"), a tokenizer file itself, or a llama2.c checkpoint with -t.
func openTokenizer(model, tok string) (tokenizer.Tokenizer, error) {
	if tok != "" {
		return tokenizer.LoadFile(tok)
	}
	if model == "" {
		return nil, errors.New("no model: pass -m MODEL (GGUF, checkpoint folder or tokenizer file)")
	}
	st, err := os.Stat(model)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() && strings.HasSuffix(model, ".bin") {
		t, err := tokenizer.LoadLlama2C(model)
		if err == nil {
			return t, nil
		}
		// A llama2.c checkpoint: look for its tokenizer beside it.
		dir := filepath.Dir(model)
		names := []string{"tokenizer.bin", "tokenizer.model"}
		if v := llama2cVocab(model); v > 0 {
			names = append([]string{fmt.Sprintf("tok%d.bin", v), fmt.Sprintf("tok%d.model", v)}, names...)
		}
		for _, name := range names {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return tokenizer.LoadFile(filepath.Join(dir, name))
			}
		}
		return nil, fmt.Errorf("%s is not a tokenizer.bin (%v); for a llama2.c checkpoint pass its tokenizer with -t tokenizer.bin or -t tokenizer.model", model, err)
	}
	return tokenizer.LoadFile(model)
}

// llama2cVocab reads vocab_size from a llama2.c checkpoint header (seven
// int32: dim, hidden, layers, heads, kv heads, vocab, seq_len; a negative
// vocab marks unshared classifier weights), or 0.
func llama2cVocab(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var h [28]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0
	}
	v := int32(uint32(h[20]) | uint32(h[21])<<8 | uint32(h[22])<<16 | uint32(h[23])<<24)
	if v < 0 {
		v = -v
	}
	if v > 1<<22 {
		return 0
	}
	return int(v)
}

func runTokenize(args []string) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	model := fs.String("m", "", "model: GGUF file, checkpoint folder, tokenizer.json/.model/tokenizer.bin, or llama2.c .bin with -t")
	tok := fs.String("t", "", "tokenizer file (tokenizer.bin, .model, tokenizer.json, .gguf); overrides the model's")
	noBOS := fs.Bool("no-bos", false, "never add BOS (or EOS)")
	special := fs.Bool("parse-special", false, "match control tokens such as <s> written in the text")
	file := fs.String("file", "", "read the text from this file (bytes used verbatim)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: llmparts tokenize -m MODEL [-t TOKENIZER] [--no-bos] [--parse-special] [--file F | TEXT]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(2)
	}
	var text string
	switch {
	case *file != "" && len(pos) > 0:
		return errors.New("give either --file or TEXT, not both")
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		text = string(b)
	case len(pos) == 1:
		text = pos[0]
	case len(pos) > 1:
		return fmt.Errorf("TEXT must be one argument (quote it); got %d", len(pos))
	default:
		fs.Usage()
		return exitCode(2)
	}
	t, err := openTokenizer(*model, *tok)
	if err != nil {
		return err
	}
	opt := tokenizer.EncodeOptions{ParseSpecial: *special}
	if !*noBOS {
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

func runBenchTokenize(args []string) error {
	fs := flag.NewFlagSet("bench tokenize", flag.ContinueOnError)
	model := fs.String("m", "", "vocabulary or model (as for llmparts tokenize)")
	tok := fs.String("t", "", "tokenizer file, overriding the model's")
	file := fs.String("file", "", "text to encode")
	asJSON := fs.Bool("json", false, "print one JSON line")
	runs := fs.Int("runs", 3, "runs (fresh load + encode each); the fastest is reported")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: llmparts bench tokenize -m VOCAB --file F [--runs N] [--json]")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(2)
	}
	if *file == "" || (*model == "" && *tok == "") {
		fs.Usage()
		return exitCode(2)
	}
	data, err := os.ReadFile(*file)
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
	for r := 0; r < max(1, *runs); r++ {
		t0 := time.Now()
		tr, err := openTokenizer(*model, *tok)
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
	if *asJSON {
		js, _ := json.Marshal(map[string]any{
			"vocab": filepath.Base(firstNonEmpty(*tok, *model)), "kind": t.Kind(), "file": filepath.Base(*file),
			"bytes": len(data), "tokens": len(ids), "load_s": load.Seconds(), "encode_s": enc.Seconds(),
			"decode_s": dec.Seconds(), "total_s": tot.Seconds(), "runs": max(1, *runs), "mb_per_s": mbps, "tokens_per_s": tps,
			"round_trip": back == string(data),
		})
		fmt.Fprintln(tokenizeOut, string(js))
		return nil
	}
	fmt.Fprintf(tokenizeOut, "vocabulary  %s (%s, %d tokens)\n", firstNonEmpty(*tok, *model), t.Kind(), t.VocabSize())
	fmt.Fprintf(tokenizeOut, "text        %s: %d bytes -> %d tokens (%.2f bytes/token)\n", *file, len(data), len(ids), float64(len(data))/float64(max(1, len(ids))))
	fmt.Fprintf(tokenizeOut, "load        %.3f s\n", load.Seconds())
	fmt.Fprintf(tokenizeOut, "encode      %.3f s  %.2f MB/s  %.0f tokens/s\n", enc.Seconds(), mbps, tps)
	fmt.Fprintf(tokenizeOut, "decode      %.3f s  round trip %v\n", dec.Seconds(), back == string(data))
	fmt.Fprintf(tokenizeOut, "total       %.3f s (load + encode, best of %d runs)\n", tot.Seconds(), max(1, *runs))
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
