package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmparts/llmparts/internal/safeio"
)

// Data formats of Options.DataFormat.
const (
	FormatAuto   = ""       // by content and name: llm.c magic → llmc, .bin → uint16, else text
	FormatText   = "text"   // UTF-8 text (a file or a folder of files)
	FormatUint16 = "uint16" // little-endian uint16 token ids, no header (nanoGPT's train.bin)
	FormatUint32 = "uint32" // little-endian uint32 token ids, no header
	FormatLLMC   = "llmc"   // llm.c shard: 256 int32 header (magic, version 1, count), then uint16 ids
)

// llmcMagic is the first int32 of an llm.c token shard (its header is 256
// int32: magic, version, number of tokens, unused).
const (
	llmcMagic      = 20240520
	llmcHeaderSize = 256 * 4
)

// maxTokenFile bounds a pre-tokenized file read into memory (ids are held
// as int32, twice a uint16 file's size).
const maxTokenFile = 8 << 30

// DataFormat returns the format of the file at path for format (which may
// be FormatAuto): an llm.c shard when it starts with llm.c's magic, uint16
// ids for a .bin file, text otherwise.
func DataFormat(path, format string) (string, error) {
	switch format {
	case FormatText, FormatUint16, FormatUint32, FormatLLMC:
		return format, nil
	case FormatAuto:
	default:
		return "", fmt.Errorf("%w: data format %q (want text, uint16, uint32 or llmc)", ErrConfig, format)
	}
	if path == "" {
		return FormatText, nil
	}
	st, err := os.Stat(path)
	if err != nil || st.IsDir() {
		return FormatText, nil // LoadCorpus reports a missing path
	}
	f, _, err := safeio.Open(path)
	if errors.Is(err, safeio.ErrNotRegular) {
		return FormatText, nil // LoadCorpus reports it (a FIFO is never opened)
	}
	if err != nil {
		return "", fmt.Errorf("train: data: %w", err)
	}
	defer f.Close()
	var head [4]byte
	if _, err := io.ReadFull(f, head[:]); err == nil && binary.LittleEndian.Uint32(head[:]) == llmcMagic {
		return FormatLLMC, nil
	}
	if strings.EqualFold(filepath.Ext(path), ".bin") {
		return FormatUint16, nil
	}
	return FormatText, nil
}

// LoadTokens reads a pre-tokenized file: uint16 or uint32 little-endian
// token ids (nanoGPT's train.bin is uint16), or an llm.c shard (a header
// of 256 int32 — magic 20240520, version 1, token count — then the count
// of uint16 ids).
func LoadTokens(path, format string) ([]int32, error) {
	f, st, err := safeio.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: data: %w", err)
	}
	defer f.Close()
	size := st.Size()
	if size > maxTokenFile {
		return nil, fmt.Errorf("train: data %s: %d bytes, more than the %d GiB limit for a token file", path, size, maxTokenFile>>30)
	}
	width, skip := int64(2), int64(0)
	switch format {
	case FormatUint16:
	case FormatUint32:
		width = 4
	case FormatLLMC:
		var hdr [3]int32
		if err := binary.Read(f, binary.LittleEndian, &hdr); err != nil {
			return nil, fmt.Errorf("train: data %s: llm.c header: %w", path, err)
		}
		if hdr[0] != llmcMagic {
			return nil, fmt.Errorf("train: data %s: not an llm.c shard (magic %d, want %d)", path, hdr[0], llmcMagic)
		}
		if hdr[1] != 1 {
			return nil, fmt.Errorf("train: data %s: llm.c shard version %d (only version 1, uint16 ids, is known)", path, hdr[1])
		}
		if want := llmcHeaderSize + 2*int64(hdr[2]); hdr[2] < 0 || want != size {
			return nil, fmt.Errorf("train: data %s: the header says %d tokens (%d bytes), the file has %d bytes", path, hdr[2], want, size)
		}
		skip = llmcHeaderSize
	default:
		return nil, fmt.Errorf("%w: %q is not a token file format", ErrConfig, format)
	}
	if (size-skip)%width != 0 {
		return nil, fmt.Errorf("train: data %s: %d bytes of ids is not a whole number of %s values", path, size-skip, format)
	}
	b := make([]byte, size-skip)
	if _, err := f.ReadAt(b, skip); err != nil {
		return nil, fmt.Errorf("train: data %s: %w", path, err)
	}
	ids := make([]int32, len(b)/int(width))
	for i := range ids {
		if width == 2 {
			ids[i] = int32(binary.LittleEndian.Uint16(b[2*i:]))
		} else {
			v := binary.LittleEndian.Uint32(b[4*i:])
			if v > 1<<31-1 {
				return nil, fmt.Errorf("train: data %s: token id %d at %d is out of range", path, v, i)
			}
			ids[i] = int32(v)
		}
	}
	return ids, nil
}

// valBeside returns the validation file that goes with a pre-tokenized
// training file, if there is one: nanoGPT's val.bin beside train.bin, or
// llm.c's *_val_* shard beside a *_train_* one ("" if none).
func valBeside(path string) string {
	dir, base := filepath.Split(path)
	var cand string
	switch {
	case base == "train.bin":
		cand = "val.bin"
	case strings.Contains(base, "_train_"):
		cand = strings.Replace(base, "_train_", "_val_", 1)
		// llm.c numbers its validation shard 000000.
		if _, err := os.Stat(filepath.Join(dir, cand)); err != nil {
			if i := strings.LastIndex(cand, "_"); i >= 0 {
				cand = cand[:i+1] + "000000" + filepath.Ext(cand)
			}
		}
	default:
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, cand)); err != nil {
		return ""
	}
	return filepath.Join(dir, cand)
}
