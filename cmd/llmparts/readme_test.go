package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's command table from the CLI's help")

const (
	tableStart = "<!-- commands: generated from the CLI's help by `go generate ./cmd/llmparts`; do not edit -->\n"
	tableEnd   = "<!-- end of commands -->\n"
)

// commandTable is the README's command table: one row per command (and
// bench subcommand), its synopsis and its one-line help, as
// `llmparts --help` and `llmparts CMD --help` print them.
func commandTable() string {
	var b strings.Builder
	b.WriteString("| command | what it does |\n| --- | --- |\n")
	var rows func(c *cobra.Command)
	rows = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Hidden || s.Name() == "help" {
				continue
			}
			if s.HasAvailableSubCommands() && s.Name() != "completion" {
				rows(s)
				continue
			}
			use := strings.TrimSuffix(s.UseLine(), " [flags]")
			if s.Name() == "completion" {
				use = "llmparts completion bash|zsh|fish|powershell"
			}
			md := strings.NewReplacer("|", `\|`).Replace
			b.WriteString("| `" + md(use) + "` | " + md(s.Short) + " |\n")
		}
	}
	rows(newRoot())
	return b.String()
}

// TestREADMECommandTable checks that the README's command table is the
// one the CLI's help gives (go generate ./cmd/llmparts rewrites it).
func TestREADMECommandTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, tableStart)
	j := strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q … %q", tableStart, tableEnd)
	}
	want := readme[:i+len(tableStart)] + commandTable() + readme[j:]
	if want == readme {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's command table is out of date: run go generate ./cmd/llmparts")
}
