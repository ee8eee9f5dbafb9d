package demo

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/posenc"
)

func TestRunWritesFiguresAndPasses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	var buf bytes.Buffer
	checks, err := Run(&buf, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	if len(checks) < 10 {
		t.Errorf("only %d checks", len(checks))
	}
	for _, c := range checks {
		if !c.Pass {
			t.Errorf("check failed: %v", c)
		}
		if !strings.Contains(buf.String(), c.Name) {
			t.Errorf("check %q not printed", c.Name)
		}
	}
	for _, f := range Figures {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 1000 {
			t.Errorf("%s is not a PNG (%d bytes)", f, len(b))
		}
	}
}

// TestDecayBound checks the bound against values that follow from its
// definition: at m = 0 every S_j = j, so the bound is (d/2 + 1)/2; with a
// single frequency it is |e^{imθ}| = 1.
func TestDecayBound(t *testing.T) {
	f, err := posenc.InvFreqs(10000, 128)
	if err != nil {
		t.Fatal(err)
	}
	if got := DecayBound(f, 0); math.Abs(got-32.5) > 1e-12 {
		t.Errorf("bound at m=0 = %v, want 32.5", got)
	}
	if got := DecayBound([]float64{0.3}, 17); math.Abs(got-1) > 1e-12 {
		t.Errorf("single frequency bound = %v, want 1", got)
	}
	// Two frequencies 0 and π at m = 1: S_1 = 1, S_2 = 1 + e^{iπ} = 0.
	if got := DecayBound([]float64{0, math.Pi}, 1); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("bound = %v, want 0.5", got)
	}
}

func TestRunBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(&bytes.Buffer{}, filepath.Join(file, "sub")); err == nil {
		t.Error("Run into a path under a file succeeded")
	}
}
