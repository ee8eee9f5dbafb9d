package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileGenerateFlags (issue 14 items 6, 9, 14, 17): absurd or
// conflicting generate flags give a one-line error or the right result.
func TestHostileGenerateFlags(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "prompt.txt")
	os.WriteFile(pf, []byte("func f() {"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "-p", "x", "-f", pf}, "give the prompt once: -p or -f, not both"},
		{[]string{"generate", "-f", "/dev/zero"}, "/dev/zero: not a regular file: it is a character device"},
		{[]string{"generate", "-f", dir}, "not a regular file: it is a directory"},
		{[]string{"generate", "--threads", "100000"}, "--threads 100000: want 0 (all cores) to 1024"},
		{[]string{"generate", "-m", "/dev/zero"}, "model: /dev/zero: not a regular file"},
		{[]string{"generate", "--max-kv-memory", "lots"}, "--max-kv-memory: size \"lots\""},
		{[]string{"generate", "--max-kv-memory", "1K", "-n", "5"}, "but 1 KiB of memory is available (the limit)"},
	} {
		_, errs, code := capture(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error containing %q", tc.args, code, errs, tc.want)
		}
	}
	// -n at the top of int64 (len(ids)+n overflowed) runs to the context
	// limit of the embedded model instead of emitting one token (without
	// --no-context-shift it would go on shifting the context for ever).
	out, errs, code := capture(t, "generate", "-n", "9223372036854775807", "--temp", "0", "--no-context-shift")
	if code != 0 || !strings.Contains(errs, "context limit of 512 tokens reached") || len(out) < 100 {
		t.Fatalf("-n MaxInt64: exit %d, %d bytes out, stderr %s", code, len(out), errs)
	}
}

// TestHostileTokenizeInputs (item 6): tokenize --file of a device or a
// FIFO is an error naming it, not an endless read.
func TestHostileTokenizeInputs(t *testing.T) {
	_, errs, code := capture(t, "tokenize", "--file", "/dev/zero")
	if code == 0 || !strings.Contains(errs, "/dev/zero: not a regular file") {
		t.Errorf("tokenize --file /dev/zero: exit %d, %q", code, errs)
	}
}

// TestHostileTrainFlags (items 3, 6, 12, 15): careless train flags are
// one-line errors before any step runs.
func TestHostileTrainFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "d.txt")
	os.WriteFile(data, []byte(strings.Repeat("hello world. ", 400)), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", "/dev/zero"}, "/dev/zero: not a regular file"},
		{[]string{"--out", ""}, "--out is empty"},
		{[]string{"--hidden", "-5"}, "hidden -5 must be in"},
		{[]string{"--hidden", "4611686018427387904"}, "hidden 4611686018427387904 must be in"},
		{[]string{"--save-every", "-1"}, "save-every -1"},
		{[]string{"--warmup", "500", "--steps", "10"}, "warmup 500 is longer than steps 10"},
		{[]string{"--max-memory", "1M"}, "but 1 MiB of memory is available (the limit)"},
		{[]string{"--max-data", "100"}, "more than the 100 bytes limit"},
		{[]string{"--max-memory", "lots"}, "invalid argument"},
	} {
		args := append([]string{"train", "--data", data, "--out", t.TempDir(), "--dim", "16", "--layers", "1", "--heads", "2", "--ctx", "8", "--steps", "10", "--warmup", "1"}, tc.args...)
		_, errs, code := capture(t, args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestHostileMessagePrefix (item 17): the subcommand's name and the
// library's package prefix are not repeated ("llmparts train: train: …").
func TestHostileMessagePrefix(t *testing.T) {
	_, errs, code := capture(t, "train", "--out", t.TempDir(), "--hidden", "-5")
	if code == 0 || !strings.Contains(errs, "\nllmparts train: invalid configuration: hidden -5") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
