package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/kernel"
)

// The tests in this file run the built llmparts binary as a user would:
// it is built once per test binary (the first test that needs it) into a
// temporary folder removed by TestMain.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary returns the path of the built llmparts binary.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "llmparts-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "llmparts")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// result is what a run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// runBin runs the binary with args and stdin, and waits for it.
func runBin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{o.String(), e.String(), code}
}

// inTerminal runs the binary under script(1), so that its stdout and
// stderr are a terminal; it returns everything written, whatever the exit
// status (skipping the test when script is not installed).
func inTerminal(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not installed: cannot give the binary a terminal")
	}
	line := binary(t)
	for _, a := range args {
		line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	out, err := exec.Command("script", "-qec", line, "/dev/null").CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("script: %v\n%s", err, out)
	}
	return string(out)
}

func TestBinaryHelp(t *testing.T) {
	r := runBin(t, "", "--help")
	if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") {
		t.Fatalf("--help: exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
	for _, c := range newRoot().Commands() {
		if !c.Hidden && !strings.Contains(r.stdout, "  "+c.Name()+" ") {
			t.Errorf("--help does not list %s", c.Name())
		}
	}
	// Every subcommand's help goes to stdout with a synopsis and examples.
	for _, c := range newRoot().Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		args := []string{c.Name(), "--help"}
		r := runBin(t, "", args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:\n  llmparts "+c.Name()) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
		}
		_, ex, _ := strings.Cut(r.stdout, "Examples:\n")
		if ex, _, _ = strings.Cut(ex, "\n\n"); c.Name() != "bench" && !strings.Contains(ex, "llmparts "+c.Name()) {
			t.Errorf("%v: no examples:\n%s", args, r.stdout)
		}
	}
	r = runBin(t, "", "generate", "-h")
	for _, f := range []string{"-m, --model", "-p, --prompt", "-f, --file", "-n, --n-predict", "-c, --ctx-size", "-t, --threads",
		"--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--repeat-last-n", "-s, --seed", "--no-display-prompt", "--tokenizer"} {
		if !strings.Contains(r.stdout, f) {
			t.Errorf("generate -h lacks %s", f)
		}
	}
	// No arguments: the usage on stderr, exit 2.
	if r := runBin(t, ""); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no arguments: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBinaryVersion(t *testing.T) {
	r := runBin(t, "", "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "llmparts ") || !strings.Contains(r.stdout, "kernels ") || !strings.Contains(r.stdout, "go1.") {
		t.Fatalf("--version: exit %d, %q", r.code, r.stdout)
	}
}

// TestVersionOf checks the version line for a build stamped with VCS
// information (go build in a git checkout).
func TestVersionOf(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261204085458-ab73b7128daa"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "ab73b7128daa08dabd8e0d67ba10aa4442931a07"}, {Key: "vcs.modified", Value: "true"}}}
	want := "v0.0.0-20261204085458-ab73b7128daa (commit ab73b7128daa+modified, " + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ", kernels " + kernel.Impl() + ")"
	if got := versionOf(bi); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := versionOf(nil); !strings.HasPrefix(got, "(devel) (go") {
		t.Errorf("no build info: %q", got)
	}
}

func TestBinaryCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runBin(t, "", "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "llmparts") || len(r.stdout) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes", sh, r.code, len(r.stdout))
		}
	}
	// What the shell script asks the binary: flags of generate.
	r := runBin(t, "", "__complete", "generate", "--rep")
	if !strings.Contains(r.stdout, "--repeat-penalty") || !strings.Contains(r.stdout, "--repeat-last-n") {
		t.Errorf("__complete generate --rep: %q", r.stdout)
	}
	// -m completes model files: the shell is told to filter by extension.
	r = runBin(t, "", "__complete", "generate", "-m", "")
	if !strings.Contains(r.stdout, "gguf\nbin\n:8") {
		t.Errorf("__complete generate -m: %q, want the gguf and bin extensions (directive 8, filter by extension)", r.stdout)
	}
	r = runBin(t, "", "__complete", "to")
	if !strings.Contains(r.stdout, "tokenize") {
		t.Errorf("__complete to: %q", r.stdout)
	}
}

