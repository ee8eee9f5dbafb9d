package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/op"
)

func init() { register(newOpCmd) }

func newOpCmd() *cobra.Command {
	var list bool
	maxLine := "64M"
	c := &cobra.Command{
		Use:   "op [--list]",
		Short: "JSON lines in, JSON lines out (rms_norm, layer_norm, rope, rope_freqs, sinusoidal, alibi): check our numbers from any language",
		Long: `Answer JSON-lines requests read from standard input, one response line each on
standard output. Each input line is {"op":NAME,"id":ID,...}; each non-blank line gets one
output line {"id":ID,...} or {"id":ID,"error":"..."}. NaN, Infinity and
-Infinity are read and written as bare tokens. The exit status is 1 if any
line failed.`,
		Example: `  echo '{"op":"rms_norm","id":1,"n":4,"eps":1e-6,"x":[1,2,3,4]}' | llmparts op
  llmparts op --list`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := sysmem.ParseSize(maxLine)
			if err != nil || n < 1 || n > 1<<40 {
				return usageErrorf("--max-line %q: want a size such as 64M", maxLine)
			}
			return runOp(list, int(n))
		},
	}
	c.Flags().BoolVar(&list, "list", false, "print the known ops and exit")
	c.Flags().StringVar(&maxLine, "max-line", maxLine, "longest request line accepted (a longer one stops with an error)")
	return c
}

func runOp(list bool, maxLine int) error {
	if list {
		fmt.Println(strings.Join(op.Names(), "\n"))
		return nil
	}
	failed, err := op.RunLimit(os.Stdin, os.Stdout, maxLine)
	if err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "llmparts op: %d request(s) failed\n", failed)
		return exitCode(1)
	}
	return nil
}
