// Command llmparts is the command-line front end of the llmparts packages:
// it generates text, tokenizes, describes models, runs the demos, the op
// runner, benchmarks and the trainer. It is built on cobra: flags may come
// before or after positional arguments, `llmparts help CMD` and
// `llmparts CMD --help` print a synopsis and examples on stdout, and
// `llmparts completion bash|zsh|fish|powershell` writes a completion script.
// Flag names follow llama.cpp where the meaning is the same (-m, -p, -f, -n,
// -c/--ctx-size, -t/--threads, --temp, --top-k, ...).
//
// # Adding a subcommand
//
// Each subcommand lives in its own cmd_NAME.go file and registers a
// constructor in init; the constructor builds a fresh *cobra.Command each
// time (tests run the command line many times in one process):
//
//	func init() { register(newHelloCmd) } // registerBench for "bench NAME"
//
//	func newHelloCmd() *cobra.Command {
//		var n int
//		c := &cobra.Command{
//			Use:     "hello [flags] NAME",
//			Short:   "one line: shown in `llmparts --help` and the README table",
//			Long:    "What it does, in a paragraph or two.",
//			Example: "  llmparts hello -n 2 world",
//			Args:    exactArgs(1), // noArgs, exactArgs, rangeArgs, minArgs: usage errors exit 2
//			RunE: func(cmd *cobra.Command, args []string) error {
//				for range n {
//					fmt.Fprintln(cmd.OutOrStdout(), "hello", args[0])
//				}
//				return nil // an error prints "llmparts hello: ERR" and exits 1
//			},
//		}
//		c.Flags().IntVarP(&n, "count", "n", 1, "how many times")
//		return c
//	}
//
// Results go to cmd.OutOrStdout(), progress and statistics to
// cmd.ErrOrStderr(). Commands that load a model share modelFlags
// (mf.add(c.Flags()); mf.open()). Return usageErrorf(...) for a bad flag
// value (exit 2) and exitCode(n) for a status whose message was already
// printed. After adding a command run `go generate ./cmd/llmparts` to
// refresh the README's command table (a test checks it is current).
package main

//go:generate go test . -run TestREADMECommandTable -update-readme

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/kernel"
)

var (
	commands      []func() *cobra.Command
	benchCommands []func() *cobra.Command
)

// register adds the constructor of a top-level subcommand.
func register(f func() *cobra.Command) { commands = append(commands, f) }

// registerBench adds the constructor of a "bench NAME" subcommand.
func registerBench(f func() *cobra.Command) { benchCommands = append(benchCommands, f) }

// exitCode is an error that carries a process exit status and no message
// of its own (the command has already reported what went wrong).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line: it is reported with a hint
// to --help and exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usageError with a formatted message.
func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// errInterrupted reports that Ctrl-C stopped a command (exit status 130,
// as a shell reports a process killed by SIGINT).
var errInterrupted = errors.New("interrupted")

// Positional-argument checks whose failures are usage errors.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected arguments %q", args)
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("want %d argument(s), got %d: %q", n, len(args), args)
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageErrorf("want %d to %d arguments, got %d: %q", lo, hi, len(args), args)
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErrorf("want at least %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

// version describes the build: module version, VCS commit, Go version,
// platform and the kernel implementation chosen for this CPU.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi)
}

// versionOf is version for the build information bi (nil: none).
func versionOf(bi *debug.BuildInfo) string {
	v := "(devel)"
	var parts []string
	if bi != nil {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		rev, mod := "", ""
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				mod = "+modified"
			}
		}
		if rev != "" {
			parts = append(parts, fmt.Sprintf("commit %.12s%s", rev, mod))
		}
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, "kernels "+kernel.Impl())
	return v + " (" + strings.Join(parts, ", ") + ")"
}

