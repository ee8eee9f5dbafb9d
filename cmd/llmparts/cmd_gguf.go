package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/format/gguf"
)

func init() { register(newGGUFCmd) }

func newGGUFCmd() *cobra.Command {
	var (
		n   int
		all bool
	)
	c := &cobra.Command{
		Use:   "gguf [flags] FILE.gguf...",
		Short: "dump the metadata and tensor directory of GGUF files",
		Long: `Print the header, every metadata key/value and every tensor (name, type,
shape in ggml order, size and offset) of each file.`,
		Example: `  llmparts gguf model.gguf
  llmparts gguf --all -n 0 model.gguf`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 0 {
				return usageErrorf("-n %d: must be at least 0 (use --all for every element)", n)
			}
			if all {
				n = -1
			}
			for i, path := range args {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				if err := dumpGGUF(cmd.OutOrStdout(), path, n); err != nil {
					return err
				}
			}
			return nil
		},
	}
	c.Flags().IntVarP(&n, "array-elements", "n", 8, "show at most `N` elements of each metadata array")
	c.Flags().BoolVar(&all, "all", false, "show every array element")
	return c
}

func dumpGGUF(w io.Writer, path string, maxArray int) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Dump(w, maxArray)
}
