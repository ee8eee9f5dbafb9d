package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withStdio runs f with stdin read from in and returns what it wrote to stdout.
func withStdio(t *testing.T, in string, f func()) string {
	t.Helper()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(inPath, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	inF, err := os.Open(inPath)
	if err != nil {
		t.Fatal(err)
	}
	defer inF.Close()
	outF, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	oldIn, oldOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = inF, outF
	defer func() { os.Stdin, os.Stdout = oldIn, oldOut }()
	f()
	outF.Close()
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOpCommand(t *testing.T) {
	var code int
	out := withStdio(t, `{"op":"rms_norm","id":1,"n":4,"eps":1e-6,"x":[1,2,3,4]}`+"\n", func() { code = run([]string{"op"}) })
	if code != 0 || out != `{"id":1,"y":[0.36514834,0.7302967,1.095445,1.4605933]}`+"\n" {
		t.Errorf("exit %d, output %q", code, out)
	}
	out = withStdio(t, "{\"op\":\"rms_norm\",\"id\":1,\"n\":4,\"eps\":-1,\"x\":[1,2,3,4]}\n\n{\"op\":\"layer_norm\",\"id\":2,\"n\":1,\"eps\":0,\"x\":[NaN]}\n", func() { code = run([]string{"op"}) })
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 2 || !strings.Contains(lines[0], `"error"`) || lines[1] != `{"id":2,"y":[NaN]}` {
		t.Errorf("exit %d, output %q", code, out)
	}
	out = withStdio(t, "", func() { code = run([]string{"op", "--list"}) })
	if code != 0 || !strings.Contains(out, "rms_norm\n") || !strings.Contains(out, "layer_norm") {
		t.Errorf("op -list: exit %d, output %q", code, out)
	}
	if code = run([]string{"op", "extra"}); code != 2 {
		t.Errorf("op with an argument: exit %d", code)
	}
}

func TestDemoCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "figs")
	var code int
	out := withStdio(t, "", func() { code = run([]string{"demo", "--out", dir}) })
	if code != 0 || !strings.Contains(out, "PASS") || strings.Contains(out, "FAIL") || !strings.Contains(out, "checks passed") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "rope_decay.png"))
	if err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("rope_decay.png: %v", err)
	}
	if code = run([]string{"demo", "extra"}); code != 2 {
		t.Errorf("demo with an argument: exit %d", code)
	}
}
