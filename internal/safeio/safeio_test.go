package safeio

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadFileRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := os.WriteFile(p, []byte(`{"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(p, 7, "")
	if err != nil || string(b) != `{"x":1}` {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	_, err = ReadFile(p, 6, "a JSON config file")
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("6-byte cap on a 7-byte file: err = %v, want ErrTooLarge", err)
	}
	want := p + ": too large: 7 bytes is more than the 6 bytes limit for a JSON config file"
	if err.Error() != want {
		t.Fatalf("message\n got %q\nwant %q", err, want)
	}
}

func TestRefusesDevicesAndDirs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "config.json")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", link, dir} {
		_, err := ReadFile(p, MaxConfig, "")
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadFile(%s): err = %v, want ErrNotRegular", p, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("message %q does not start with the path", err)
		}
	}
	_, err := ReadFileFS(os.DirFS(dir), "config.json", MaxConfig, "")
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("ReadFileFS through a symlink to /dev/zero: %v", err)
	}
}

// A reader that reports no size (like /proc files or stdin) is still
// bounded by the cap.
func TestReadAllBounded(t *testing.T) {
	_, err := ReadAll(io.LimitReader(zeros{}, 1<<30), "stdin", 1000, "a prompt")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1001 bytes is more than the 1000 bytes limit for a prompt") {
		t.Fatalf("ReadAll = %v", err)
	}
	fsys := fstest.MapFS{"current": {Data: []byte("step-000010\n")}}
	b, err := ReadFileFS(fsys, "current", MaxPointer, "")
	if err != nil || string(b) != "step-000010\n" {
		t.Fatalf("ReadFileFS = %q, %v", b, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestReadLine(t *testing.T) {
	in := "abc\r\n" + strings.Repeat("x", 20) + "\n" + strings.Repeat("y", 21) + "\nlast"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	for _, want := range []string{"abc", strings.Repeat("x", 20)} {
		got, err := ReadLine(br, 20)
		if err != nil || string(got) != want {
			t.Fatalf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadLine(br, 20); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "20 bytes limit") {
		t.Fatalf("21-byte line with cap 20: %v", err)
	}
	// Endless input without a newline stops at the cap.
	_, err := ReadLine(bufio.NewReader(zeros{}), 1<<20)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("endless line: %v", err)
	}
	br = bufio.NewReader(strings.NewReader("last"))
	if got, err := ReadLine(br, 20); err != nil || string(got) != "last" {
		t.Fatalf("final line without newline = %q, %v", got, err)
	}
	if _, err := ReadLine(br, 20); err != io.EOF {
		t.Fatalf("after the end: %v, want io.EOF", err)
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{17: "17 bytes", 4096: "4 KiB", 1536 << 20: "1.5 GiB", 256 << 30: "256 GiB"} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestWriteFileAtomicMode (issue 14 item 16): files are written 0644 (the
// temporary file's private 0600 is not kept), and a failed write leaves
// the old file and no temporary behind.
func TestWriteFileAtomicMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	if err := WriteFileAtomic(p, func(w io.Writer) error { _, err := w.Write([]byte("one")); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644", st.Mode().Perm(), err)
	}
	werr := errors.New("disk full")
	if err := WriteFileAtomic(p, func(w io.Writer) error { w.Write([]byte("two")); return werr }); err != werr {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("old file changed to %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary file left: %v", ents)
	}
}
