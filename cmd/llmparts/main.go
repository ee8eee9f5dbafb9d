// Command llmparts is the command-line front end of the llmparts packages:
// it runs the demos, the op runner, benchmarks, tokenizers, models and the
// trainer. Each subcommand lives in its own cmd_*.go file and registers
// itself in init with register (or registerBench for "bench X").
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
)

// command is one subcommand of llmparts.
type command struct {
	name    string
	summary string
	run     func(args []string) error
}

var (
	commands      = map[string]*command{}
	benchCommands = map[string]*command{}
)

// register adds a top-level subcommand. It panics on duplicate names, which
// is a programming error caught by any test or run.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("llmparts: duplicate command " + c.name)
	}
	commands[c.name] = c
}

// registerBench adds a "bench NAME" subcommand.
func registerBench(c *command) {
	if _, dup := benchCommands[c.name]; dup {
		panic("llmparts: duplicate bench command " + c.name)
	}
	benchCommands[c.name] = c
}

// exitCode is an error that carries a process exit status and no message
// of its own (the command has already reported what went wrong).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func init() {
	register(&command{name: "bench", summary: "measure kernels, tokenizers or generation (bench NAME -h)", run: runBench})
}

func runBench(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, "usage: llmparts bench NAME [flags]\n\nbenchmarks:")
		printTable(benchCommands)
		if len(args) == 0 {
			return exitCode(2)
		}
		return nil
	}
	c, ok := benchCommands[args[0]]
	if !ok {
		return fmt.Errorf("unknown benchmark %q (see llmparts bench -h)", args[0])
	}
	return c.run(args[1:])
}

func printTable(m map[string]*command) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, m[n].summary)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "llmparts: the parts of a modern LLM, in Go\n\nusage: llmparts COMMAND [flags]\n\ncommands:")
	printTable(commands)
}

func main() { os.Exit(run(os.Args[1:])) }

// run executes the command line and returns the process exit status.
func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "llmparts: unknown command %q\n", args[0])
		usage()
		return 2
	}
	if err := c.run(args[1:]); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		fmt.Fprintf(os.Stderr, "llmparts %s: %v\n", c.name, err)
		return 1
	}
	return 0
}