// TestBinaryOldSpellings: spellings that meant something else before the
// llama.cpp flag names give a one-line hint and exit 2.
func TestBinaryOldSpellings(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "-temp", "0"}, "llmparts generate: -temp: long flags take two dashes: --temp\n"},
		{[]string{"generate", "-t", "tok512.bin"}, "llmparts generate: -t is now the thread count, as in llama.cpp; for a tokenizer write --tokenizer tok512.bin\n"},
		{[]string{"op", "-list"}, "llmparts op: -list: long flags take two dashes: --list\n"},
		{[]string{"tokenize", "-m", "m.gguf", "-t", "tok.model", "Hi"}, "llmparts tokenize: -t: the tokenizer flag is now --tokenizer tok.model\n"},
		{[]string{"generate", "--bogus"}, "llmparts generate: unknown flag: --bogus\n"},
		{[]string{"generate", "-n", "-2"}, "llmparts generate: -n -2: want a number of tokens, or -1 for until the end of text or context\n"},
	} {
		r := runBin(t, "", c.args...)
		if r.code != 2 || r.stderr != c.want || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := runBin(t, "", "nosuchcommand"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "nosuchcommand"`) {
		t.Errorf("unknown command: exit %d, %q", r.code, r.stderr)
	}
	if r := runBin(t, "", "generate", "-m", "/nonexistent/model.gguf"); r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("missing model: exit %d, %q; want one line and exit 1", r.code, r.stderr)
	}
}

// copyright is the embedded model's greedy continuation of "// Copyright"
// (the package example's output).
const copyright = "// Copyright 2025 The Go Authors. All rights reserved.\n// Use of this source code is governed by a BSD-style"

func TestBinaryGenerate(t *testing.T) {
	// Positional prompt with flags after it.
	r := runBin(t, "", "generate", "// Copyright", "-n", "24", "--temp", "0")
	if r.code != 0 || r.stdout != copyright {
		t.Fatalf("exit %d, stdout %q, want %q; stderr %s", r.code, r.stdout, copyright, r.stderr)
	}
	if !strings.Contains(r.stderr, "prompt: 2 tokens") || !strings.Contains(r.stderr, "generated: 24 tokens") {
		t.Errorf("stderr: %s", r.stderr)
	}
	// The prompt from standard input, not echoed.
	r = runBin(t, "// Copyright", "generate", "-f", "-", "--no-display-prompt", "-n", "24", "--temp", "0")
	if r.code != 0 || r.stdout != strings.TrimPrefix(copyright, "// Copyright") {
		t.Fatalf("-f - --no-display-prompt: exit %d, stdout %q", r.code, r.stdout)
	}
	// -n -1: until the context (512 for the embedded model) is full.
	r = runBin(t, "", "generate", "-p", "// Copyright", "-n", "-1", "--temp", "0")
	if r.code != 0 || !strings.Contains(r.stderr, "context limit of 512 tokens reached") || !strings.HasPrefix(r.stdout, copyright) {
		t.Fatalf("-n -1: exit %d, stderr %s", r.code, r.stderr)
	}
	// -c limits the context; -s makes sampling reproducible.
	r = runBin(t, "", "generate", "-n", "-1", "-c", "40", "-s", "3")
	r2 := runBin(t, "", "generate", "-n", "-1", "--ctx-size", "40", "--seed", "3")
	if r.code != 0 || r.stdout != r2.stdout || !strings.Contains(r.stderr, "context limit of 40 tokens reached") {
		t.Fatalf("-c 40 -s 3: exit %d, %q vs %q, stderr %s", r.code, r.stdout, r2.stdout, r.stderr)
	}
	// Not a terminal: the output is the text, with no newline added.
	if strings.HasSuffix(runBin(t, "", "generate", "// Copyright", "-n", "3", "--temp", "0").stdout, "\n") {
		t.Error("a newline was added to output that is not a terminal")
	}
}

// TestBinaryTerminal: on a terminal the completion ends with a newline
// (the statistics start on a line of their own) and progress is redrawn
// in place; in a file it is plain lines.
func TestBinaryTerminal(t *testing.T) {
	out := inTerminal(t, "generate", "// Copyright", "-n", "3", "--temp", "0")
	i := strings.Index(out, "// Copyright 20")
	if i < 0 {
		t.Fatalf("no completion in %q", out)
	}
	rest := out[i:]
	if !strings.HasPrefix(rest, "// Copyright 2025 The\r\nprompt:") {
		t.Errorf("completion not ended by a newline on a terminal: %q", rest)
	}
	// tokenize with no text and a terminal for standard input says what to
	// give instead of waiting.
	out = inTerminal(t, "tokenize", "-m", "any.gguf")
	if !strings.Contains(out, "no text: give TEXT, -f FILE, or pipe the text into standard input") {
		t.Errorf("tokenize on a terminal: %q", out)
	}
	p := testdata.Path(t, "archs/llama.gguf")
	text := testdata.Path(t, "corpus/tinyshakespeare.txt")
	out = inTerminal(t, "perplexity", "-m", p, "-f", text, "-c", "128", "--chunks", "3")
	if !strings.Contains(out, "\r\033[K[") {
		t.Errorf("perplexity progress on a terminal is not redrawn in place: %q", out)
	}
	r := runBin(t, "", "perplexity", "-m", p, "-f", text, "-c", "128", "--chunks", "3")
	if r.code != 0 || strings.ContainsAny(r.stderr, "\r\033") || !strings.Contains(r.stderr, "[1/3] PPL") || !strings.Contains(r.stderr, "[3/3] PPL") {
		t.Errorf("perplexity progress in a file: exit %d, %q", r.code, r.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// interrupt starts the binary, waits until ready(stdout, stderr) holds,
// sends SIGINT (what Ctrl-C sends) and waits for it to exit.
func interrupt(t *testing.T, ready func(stdout, stderr string) bool, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var o, e syncBuffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.After(60 * time.Second)
	for !ready(o.String(), e.String()) {
		select {
		case <-done:
			t.Fatalf("%v ended before it could be interrupted: %s", args, e.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("%v: not ready after 60 s: %s", args, e.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v did not stop on SIGINT", args)
	}
	return result{o.String(), e.String(), cmd.ProcessState.ExitCode()}
}

// TestBinaryInterrupt sends SIGINT (Ctrl-C) during a long generation and
// a long perplexity run: the binary stops, prints its statistics (or the
// estimate so far) and exits with status 130.
func TestBinaryInterrupt(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "big.gguf")
	if r := runBin(t, "", "synth", "-o", model, "--dim", "256", "--hidden", "512", "--layers", "4", "--heads", "4", "--vocab", "4096", "--ctx", "8192"); r.code != 0 {
		t.Fatalf("synth: %s", r.stderr)
	}
	r := interrupt(t, func(out, _ string) bool { return len(out) > 8 },
		"generate", "-m", model, "-p", "a", "-n", "-1", "-t", "1", "--temp", "0")
	if r.code != 130 || !strings.Contains(r.stderr, "stopped: interrupted") || !strings.Contains(r.stderr, "generated: ") {
		t.Fatalf("generate: exit %d, want 130 and the timing line; stderr %s", r.code, r.stderr)
	}
	shakes, err := os.ReadFile(testdata.Path(t, "corpus/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, shakes[:65536], 0o644); err != nil {
		t.Fatal(err)
	}
	r = interrupt(t, func(_, errs string) bool { return strings.Contains(errs, "[1/") },
		"perplexity", "-m", model, "-f", text, "-c", "1024", "-t", "1", "--json")
	var got pplResult
	if r.code != 130 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Chunks < 1 || got.PPL <= 0 {
		t.Fatalf("perplexity: exit %d, want 130 and the estimate so far; stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
}
