package tokenizer

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmparts/llmparts/internal/testdata"
)

var roundTripTexts = []string{
	"Hello world", " Hello World!", "  leading and trailing  ", "\n\n\tTabs\tand\nnewlines\r\n",
	"Numbers: 1 12 123 1234 12345 3.14159 ١٢٣", "I'm can't we'll they've you'd IT'S",
	"naïve café Führer ½ ²³", "日本語のテキスト 中文 한국어", "emoji 🙂👍🏽 and 🦙", "ied 4 ½ months",
	"$var += <tag> | ^~ `code` {x: [1, 2]}", "   \u00a0\u3000 unicode spaces\u2009here",
	"def f(x):\n    return x**2  # comment\n", "Ελληνικά, русский, עברית, العربية",
}

func TestAllVocabsLoadAndRoundTrip(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf"))
	files, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			tok, err := LoadGGUF(f)
			if strings.Contains(name, "bert") {
				if err == nil || !strings.Contains(err.Error(), "WordPiece one (tokenizer model bert), not BPE") {
					t.Fatalf("bert: LoadGGUF err = %v, want not-BPE error", err)
				}
				wp, err := OpenGGUF(f)
				if err != nil {
					t.Fatal(err)
				}
				ids, _ := wp.Encode("Hello, World!", EncodeOptions{AddBOS: true})
				if want := []int{101, 7592, 1010, 2088, 999, 102}; !equalInts(ids, want) {
					t.Errorf("bert ids %v, want %v", ids, want)
				}
				if s := wp.Decode(ids); s != "hello , world !" {
					t.Errorf("bert decode %q", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: kind %s pre %q, %d tokens, load %v", name, tok.Kind(), tok.Pre(), tok.VocabSize(), time.Since(t0))
			for _, s := range roundTripTexts {
				ids, err := tok.Encode(s, EncodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got := tok.Decode(ids); got != s {
					t.Errorf("%q -> %v -> %q", s, ids, got)
				}
			}
		})
	}
}

// TestParallelEncodeIsExact checks that cutting long text at "a| b" and
// encoding the pieces on several goroutines gives the sequential ids, for
// every vocabulary.
func TestParallelEncodeIsExact(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core")
	}
	data, err := os.ReadFile(testdata.Path(t, "corpus/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data[:200000])
	if cuts := safeCuts(text, parallelMin/2); len(cuts) < 3 {
		t.Fatalf("only %d cuts", len(cuts))
	}
	dir := filepath.Dir(testdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf"))
	files, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	for _, f := range files {
		tok, err := LoadGGUF(f)
		if err != nil {
			continue // bert
		}
		par := tok.encodeFragment(text, tok.kind == "llama" && tok.addSpacePrefix, nil)
		w := new(workspace)
		seq := tok.encodeChunk(w, text, tok.kind == "llama" && tok.addSpacePrefix, nil)
		if !equalInts(par, seq) {
			t.Errorf("%s: parallel encoding differs (%d vs %d ids)", filepath.Base(f), len(par), len(seq))
		}
	}
}

// TestScanMergeMatchesHeap checks that the pair scan used for short words
// merges in the same order as the priority queue.
func TestScanMergeMatchesHeap(t *testing.T) {
	data, err := os.ReadFile(testdata.Path(t, "corpus/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data[:60000]) + " naïve 日本語 🙂 supercalifragilistic antidisestablishmentarianism"
	for _, name := range []string{"ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-deepseek-llm.gguf"} {
		tok := loadVocab(t, name)
		w := new(workspace)
		scan := tok.encodeChunk(w, text, tok.kind == "llama", nil)
		old := maxScan
		maxScan = 0
		tok.cache = newWordCache()
		heap := tok.encodeChunk(w, text, tok.kind == "llama", nil)
		maxScan = old
		if !equalInts(scan, heap) {
			t.Errorf("%s: scan and heap merges differ", name)
		}
	}
}
