package tokenizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/internal/testdata"
)

// readCases reads llama.cpp's test-tokenizer-0 files: .inp strings
// separated by "\n__ggml_vocab_test__\n", .out one line of ids per string.
func readCases(t *testing.T, base string) (inp []string, out [][]int) {
	t.Helper()
	ib, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Fatal(err)
	}
	ob, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatal(err)
	}
	const sep = "\n__ggml_vocab_test__\n"
	s := string(ib)
	for {
		i := strings.Index(s, sep)
		if i < 0 {
			break
		}
		inp = append(inp, s[:i])
		s = s[i+len(sep):]
	}
	lines := strings.Split(strings.TrimSuffix(string(ob), "\n"), "\n")
	for _, l := range lines {
		var ids []int
		for _, f := range strings.Fields(l) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, n)
		}
		out = append(out, ids)
	}
	if len(inp) != len(out) {
		t.Fatalf("%d inputs, %d outputs", len(inp), len(out))
	}
	return inp, out
}

func checkCases(t *testing.T, name string) {
	base := testdata.Path(t, "vocab/"+name)
	tok, err := LoadGGUF(base)
	if err != nil {
		t.Fatal(err)
	}
	inp, out := readCases(t, base)
	pass := 0
	for i, s := range inp {
		got, err := tok.Encode(s, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !equalInts(got, out[i]) {
			t.Errorf("case %d %q:\n got  %v\n want %v", i, s, got, out[i])
			continue
		}
		pass++
	}
	t.Logf("%s: %d/%d cases exact", name, pass, len(inp))
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLlamaSPMCases(t *testing.T) { checkCases(t, "ggml-vocab-llama-spm.gguf") }
func TestGPT2Cases(t *testing.T)     { checkCases(t, "ggml-vocab-gpt-2.gguf") }

func TestFromGGUFMatchesLoadGGUF(t *testing.T) {
	for _, name := range []string{"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"} {
		base := testdata.Path(t, "vocab/"+name)
		f, err := gguf.Open(base)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := FromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		inp, out := readCases(t, base)
		for i, s := range inp {
			got, _ := tok.Encode(s, EncodeOptions{})
			if !equalInts(got, out[i]) {
				t.Errorf("%s case %d: got %v want %v", name, i, got, out[i])
			}
		}
		if tok.AddBOSDefault() != (name == "ggml-vocab-llama-spm.gguf") {
			t.Errorf("%s: add BOS %v", name, tok.AddBOSDefault())
		}
		f.Close()
	}
}

// TestLlamaCppReferenceCases checks llama.cpp's expected ids
// (ggml-vocab-*.gguf.out beside the vocabulary in ../shared/testdata/vocab)
// for every vocabulary that has them and no dedicated test above. The
// strings are the shared .inp (the same for every vocabulary); a line "?"
// marks a string whose ids are unknown and is skipped.
func TestLlamaCppReferenceCases(t *testing.T) {
	inpBase := testdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf")
	all, _ := filepath.Glob(filepath.Join(filepath.Dir(inpBase), "ggml-vocab-*.gguf.out"))
	var files []string
	for _, f := range all {
		if b := filepath.Base(f); b != "ggml-vocab-gpt-2.gguf.out" && b != "ggml-vocab-llama-spm.gguf.out" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Skip("no expected-id files in the shared vocab folder beyond gpt-2 and llama-spm (covered by their own tests)")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".out")
		t.Run(name, func(t *testing.T) {
			tok, err := OpenGGUF(filepath.Join(filepath.Dir(inpBase), name))
			if err != nil {
				t.Fatal(err)
			}
			inp, _ := readCases(t, inpBase)
			ob, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(ob), "\n"), "\n")
			if len(lines) != len(inp) {
				t.Fatalf("%d lines for %d strings", len(lines), len(inp))
			}
			pass, total := 0, 0
			for i, l := range lines {
				if strings.TrimSpace(l) == "?" {
					continue
				}
				total++
				var want []int
				for _, x := range strings.Fields(l) {
					n, _ := strconv.Atoi(x)
					want = append(want, n)
				}
				got, _ := tok.Encode(inp[i], EncodeOptions{})
				if !equalInts(got, want) {
					t.Errorf("case %d %q:\n got  %v\n want %v", i, inp[i], got, want)
					continue
				}
				pass++
			}
			t.Logf("%s: %d/%d cases exact", name, pass, total)
		})
	}
}
