package train

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/llmparts/llmparts/internal/safeio"
)

// DocSeparator is placed between files when a folder is concatenated.
const DocSeparator = "\n\n"

// LoadCorpus reads the training text. path may be a file, or a folder whose
// text files (sorted by path) are concatenated with DocSeparator between
// them. An empty path means the Go standard library sources: every *.go
// file under GOROOT/src, sorted by path. At most DefaultMaxData bytes are
// read (see LoadCorpusLimit).
func LoadCorpus(path string) (string, error) { return LoadCorpusLimit(path, DefaultMaxData) }

// LoadCorpusLimit is LoadCorpus refusing more than max bytes of text in
// all (0: DefaultMaxData). Only regular files are read: a device such as
// /dev/zero, a FIFO or a link to one is an error, and so is a folder whose
// files add up to more than max.
func LoadCorpusLimit(path string, max int64) (string, error) {
	if max <= 0 {
		max = DefaultMaxData
	}
	if path == "" {
		root, err := goroot()
		if err != nil {
			return "", err
		}
		return loadFolder(filepath.Join(root, "src"), func(p string) bool { return strings.HasSuffix(p, ".go") }, max)
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("train: data: %w", err)
	}
	if !st.IsDir() {
		b, err := safeio.ReadFile(path, max, "training text (--max-data)")
		if err != nil {
			return "", fmt.Errorf("train: data: %w", err)
		}
		if !utf8.Valid(b) {
			return "", fmt.Errorf("train: data %s is not UTF-8 text", path)
		}
		return string(b), nil
	}
	return loadFolder(path, nil, max)
}

func goroot() (string, error) {
	if r := runtime.GOROOT(); r != "" { //nolint:staticcheck // fallback below
		if st, err := os.Stat(filepath.Join(r, "src")); err == nil && st.IsDir() {
			return r, nil
		}
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("train: cannot find GOROOT for the default corpus (pass --data): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// loadFolder concatenates the text files under dir that keep accepts (nil:
// every regular file that is valid UTF-8 without NUL bytes).
func loadFolder(dir string, keep func(string) bool, max int64) (string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && (keep == nil || keep(p)) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("train: data: %w", err)
	}
	sort.Strings(paths)
	var sb strings.Builder
	n := 0
	for _, p := range paths {
		left := max - int64(sb.Len())
		b, err := safeio.ReadFile(p, left, "training text (--max-data)")
		if errors.Is(err, safeio.ErrTooLarge) {
			return "", fmt.Errorf("train: data: the files under %s add up to more than the %s limit (--max-data)", dir, safeio.Human(max))
		}
		if err != nil {
			return "", fmt.Errorf("train: data: %w", err)
		}
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			continue // not text
		}
		if n > 0 {
			sb.WriteString(DocSeparator)
		}
		sb.Write(b)
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("train: data: no text files under %s", dir)
	}
	return sb.String(), nil
}

// Dataset is a tokenized corpus split into a training stream and a
// validation stream (the last 10 % of the tokens).
type Dataset struct {
	Train, Val []int32
}

// ValFraction is the share of the token stream held out for validation.
const ValFraction = 0.1

// Split tokenizes nothing: it divides ids into train (first 90 %) and
// validation (last 10 %).
func Split(ids []int32, ctx int) (*Dataset, error) {
	nv := int(float64(len(ids)) * ValFraction)
	d := &Dataset{Train: ids[:len(ids)-nv], Val: ids[len(ids)-nv:]}
	if len(d.Train) < ctx+2 || len(d.Val) < ctx+2 {
		return nil, fmt.Errorf("train: corpus of %d tokens is too small for context %d (need %d)", len(ids), ctx, int(float64(ctx+2)/ValFraction)+1)
	}
	return d, nil
}

// Batch fills tokens and targets with B windows of T tokens taken at
// random offsets of stream (targets are the next tokens).
func Batch(stream []int32, B, T int, rng *RNG, tokens, targets []int) {
	for b := 0; b < B; b++ {
		off := rng.Intn(len(stream) - T - 1)
		for t := 0; t < T; t++ {
			tokens[b*T+t] = int(stream[off+t])
			targets[b*T+t] = int(stream[off+t+1])
		}
	}
}

var errTokenizer = errors.New("train: tokenizer")