// newRoot builds the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "llmparts",
		Short: "the parts of a modern LLM, in Go",
		Long: `llmparts: the parts of a modern LLM, in Go.

Generate text with the embedded default model or a llama2.c / GGUF / checkpoint model,
tokenize, describe models, check the parts' properties, benchmark and train.`,
		Example: `  llmparts generate                                  # the embedded default model
  llmparts generate -m model.gguf "Once upon a time" -n 64 --temp 0
  llmparts tokenize -m model.gguf "Hello world"
  llmparts help generate`,
		Version:           version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetVersionTemplate("llmparts {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err.Error()}
	})
	for _, f := range commands {
		root.AddCommand(f())
	}
	bench := &cobra.Command{
		Use:   "bench",
		Short: "measure kernels, tokenizers or generation (llmparts bench NAME --help)",
		Long:  "Benchmarks: each reports throughput against this machine's limits (docs/BENCHMARKS.md).",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown benchmark %q (see llmparts bench --help)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Help()
			return exitCode(2)
		},
	}
	for _, f := range benchCommands {
		bench.AddCommand(f())
	}
	root.AddCommand(bench)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

func main() { os.Exit(run(os.Args[1:])) }

// run executes the command line and returns the process exit status.
func run(args []string) int {
	return report(os.Stderr, args, execute(args))
}

// execute runs the command line and returns its error.
func execute(args []string) error {
	root := newRoot()
	root.SetArgs(args)
	if len(args) == 0 {
		root.SetOut(os.Stderr)
		root.Help()
		return exitCode(2)
	}
	c, err := root.ExecuteC()
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			if h := hint(c, args); h != "" {
				ue.msg = h
			}
			ue.msg = commandName(c) + ": " + ue.msg
		}
	}
	return err
}

// commandName is "llmparts X Y" for the command c.
func commandName(c *cobra.Command) string {
	if c == nil {
		return "llmparts"
	}
	return c.CommandPath()
}

// report prints err on w and returns the exit status for it.
func report(w io.Writer, args []string, err error) int {
	var ec exitCode
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec)
	case errors.Is(err, errInterrupted):
		return 130
	case errors.As(err, &ue):
		fmt.Fprintln(w, ue.msg)
		return 2
	case strings.HasPrefix(err.Error(), "unknown command"):
		fmt.Fprintf(w, "llmparts: %v\n", err)
		return 2
	}
	name := "llmparts"
	if len(args) > 0 {
		// Name the subcommand (the first argument that is not a flag).
		root := newRoot()
		if c, _, ferr := root.Find(args); ferr == nil && c != root {
			name = c.CommandPath()
		}
	}
	// The library names its package ("train: …", "op: …"); when that is
	// the subcommand's own name, say it once.
	msg := err.Error()
	if i := strings.LastIndexByte(name, ' '); i >= 0 {
		msg = strings.TrimPrefix(msg, name[i+1:]+": ")
	}
	fmt.Fprintf(w, "%s: %s\n", name, msg)
	return 1
}

// hint explains a flag error caused by a spelling that meant something
// else before the move to llama.cpp's names: Go's flag package accepted
// -temp for --temp, and -t was the tokenizer (now the thread count). It
// returns "" when no hint applies.
func hint(c *cobra.Command, args []string) string {
	if c == nil {
		return ""
	}
	fs := c.Flags()
	for i, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") || len(a) < 2 {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && fs.Lookup(name) != nil {
			return fmt.Sprintf("%s: long flags take two dashes: --%s", a, a[1:])
		}
		if a == "-t" && i+1 < len(args) && fs.Lookup("tokenizer") != nil {
			if _, err := strconv.Atoi(args[i+1]); err != nil {
				if fs.ShorthandLookup("t") == nil {
					return fmt.Sprintf("-t: the tokenizer flag is now --tokenizer %s", args[i+1])
				}
				return fmt.Sprintf("-t is now the thread count, as in llama.cpp; for a tokenizer write --tokenizer %s", args[i+1])
			}
		}
	}
	return ""
}
