package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/llmparts/llmparts/demo"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "check the parts' properties (RMSNorm, LayerNorm, RoPE) and draw figures (--out DIR)",
		run:     runDemo,
	})
}

func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	out := fs.String("out", "llmparts-demo", "directory for the PNG figures (created)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: llmparts demo [--out DIR]\n\nPrints each property check with its measured value and writes PNG figures.\nThe exit status is 1 if a check fails.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return exitCode(2)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	checks, err := demo.Run(os.Stdout, *out)
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range checks {
		if !c.Pass {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "llmparts demo: %d of %d checks FAILED\n", failed, len(checks))
		return exitCode(1)
	}
	fmt.Printf("all %d checks passed\n", len(checks))
	return nil
}
