// Package checksum records and verifies the SHA-256 of every file of a
// checkpoint folder, so a flipped bit in model.safetensors (a bad disk, a
// truncated copy) is an error at load instead of silently different
// weights. The record is a file named SHA256SUMS in the folder, in the
// format of sha256sum(1), so it can also be checked with
//
//	cd step-000500 && sha256sum -c SHA256SUMS
//
// Each line is the lower-case hex digest, two spaces and the file name.
package checksum

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/llmparts/llmparts/internal/safeio"
)

// File is the name of the checksum list inside a checkpoint folder.
const File = "SHA256SUMS"

// ErrMismatch is wrapped by the error for a file whose digest differs.
var ErrMismatch = errors.New("SHA-256 mismatch")

// Write hashes the named files of dir and writes dir/SHA256SUMS
// atomically (0644).
func Write(dir string, names []string) error {
	var b bytes.Buffer
	for _, n := range names {
		sum, err := hashFile(os.DirFS(dir), n)
		if err != nil {
			return fmt.Errorf("checksum: %w", err)
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, n)
	}
	return safeio.WriteFileAtomic(filepath.Join(dir, File), func(w io.Writer) error {
		_, err := w.Write(b.Bytes())
		return err
	})
}

func hashFile(fsys fs.FS, name string) (string, error) {
	f, _, err := safeio.OpenFS(fsys, name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Verify checks every file listed in dir/SHA256SUMS of fsys against its
// recorded digest. A folder without SHA256SUMS (written before checksums
// existed) verifies as true with found false; a listed file that is
// missing, unreadable or different is an error naming it.
func Verify(fsys fs.FS, dir string) (found bool, err error) {
	list := path.Join(dir, File)
	if _, err := fs.Stat(fsys, list); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	b, err := safeio.ReadFileFS(fsys, list, safeio.MaxConfig, "a checksum list")
	if err != nil {
		return true, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		want, name, ok := strings.Cut(line, "  ")
		if !ok || len(want) != 64 || !fs.ValidPath(name) || strings.Contains(name, "/") {
			return true, fmt.Errorf("%s line %d: want \"<64 hex digits>  <file>\", got %q", File, n, line)
		}
		got, err := hashFile(fsys, path.Join(dir, name))
		if err != nil {
			return true, err
		}
		if !strings.EqualFold(got, want) {
			return true, fmt.Errorf("%s: %w: %s records %s…, the file now gives %s… (corrupted or changed since it was saved)", name, ErrMismatch, File, want[:12], got[:12])
		}
	}
	return true, nil
}
