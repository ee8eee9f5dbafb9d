package defaultmodel

import (
	"io/fs"
	"math"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

const goSnippet = `// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package strings

import (
	"io/fs"
	"os/exec"
	"slices"
	"unicode/utf8"
)

// Count counts the number of non-overlapping instances of substr in s.
// If substr is an empty string, Count returns 1 + the number of Unicode code points in s.
func Count(s, substr string) int {
	if len(substr) == 0 {
		return utf8.RuneCountInString(s) + 1
	}
	n := 0
	for {
		i := Index(s, substr)
		if i == -1 {
			return n
		}
		n++
		s = s[i+len(substr):]
	}
}

// HasPrefix reports whether the string s begins with prefix.
func HasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// HasSuffix reports whether the string s ends with suffix.
func HasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// Fields splits the string s around each instance of one or more consecutive
// white space characters, returning a slice of substrings of s or an empty
// slice if s contains only white space.
func Fields(s string) []string {
	n := 0
	wasSpace := 1
	for i := 0; i < len(s); i++ {
		r := s[i]
		isSpace := int(asciiSpace[r])
		n += wasSpace & ^isSpace
		wasSpace = isSpace
	}
	a := make([]string, n)
	na := 0
	fieldStart := 0
	i := 0
	for i < len(s) && asciiSpace[s[i]] != 0 {
		i++
	}
	fieldStart = i
	for i < len(s) {
		if asciiSpace[s[i]] == 0 {
			i++
			continue
		}
		a[na] = s[fieldStart:i]
		na++
		i++
		for i < len(s) && asciiSpace[s[i]] != 0 {
			i++
		}
		fieldStart = i
	}
	if fieldStart < len(s) {
		a[na] = s[fieldStart:]
	}
	return a
}

// Repeat returns a new string consisting of count copies of the string s.
func Repeat(s string, count int) string {
	if count < 0 {
		panic("strings: negative Repeat count")
	}
	var b Builder
	b.Grow(len(s) * count)
	for i := 0; i < count; i++ {
		b.WriteString(s)
	}
	return b.String()
}
`

// TestDefaultModelPredictsGo loads the embedded checkpoint with the
// trainer and checks that it predicts Go source far better than chance.
func TestDefaultModelPredictsGo(t *testing.T) {
	ck, err := train.LoadCheckpointFS(FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	c := ck.Model.Config
	if tok.VocabSize() != c.Vocab || c.Norm != train.NormRMS || c.Pos != train.PosRoPE {
		t.Fatalf("vocab %d/%d, norm %s, pos %s", tok.VocabSize(), c.Vocab, c.Norm, c.Pos)
	}
	ids, err := tok.Encode(goSnippet, tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Decode(ids); got != goSnippet {
		t.Fatalf("tokenizer does not round-trip Go source")
	}
	// One window of the model's context: the mean loss per token times the
	// tokens, over the bytes they spell, is the loss in bits per byte,
	// comparable across tokenizers.
	T := c.Ctx
	if len(ids) < T+1 {
		t.Fatalf("snippet has %d tokens, need %d", len(ids), T+1)
	}
	loss, err := ck.Model.Forward(ids[:T], ids[1:T+1], 1)
	if err != nil {
		t.Fatal(err)
	}
	bytes := len(tok.Decode(ids[1 : T+1]))
	bpb := loss * float64(T) / (float64(bytes) * math.Ln2)
	chance := math.Log2(float64(c.Vocab)) * float64(T) / float64(bytes)
	t.Logf("%.3f nats/token, %.3f bits/byte on a Go snippet of %d tokens (chance %.3f bits/byte)", loss, bpb, T, chance)
	if bpb > 2 {
		t.Errorf("%.3f bits/byte, want < 2 (chance is %.3f)", bpb, chance)
	}
	if !strings.Contains(goSnippet, "func") {
		t.Fatal("bad snippet")
	}
}

// TestTokenizerMatchesTrainer checks that the tokenizer package reads the
// embedded tokenizer.json exactly as the trainer that wrote it does,
// including characters outside the vocabulary (U+FFFD).
func TestTokenizerMatchesTrainer(t *testing.T) {
	b, err := fs.ReadFile(FS(), "tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := train.ParseTokenizer(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	text := goSnippet + "héllo ☃ 世界 \x00"
	a, errA := got.Encode(text, tokenizer.EncodeOptions{})
	w, errW := want.Encode(text, tokenizer.EncodeOptions{})
	if errA != nil || errW != nil || !slices.Equal(a, w) || got.VocabSize() != want.VocabSize() {
		t.Fatalf("tokenizer.ParseJSON and train.ParseTokenizer differ: %v %v, vocab %d vs %d", errA, errW, got.VocabSize(), want.VocabSize())
	}
	if got.Decode(a) != want.Decode(w) {
		t.Fatal("decodes differ")
	}
}

// TestNoTrainerDependency keeps the embedded model light: a program that
// embeds it must not link the trainer (and with it gonum/plot).
func TestNoTrainerDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasSuffix(dep, "/train") || strings.HasPrefix(dep, "gonum.org/") {
			t.Errorf("defaultmodel depends on %s", dep)
		}
	}
}
