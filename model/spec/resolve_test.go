package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestResolveFS(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want string // "" with err
		err  string
	}{
		{"step folder", fstest.MapFS{"config.json": file("{}")}, ".", ""},
		{"output folder", fstest.MapFS{"current": file("step-000010\n"), "step-000010/config.json": file("{}")}, "step-000010", ""},
		{"config.json wins over current", fstest.MapFS{"config.json": file("{}"), "current": file("step-000010\n")}, ".", ""},
		{"neither", fstest.MapFS{"x": file("")}, "", "neither a checkpoint folder (no config.json) nor a training output folder"},
		{"empty pointer", fstest.MapFS{"current": file("\n")}, "", `current names an invalid folder ""`},
		{"parent", fstest.MapFS{"current": file("..\n")}, "", `invalid folder ".."`},
		{"nested", fstest.MapFS{"current": file("a/b\n")}, "", `invalid folder "a/b"`},
		{"absolute", fstest.MapFS{"current": file("/etc\n")}, "", `invalid folder "/etc"`},
		{"backslash", fstest.MapFS{"current": file(`a\b`)}, "", `invalid folder "a\\b"`},
		{"huge pointer", fstest.MapFS{"current": file(strings.Repeat("x", 1<<20))}, "", "too large"},
	} {
		got, err := ResolveFS(tc.fsys, ".")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: ResolveFS = %q, %v; want error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: ResolveFS = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	// A folder below the root.
	fsys := fstest.MapFS{"out/current": file("step-2"), "out/step-2/config.json": file("{}")}
	if got, err := ResolveFS(fsys, "out"); err != nil || got != "out/step-2" {
		t.Errorf("ResolveFS(out) = %q, %v", got, err)
	}
}

func TestResolve(t *testing.T) {
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "step-000003"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "step-000003", "config.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(out, "current"), []byte("step-000003\n"), 0o644)
	want := filepath.Join(out, "step-000003")
	for _, dir := range []string{out, want} {
		if got, err := Resolve(dir); err != nil || got != want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", dir, got, err, want)
		}
	}
	empty := t.TempDir()
	if _, err := Resolve(empty); err == nil || !strings.Contains(err.Error(), empty+" is neither") {
		t.Errorf("Resolve(empty folder) = %v", err)
	}
	if _, err := Resolve(filepath.Join(empty, "missing")); err == nil {
		t.Error("Resolve(missing folder) succeeded")
	}
}
