package chart

import (
	"bytes"
	"image/png"
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

// TestBand: a series with a band colours the area between Lo and Hi, so
// far more pixels are non-white than for the line alone; a band of the
// wrong length is an error.
func TestBand(t *testing.T) {
	dir := t.TempDir()
	x, y, lo, hi := []float64{0, 10}, []float64{5, 5}, []float64{0, 0}, []float64{10, 10}
	inked := func(s Series) int {
		p := filepath.Join(dir, "band.png")
		if err := (Line{Series: []Series{s}}).Save(p, 0, 0); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		b := img.Bounds()
		for py := b.Min.Y; py < b.Max.Y; py++ {
			for px := b.Min.X; px < b.Max.X; px++ {
				if r, g, bl, _ := img.At(px, py).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
					n++
				}
			}
		}
		return n
	}
	plain, banded := inked(Series{X: x, Y: y}), inked(Series{X: x, Y: y, Lo: lo, Hi: hi})
	if banded < 5*plain {
		t.Errorf("band coloured %d pixels, line alone %d: band not drawn", banded, plain)
	}
	if err := (Line{Series: []Series{{X: x, Y: y, Lo: lo[:1], Hi: hi}}}).Save(filepath.Join(dir, "x.png"), 0, 0); err == nil {
		t.Error("band of the wrong length accepted")
	}
}
