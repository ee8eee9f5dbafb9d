package checksum

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlippedBit (issue 14 item 13): one flipped bit in a listed file is a
// mismatch naming it; the list matches sha256sum's format.
func TestFlippedBit(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("weights"), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	if err := Write(dir, []string{"config.json", "model.safetensors"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, File))
	// sha256("{}") and sha256("weights"), as sha256sum prints them.
	want := "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  config.json\n" +
		"9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c  model.safetensors\n"
	if string(b) != want {
		t.Fatalf("SHA256SUMS =\n%s\nwant\n%s", b, want)
	}
	if found, err := Verify(os.DirFS(dir), "."); !found || err != nil {
		t.Fatalf("Verify = %v, %v", found, err)
	}
	os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("weightr"), 0o644) // 's'^1
	_, err := Verify(os.DirFS(dir), ".")
	if !errors.Is(err, ErrMismatch) || !strings.HasPrefix(err.Error(), "model.safetensors: SHA-256 mismatch") {
		t.Fatalf("flipped bit: %v", err)
	}
	os.Remove(filepath.Join(dir, "model.safetensors"))
	if _, err := Verify(os.DirFS(dir), "."); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Fatalf("missing file: %v", err)
	}
	os.Remove(filepath.Join(dir, File))
	if found, err := Verify(os.DirFS(dir), "."); found || err != nil {
		t.Fatalf("no list: %v, %v", found, err)
	}
	os.WriteFile(filepath.Join(dir, File), []byte("abc  ../etc/passwd\n"), 0o644)
	if _, err := Verify(os.DirFS(dir), "."); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad line: %v", err)
	}
}
