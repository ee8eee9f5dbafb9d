package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/llmparts/llmparts/op"
)

func init() {
	register(&command{
		name:    "op",
		summary: "answer JSON-lines requests on stdin (rms_norm, layer_norm, rope, ...) for checking numbers",
		run:     runOp,
	})
}

func runOp(args []string) error {
	fs := flag.NewFlagSet("op", flag.ContinueOnError)
	list := fs.Bool("list", false, "print the known ops and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: llmparts op [-list] < requests.jsonl > responses.jsonl

Each input line is {"op":NAME,"id":ID,...}; each non-blank line gets one
output line {"id":ID,...} or {"id":ID,"error":"..."}. NaN, Infinity and
-Infinity are read and written as bare tokens. The exit status is 1 if any
line failed. Example:
  echo '{"op":"rms_norm","id":1,"n":4,"eps":1e-6,"x":[1,2,3,4]}' | llmparts op`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return exitCode(2)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (requests are read from stdin)", fs.Args())
	}
	if *list {
		fmt.Println(strings.Join(op.Names(), "\n"))
		return nil
	}
	failed, err := op.Run(os.Stdin, os.Stdout)
	if err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "llmparts op: %d request(s) failed\n", failed)
		return exitCode(1)
	}
	return nil
}
