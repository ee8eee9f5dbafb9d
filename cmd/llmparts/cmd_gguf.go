package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/llmparts/llmparts/format/gguf"
)

func init() {
	register(&command{name: "gguf", summary: "dump the metadata and tensor directory of GGUF files", run: runGGUF})
}

func runGGUF(args []string) error {
	fs := flag.NewFlagSet("gguf", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: llmparts gguf [-n N | -all] FILE.gguf...\n\nPrints the header, every metadata key/value and every tensor (name, type,\nshape in ggml order, size and offset) of each file.\n\nflags:")
		fs.PrintDefaults()
	}
	n := fs.Int("n", 8, "show at most `N` elements of each metadata array")
	all := fs.Bool("all", false, "show every array element")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(2)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitCode(2)
	}
	if *n < 0 {
		fmt.Fprintf(os.Stderr, "llmparts gguf: -n %d: must be at least 0 (use -all for every element)\n", *n)
		return exitCode(2)
	}
	if *all {
		*n = -1
	}
	for i, path := range fs.Args() {
		if i > 0 {
			fmt.Println()
		}
		if err := dumpGGUF(os.Stdout, path, *n); err != nil {
			return err
		}
	}
	return nil
}

func dumpGGUF(w io.Writer, path string, maxArray int) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Dump(w, maxArray)
}
