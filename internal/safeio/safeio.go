// Package safeio reads input files defensively: only regular files are
// opened (a FIFO would block forever, /dev/zero would never end), symbolic
// links are resolved before that check, and every whole-file read has a
// size cap that fits the kind of file, so a hostile or careless path gives
// a one-line error instead of a hang or an out-of-memory crash.
//
// The rule for a read of at most max bytes is
//
//	stat(path) must be a regular file, size(path) ≤ max,
//	and at most max+1 bytes are ever read (files that grow, or that report
//	size 0 like /proc files, are still bounded).
//
// Errors name the file and the limit, e.g.
//
//	ckpt/config.json: 104857600 bytes is more than the 1 MiB limit for a JSON config file
package safeio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Size caps for each kind of file read whole. Memory-mapped model weights
// have no cap (they are not copied); these bound what is read into memory.
const (
	// MaxPointer bounds the "current" pointer file of a checkpoint folder.
	MaxPointer = 4 << 10
	// MaxConfig bounds JSON configuration files: config.json, state.json,
	// tokenizer_config.json, checksum lists.
	MaxConfig = 16 << 20
	// MaxTokenizer bounds tokenizer files: tokenizer.json, tokenizer.model,
	// llama2.c tokenizer .bin files.
	MaxTokenizer = 512 << 20
	// MaxText bounds a prompt or text file read whole (generate -f,
	// tokenize --file).
	MaxText = 256 << 20
	// MaxLine bounds one input line of a line protocol (llmparts op).
	MaxLine = 64 << 20
)

// ErrTooLarge is wrapped by errors for files or lines beyond their cap.
var ErrTooLarge = errors.New("too large")

// ErrNotRegular is wrapped by errors for paths that are not regular files.
var ErrNotRegular = errors.New("not a regular file")

// Human formats a byte count as "512 MiB", "4 KiB", "1.5 GiB" or "17 bytes".
func Human(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if n < 1024 && n > -1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	f := float64(n)
	u := -1
	for (f >= 1024 || f <= -1024) && u < len(units)-1 {
		f /= 1024
		u++
	}
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d %s", int64(f), units[u])
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

func checkRegular(name string, st fs.FileInfo) error {
	if st.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s: %w: it is %s", name, ErrNotRegular, kindOf(st.Mode()))
}

func tooLarge(name string, size, max int64, what string) error {
	if what == "" {
		what = "this kind of file"
	}
	return fmt.Errorf("%s: %w: %d bytes is more than the %s limit for %s", name, ErrTooLarge, size, Human(max), what)
}

// Stat returns the file info of path after resolving symbolic links and
// checking it is a regular file.
func Stat(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, st); err != nil {
		return nil, err
	}
	return st, nil
}

// Open opens path for reading only if it is (or links to) a regular file.
// The check is made before opening, so a FIFO never blocks, and again on
// the opened file, so a path swapped in between is caught too.
func Open(path string) (*os.File, fs.FileInfo, error) {
	if _, err := Stat(path); err != nil {
		return nil, nil, err
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = checkRegular(path, st)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// ReadFile reads the regular file at path whole, refusing files of more
// than max bytes; what names the kind of file in the error ("a JSON config
// file"), or "" for a generic wording.
func ReadFile(path string, max int64, what string) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path, st.Size(), max, what)
}

// OpenFS is Open for a file system: name must be a regular file (symbolic
// links followed, as fs.Stat does for os.DirFS).
func OpenFS(fsys fs.FS, name string) (fs.File, fs.FileInfo, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRegular(name, st); err != nil {
		return nil, nil, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err == nil {
		err = checkRegular(name, st)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// ReadFileFS is ReadFile for a file system.
func ReadFileFS(fsys fs.FS, name string, max int64, what string) ([]byte, error) {
	f, st, err := OpenFS(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, name, st.Size(), max, what)
}

func readCapped(r io.Reader, name string, size, max int64, what string) ([]byte, error) {
	if size > max {
		return nil, tooLarge(name, size, max, what)
	}
	if size < 0 {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if n > max {
		return nil, tooLarge(name, n, max, what)
	}
	return buf.Bytes(), nil
}

// ReadAll reads r whole (standard input, say), refusing more than max
// bytes; name is used in the error.
func ReadAll(r io.Reader, name string, max int64, what string) ([]byte, error) {
	return readCapped(r, name, 0, max, what)
}

// ReadLine returns the next line of br without its trailing "\n" (or
// "\r\n"), refusing lines longer than max bytes with an error that wraps
// ErrTooLarge and says the limit; at most max+1 bytes of a long line are
// buffered. It returns io.EOF when br is exhausted and no bytes are left.
func ReadLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		content := len(line) + len(frag)
		if bytes.HasSuffix(frag, []byte("\n")) {
			content--
		}
		if content > max {
			return nil, fmt.Errorf("%w: line is longer than the %s limit", ErrTooLarge, Human(int64(max)))
		}
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, nil
	}
}
