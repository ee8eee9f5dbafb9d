package llmparts

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmparts/llmparts/format/llama2c"
	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// lilyStory is llama2.c's greedy continuation of "Once upon a time" with
// stories260K (run/run.c, temperature 0).
const lilyStory = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."

// collect runs Generate and returns the concatenated pieces.
func collect(t *testing.T, s *Session, prompt string, p Params) string {
	t.Helper()
	var b strings.Builder
	for piece, err := range s.Generate(context.Background(), prompt, p) {
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(piece)
	}
	return b.String()
}

func openStories(t *testing.T) *Model {
	t.Helper()
	m, err := OpenWith(testdata.Path(t, "llama2c/stories260K.bin"), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestOpenStoriesGenerate(t *testing.T) {
	m := openStories(t)
	if !strings.HasSuffix(m.Net.Info.Tokenizer, "tok512.bin") {
		t.Errorf("tokenizer found: %q, want tok512.bin beside the model", m.Net.Info.Tokenizer)
	}
	got := "Once upon a time" + collect(t, m.NewSession(0), "Once upon a time", Params{MaxTokens: 40})
	if !strings.HasPrefix(got, lilyStory) {
		t.Fatalf("got %q, want prefix %q", got, lilyStory)
	}
	// The first generated piece keeps its leading space after a prompt
	// that ends a word: "Once upon a time," + " there".
	s := m.NewSession(0)
	var first string
	for piece, err := range s.Generate(context.Background(), "Once upon a time,", Params{MaxTokens: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		first = piece
		break
	}
	if first != " there" {
		t.Errorf("first piece after \"Once upon a time,\" = %q, want \" there\"", first)
	}
	if s.Stats().Stop != StopConsumer {
		t.Errorf("stop = %q after break", s.Stats().Stop)
	}
	// After BOS alone the first piece has no leading space.
	if out := collect(t, m.NewSession(0), "", Params{MaxTokens: 5}); out == "" || out[0] == ' ' {
		t.Errorf("empty prompt: %q, want text without a leading space", out)
	}
}

// TestContinuation checks that generating in pieces (a break, then more
// calls with an empty prompt) gives the same greedy text as one call.
func TestContinuation(t *testing.T) {
	m := openStories(t)
	whole := collect(t, m.NewSession(0), "Once upon a time", Params{MaxTokens: 30})
	s := m.NewSession(0)
	part := collect(t, s, "Once upon a time", Params{MaxTokens: 10})
	if st := s.Stats(); st.Tokens != 10 || st.Stop != StopMaxTokens || st.PromptTokens != 5 {
		t.Errorf("stats %+v, want 10 tokens after a 5-token prompt, token limit", st)
	}
	n := 0
	for piece, err := range s.Generate(context.Background(), "", Params{MaxTokens: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		part += piece
		if n++; n == 4 {
			break
		}
	}
	part += collect(t, s, "", Params{MaxTokens: 30 - 10 - 4})
	if part != whole {
		t.Fatalf("in pieces %q\nwhole     %q", part, whole)
	}
}

// noEOS hides the end-of-sequence token so generation runs to the limit.
type noEOS struct{ tokenizer.Tokenizer }

func (noEOS) EOS() int { return -1 }

func TestStopsAtContext(t *testing.T) {
	m := openStories(t)
	m.Tokenizer = noEOS{m.Tokenizer}
	s := m.NewSession(0)
	collect(t, s, "Once", Params{MaxTokens: 1000})
	// BOS + "Once" fill 2 of 512 positions; 510 generated tokens fill the
	// rest, and the logits of the last position give one more.
	if st := s.Stats(); st.Stop != StopContext || st.Tokens != 511 || len(s.Tokens()) != 512 {
		t.Fatalf("stats %+v, %d tokens in the cache", st, len(s.Tokens()))
	}
	for _, err := range s.Generate(context.Background(), "more", Params{}) {
		if err == nil || !strings.Contains(err.Error(), "context") {
			t.Fatalf("prompt past a full context: %v", err)
		}
	}
	small := m.NewSession(4)
	for _, err := range small.Generate(context.Background(), "Once upon a time there was", Params{}) {
		if err == nil {
			t.Fatal("a prompt longer than the context was accepted")
		}
	}
}

func TestCancel(t *testing.T) {
	m := openStories(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := m.NewSession(0)
	n := 0
	var gotErr error
	for _, err := range s.Generate(ctx, "Once upon a time", Params{Sample: sample.DefaultParams()}) {
		if err != nil {
			gotErr = err
			break
		}
		if n++; n == 3 {
			cancel()
		}
	}
	if !errors.Is(gotErr, context.Canceled) || s.Stats().Stop != StopCancelled || s.Stats().Tokens != 3 {
		t.Fatalf("err %v, stats %+v", gotErr, s.Stats())
	}
}

// TestConcurrentSessions runs sessions of one model from several
// goroutines: the model serialises their forward passes, so each gets the
// text it gets alone.
func TestConcurrentSessions(t *testing.T) {
	m := openStories(t)
	want := collect(t, m.NewSession(0), "Once upon a time", Params{MaxTokens: 20})
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := m.NewSession(64)
			for piece, err := range s.Generate(context.Background(), "Once upon a time", Params{MaxTokens: 20}) {
				if err != nil {
					got[i] = err.Error()
					return
				}
				got[i] += piece
			}
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g != want {
			t.Errorf("goroutine %d: %q, want %q", i, g, want)
		}
	}
}

func TestOpenGGUF(t *testing.T) {
	p := testdata.Path(t, "gguf/llama-2-tiny-random.gguf")
	m, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Net.Info.Tokenizer != p || m.Tokenizer.Kind() != "llama" || m.Tokenizer.VocabSize() != 32000 {
		t.Fatalf("Info.Tokenizer %q, tokenizer %s/%d", m.Net.Info.Tokenizer, m.Tokenizer.Kind(), m.Tokenizer.VocabSize())
	}
	a := collect(t, m.NewSession(0), "Hello world", Params{MaxTokens: 8})
	b := collect(t, m.NewSession(0), "Hello world", Params{MaxTokens: 8})
	if a == "" || a != b {
		t.Fatalf("greedy runs: %q vs %q", a, b)
	}
}

// TestEndTokens checks the end-of-generation set on real vocabularies:
// GPT-2's <|endoftext|> is EOS; Llama 3's <|eot_id|> ends a turn too.
func TestEndTokens(t *testing.T) {
	for _, c := range []struct{ vocab, end string }{
		{"ggml-vocab-gpt-2.gguf", "<|endoftext|>"},
		{"ggml-vocab-llama-bpe.gguf", "<|eot_id|>"},
	} {
		tok, err := tokenizer.LoadGGUF(testdata.Path(t, "vocab/"+c.vocab))
		if err != nil {
			t.Fatal(err)
		}
		m := &Model{Tokenizer: tok}
		m.findEnds()
		id, ok := tok.ID(c.end)
		if !ok {
			t.Fatalf("%s: no %s", c.vocab, c.end)
		}
		if !m.IsEnd(id) || m.IsEnd(50) {
			t.Errorf("%s: IsEnd(%s) = %v, IsEnd(50) = %v", c.vocab, c.end, m.IsEnd(id), m.IsEnd(50))
		}
	}
}

// TestTokenizerBesideVersionedLlama2C writes a version 1 ("ak42") llama2.c
// header with zero weights beside tok512.bin: the tokenizer is found by
// the vocabulary size in the versioned header (dim 8, ..., vocab 512).
func TestTokenizerBesideVersionedLlama2C(t *testing.T) {
	tokData, err := os.ReadFile(testdata.Path(t, "llama2c/tok512.bin"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tok512.bin"), tokData, 0o644); err != nil {
		t.Fatal(err)
	}
	dim, hidden, layers, heads, kv, vocab, seq := 8, 16, 1, 2, 2, 512, 16
	h := make([]byte, 256)
	binary.LittleEndian.PutUint32(h, llama2c.Magic)
	binary.LittleEndian.PutUint32(h[4:], 1)
	for i, v := range []int{dim, hidden, layers, heads, kv, vocab, seq} {
		binary.LittleEndian.PutUint32(h[8+4*i:], uint32(v))
	}
	h[36] = 1 // shared classifier
	floats := 2*layers*dim + dim + vocab*dim + layers*(2*dim*dim+2*dim*dim/heads*kv+3*dim*hidden)
	path := filepath.Join(dir, "v1.bin")
	if err := os.WriteFile(path, append(h, make([]byte, 4*floats)...), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, where, err := OpenTokenizer(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(where) != "tok512.bin" || tok.VocabSize() != 512 {
		t.Fatalf("found %s (%d tokens)", where, tok.VocabSize())
	}
	m, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if filepath.Base(m.Net.Info.Tokenizer) != "tok512.bin" {
		t.Fatalf("Open found %q", m.Net.Info.Tokenizer)
	}
}

// TestREADMEShowsExample keeps the README's program and the package
// example (which go test runs) the same: every line of Example's body
// appears in the README, in order.
func TestREADMEShowsExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(ex), "func Example() {\n")
	body, _, _ = strings.Cut(body, "\t// Output:")
	rest := string(readme)
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		i := strings.Index(rest, strings.TrimSpace(l))
		if i < 0 {
			t.Fatalf("README.md lacks (in order) the example line %q", l)
		}
		rest = rest[i:]
	}
}

// TestOpenHFFolder: a Hugging Face folder opens with the tokenizer.json
// beside its weights; without one the error says so.
func TestOpenHFFolder(t *testing.T) {
	src := testdata.Path(t, "archs-hf/llama")
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenWith(dir, Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "no tokenizer.json") {
		t.Fatalf("folder without tokenizer.json: %v", err)
	}
	tj, err := os.ReadFile("defaultmodel/model/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := OpenWith(dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Net.Info.Format != "hf" || m.Net.Config.Arch != "llama" || !strings.HasSuffix(m.TokenizerSource, "tokenizer.json") {
		t.Errorf("format %q arch %q tokenizer %q", m.Net.Info.Format, m.Net.Config.Arch, m.TokenizerSource)
	}
}
