package train

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/tokenizer"
)

// writeIDs writes ids as little-endian values of width bytes after header.
func writeIDs(t *testing.T, path string, header []int32, ids []int32, width int) {
	t.Helper()
	var b []byte
	for _, h := range header {
		b = binary.LittleEndian.AppendUint32(b, uint32(h))
	}
	for _, id := range ids {
		if width == 2 {
			b = binary.LittleEndian.AppendUint16(b, uint16(id))
		} else {
			b = binary.LittleEndian.AppendUint32(b, uint32(id))
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadTokens(t *testing.T) {
	dir := t.TempDir()
	ids := []int32{0, 1, 65535, 7, 300}
	hdr := make([]int32, 256)
	hdr[0], hdr[1], hdr[2] = llmcMagic, 1, int32(len(ids))
	writeIDs(t, filepath.Join(dir, "train.bin"), nil, ids, 2)
	writeIDs(t, filepath.Join(dir, "ids.u32"), nil, append(ids, 1<<20), 4)
	writeIDs(t, filepath.Join(dir, "shard_train_000001.bin"), hdr, ids, 2)
	for _, c := range []struct {
		file, format, wantFormat string
		want                     []int32
	}{
		{"train.bin", "", FormatUint16, ids},
		{"shard_train_000001.bin", "", FormatLLMC, ids},
		{"ids.u32", FormatUint32, FormatUint32, append(ids, 1<<20)},
	} {
		p := filepath.Join(dir, c.file)
		f, err := DataFormat(p, c.format)
		if err != nil || f != c.wantFormat {
			t.Errorf("%s: format %q, %v; want %q", c.file, f, err, c.wantFormat)
			continue
		}
		got, err := LoadTokens(p, f)
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%s: %v, %v", c.file, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.file, got, c.want)
				break
			}
		}
	}
	// Bad files: a header that lies, an odd byte count, an unknown version.
	hdr[2] = 99
	writeIDs(t, filepath.Join(dir, "lie.bin"), hdr, ids, 2)
	hdr[1], hdr[2] = 2, int32(len(ids))
	writeIDs(t, filepath.Join(dir, "v2.bin"), hdr, ids, 2)
	os.WriteFile(filepath.Join(dir, "odd.bin"), []byte{1, 2, 3}, 0o644)
	for _, c := range []struct{ file, format, want string }{
		{"lie.bin", FormatLLMC, "header says 99 tokens"},
		{"v2.bin", FormatLLMC, "version 2"},
		{"odd.bin", FormatUint16, "not a whole number"},
		{"train.bin", "int8", "data format"},
	} {
		_, err := DataFormat(filepath.Join(dir, c.file), c.format)
		if err == nil {
			_, err = LoadTokens(filepath.Join(dir, c.file), c.format)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s as %q: %v, want an error mentioning %q", c.file, c.format, err, c.want)
		}
	}
	if v := valBeside(filepath.Join(dir, "train.bin")); v != "" {
		t.Errorf("val.bin found though absent: %q", v)
	}
}

// TestTrainFromTokenFiles trains on nanoGPT-style train.bin/val.bin ids of
// a BPE tokenizer saved as tokenizer.json, and the same ids as text give
// the same run.
func TestTrainFromTokenFiles(t *testing.T) {
	dir := t.TempDir()
	corpus := testCorpus()
	tok, err := tokenizer.TrainBPE([]byte(corpus), 300, tokenizer.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	ids, err := EncodeCorpus(tok, corpus)
	if err != nil {
		t.Fatal(err)
	}
	nv := len(ids) / 10
	writeIDs(t, filepath.Join(dir, "train.bin"), nil, ids[:len(ids)-nv], 2)
	writeIDs(t, filepath.Join(dir, "val.bin"), nil, ids[len(ids)-nv:], 2)

	o := tinyOptions(filepath.Join(dir, "out"))
	o.Steps, o.Data, o.Tokenizer = 10, filepath.Join(dir, "train.bin"), tokPath
	tr, err := NewTrainer(o, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Data.Val) != nv || tr.Model.Config.Vocab != tok.VocabSize() {
		t.Fatalf("val %d tokens (want %d, from val.bin), vocab %d", len(tr.Data.Val), nv, tr.Model.Config.Vocab)
	}
	res, err := tr.Run()
	if err != nil {
		t.Fatal(err)
	}
	// The same ids from the text and the BPE spec: the same losses.
	o2 := o
	o2.Out, o2.Data, o2.Tokenizer = filepath.Join(dir, "out2"), "", "bpe:300"
	tr2, err := NewTrainer(o2, corpus)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := tr2.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Losses[0] != res2.Losses[0] || res.TrainLoss != res2.TrainLoss {
		t.Errorf("token file run %v / %v, text run %v / %v", res.Losses[0], res.TrainLoss, res2.Losses[0], res2.TrainLoss)
	}
	// Without a tokenizer file the ids mean nothing.
	o.Tokenizer, o.Out = "char", filepath.Join(dir, "out3") // a fresh --out: out holds the run above
	if _, err := NewTrainer(o, ""); err == nil || !strings.Contains(err.Error(), "needs --tokenizer FILE") {
		t.Errorf("token data with --tokenizer char: %v", err)
	}
}
