//go:build unix

package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/internal/testutil"
)

// TestHostileTokenizerPaths (items 5, 6): tokenizer paths that are
// devices, FIFOs or links to them, and checkpoint folders whose current
// or tokenizer.json is one, are refused at once.
func TestHostileTokenizerPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "tok.bin")
	testutil.FIFO(t, fifo)
	ck := filepath.Join(dir, "ck")
	os.Mkdir(ck, 0o755)
	os.Symlink("/dev/zero", filepath.Join(ck, "current"))
	ck2 := filepath.Join(dir, "ck2")
	os.Mkdir(ck2, 0o755)
	os.Symlink("/dev/zero", filepath.Join(ck2, "tokenizer.json"))
	for _, tc := range []struct {
		name string
		load func() error
		want string
	}{
		{"LoadLlama2C(/dev/zero)", func() error { _, err := LoadLlama2C("/dev/zero"); return err }, "/dev/zero: not a regular file"},
		{"LoadSentencePiece(FIFO)", func() error { _, err := LoadSentencePiece(fifo); return err }, "tok.bin: not a regular file: it is a named pipe"},
		{"LoadFile(/dev/zero)", func() error { _, err := LoadFile("/dev/zero"); return err }, "/dev/zero: not a regular file"},
		{"LoadFile(FIFO)", func() error { _, err := LoadFile(fifo); return err }, "named pipe"},
		{"LoadFile(dir with current → /dev/zero)", func() error { _, err := LoadFile(ck); return err }, "current: not a regular file: it is a character device"},
		{"LoadFile(dir with tokenizer.json → /dev/zero)", func() error { _, err := LoadFile(ck2); return err }, "tokenizer.json: not a regular file: it is a character device"},
	} {
		if err := testutil.Returns(t, 5*time.Second, tc.name, tc.load); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
