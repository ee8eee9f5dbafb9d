package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestLineAndBarWritePNG(t *testing.T) {
	dir := t.TempDir()
	l := Line{Title: "t", XLabel: "x", YLabel: "y", Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 4, 9}}}}
	p := filepath.Join(dir, "l.png")
	if err := l.Save(p, 0, 0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("not a PNG: % x", b[:8])
	}
	bar := Bar{Title: "b", Labels: []string{"a", "b"}, Values: []float64{0.5, 1.2}, RefLine: 1}
	if err := bar.Save(filepath.Join(dir, "b.svg"), 0, 0); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := Line{Series: []Series{{X: []float64{1}, Y: nil}}}
	if err := bad.Save(filepath.Join(dir, "x.png"), 0, 0); err == nil {
		t.Fatal("mismatched series accepted")
	}
	ok := Line{Series: []Series{{X: []float64{1}, Y: []float64{1}}}}
	if err := ok.Save(filepath.Join(dir, "x.gif"), 0, 0); err == nil {
		t.Fatal("unsupported extension accepted")
	}
}
