package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/internal/testdata"
)

func TestTrainBPESmall(t *testing.T) {
	corpus := []byte(strings.Repeat("low lower lowest newer wider ", 20) + "hug pug pun bun hugs")
	tok, err := TrainBPE(corpus, 256+10+1, TrainOptions{Special: []string{"<|endoftext|>"}, EOS: "<|endoftext|>"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 267 || tok.EOS() != 266 || tok.BOS() != -1 || tok.AddBOSDefault() {
		t.Fatalf("size %d eos %d bos %d", tok.VocabSize(), tok.EOS(), tok.BOS())
	}
	// The first merges are the most frequent pairs ("er", "lo" and "Ġl"
	// all 60 times), ties in lexicographic order of the pieces.
	m := tok.Merges()
	if len(m) != 10 {
		t.Fatalf("%d merges", len(m))
	}
	if got := strings.Join(m[:4], "|"); got != "e r|l o|lo w|Ġ low" {
		t.Errorf("first merges %q", m)
	}
	again, _ := TrainBPE(corpus, 267, TrainOptions{Special: []string{"<|endoftext|>"}, EOS: "<|endoftext|>"})
	if strings.Join(again.Merges(), "|") != strings.Join(m, "|") {
		t.Errorf("training is not deterministic")
	}
	ids, _ := tok.Encode(" lowest<|endoftext|>", EncodeOptions{ParseSpecial: true})
	if ids[len(ids)-1] != 266 {
		t.Errorf("special not matched: %v", ids)
	}
	if s := tok.Decode(ids); s != " lowest" {
		t.Errorf("decode %q", s)
	}
	// Save and reload through tokenizer.json.
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"lower newest", " hugs and bugs 123", "wider\n\nlow"} {
		a, _ := tok.Encode(s, EncodeOptions{})
		b, _ := back.Encode(s, EncodeOptions{})
		if !equalInts(a, b) || back.Decode(b) != s {
			t.Errorf("%q: %v vs %v (%q)", s, a, b, back.Decode(b))
		}
	}
	if back.EOS() != 266 || back.VocabSize() != 267 {
		t.Errorf("reloaded eos %d size %d", back.EOS(), back.VocabSize())
	}
}

func TestTrainBPEShakespeare(t *testing.T) {
	data, err := os.ReadFile(testdata.Path(t, "corpus/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	tok, err := TrainBPE(data, 1024, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained 1024 tokens on %d bytes in %v; first merges %q", len(data), time.Since(t0), tok.Merges()[:5])
	ids, _ := tok.Encode(string(data[:20000]), EncodeOptions{})
	if tok.Decode(ids) != string(data[:20000]) {
		t.Fatal("round trip failed")
	}
	t.Logf("20000 bytes -> %d tokens (%.2f bytes/token)", len(ids), 20000/float64(len(ids)))
	if r := 20000 / float64(len(ids)); r < 2.2 {
		t.Errorf("compression %.2f bytes/token, want > 2.2", r)
	}
}

func TestCharTokenizer(t *testing.T) {
	c := NewChar("hello, wörld")
	if c.VocabSize() != 10 || string(c.Runes()) != " ,dehlorwö" {
		t.Fatalf("vocab %q", string(c.Runes()))
	}
	ids, err := c.Encode("hello", EncodeOptions{AddBOS: true})
	if err != nil || !equalInts(ids, []int{4, 3, 5, 5, 6}) {
		t.Fatalf("%v %v", ids, err)
	}
	if _, err := c.Encode("xyz", EncodeOptions{}); err == nil {
		t.Error("unknown rune accepted")
	}
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.Kind() != "char" || back.Decode(ids) != "hello" || back.VocabSize() != 10 {
		t.Errorf("reloaded %s %q", back.Kind(), back.Decode(ids))
	}
}

func TestSaveLoadSpecialNames(t *testing.T) {
	corpus := []byte(strings.Repeat("the cat sat on the mat. ", 30))
	tok, err := TrainBPE(corpus, 256+8+2, TrainOptions{Special: []string{"<go>", "<stop>"}, BOS: "<go>", EOS: "<stop>"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := tok.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.BOS() != tok.BOS() || back.EOS() != tok.EOS() || back.BOS() < 0 || back.AddBOSDefault() {
		t.Errorf("BOS/EOS %d/%d, want %d/%d", back.BOS(), back.EOS(), tok.BOS(), tok.EOS())
	}
}

func TestParseHFJSONPairs(t *testing.T) {
	// Newer tokenizer.json files write merges as pairs.
	js := `{"version":"1.0","added_tokens":[{"id":5,"content":"<|endoftext|>","special":true}],
	"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
	"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3,"Ġab":4},"merges":[["a","b"],["Ġ","ab"]]}}`
	tok, err := ParseJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := tok.Encode("ab ab<|endoftext|>", EncodeOptions{ParseSpecial: true})
	if !equalInts(ids, []int{2, 4, 5}) || tok.EOS() != 5 {
		t.Errorf("ids %v eos %d", ids, tok.EOS())
	}
	if _, err := ParseJSON([]byte(`{"model":{"type":"Unigram"}}`)); err == nil {
		t.Error("Unigram accepted")
	}
	if _, err := ParseJSON([]byte(`{"type":"char","vocab":["ab"]}`)); err == nil {
		t.Error("bad char vocab accepted")
	}
}

func TestCharUnknown(t *testing.T) {
	c := NewChar("ab\uFFFD")
	if err := c.WithUnknown('x'); err == nil {
		t.Error("unknown outside the vocabulary accepted")
	}
	if err := c.WithUnknown('\uFFFD'); err != nil {
		t.Fatal(err)
	}
	ids, err := c.Encode("abz", EncodeOptions{})
	if err != nil || !equalInts(ids, []int{0, 1, 2}) {
		t.Fatalf("%v %v", ids, err)
	}
	back, err := ParseJSON([]byte(`{"type":"char","vocab":["a","b","\ufffd"],"unknown":"\ufffd"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := back.Encode("zb", EncodeOptions{}); err != nil || !equalInts(ids, []int{2, 1}) {
		t.Errorf("%v %v", ids, err)
	}
}

// TestTrainBPEHugeVocab: a vocabulary size far beyond what the corpus can
// give must not size tables by it (bpe:100000000 took >20 s and GBs in
// the map hint); above the 2^24 limit it is an error.
func TestTrainBPEHugeVocab(t *testing.T) {
	corpus := []byte("the cat sat on the mat; the cat ate the rat")
	start := time.Now()
	tok, err := TrainBPE(corpus, 100_000_000, TrainOptions{})
	if err == nil {
		t.Fatalf("vocab size 1e8 accepted (%d tokens)", tok.VocabSize())
	}
	tok, err = TrainBPE(corpus, 1<<24, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() > 256+len(corpus) {
		t.Errorf("%d tokens from a %d-byte corpus", tok.VocabSize(), len(corpus))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestParseJSONHugeID: the largest int as an id overflowed id+1 and
// indexed out of range (a panic from llmparts tokenize -m x.json).
func TestParseJSONHugeID(t *testing.T) {
	for _, js := range []string{
		`{"model":{"type":"BPE","vocab":{"a":9223372036854775807},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"added_tokens":[{"id":9223372036854775807,"content":"x"}]}`,
		`{"model":{"type":"BPE","vocab":{"a":16777216},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{"a":-1},"merges":[]}}`,
		`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"added_tokens":[{"id":-1,"content":"x"}]}`,
	} {
		if _, err := ParseJSON([]byte(js)); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("%s: %v", js, err)
		}
	}
}
