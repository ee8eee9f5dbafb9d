// Package testdata finds the shared third-party test files (../shared/testdata
// beside the module root). Tests call Path and are skipped with a clear
// message when the folder or file is absent; the folder is read-only.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the shared testdata folder, or "" if it cannot be found.
// LLMPARTS_TESTDATA overrides the location.
func Root() string {
	if d := os.Getenv("LLMPARTS_TESTDATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "testdata")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
			// A nested module (or a vendored copy): keep walking up.
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the path of rel (e.g. "llama2c/stories260K.bin") inside the
// shared testdata folder, skipping the test when it is not there.
func Path(t testing.TB, rel string) string {
	t.Helper()
	root := Root()
	if root == "" {
		t.Skipf("shared testdata folder (../shared/testdata beside the module root) not found; skipping test that needs %s", rel)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test file %s not available: %v", p, err)
	}
	return p
}
