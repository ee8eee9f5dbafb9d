package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/demo"
)

func init() { register(newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "property checks of RMSNorm, LayerNorm, RoPE, sinusoidal PE and ALiBi with measured numbers, and PNG figures",
		Long: `Print each property check of RMSNorm, LayerNorm, RoPE and sinusoidal positions
with its measured value, and write PNG figures to DIR. The exit status is 1 if a
check fails.`,
		Example: "  llmparts demo --out /tmp/figs",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runDemo(out) },
	}
	c.Flags().StringVar(&out, "out", "llmparts-demo", "directory for the PNG figures (created)")
	return c
}

func runDemo(out string) error {
	checks, err := demo.Run(os.Stdout, out)
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
