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
	T := c.Ctx
	if len(ids) < T+1 {
		t.Fatalf("snippet has %d tokens, need %d", len(ids), T+1)
	}
	var sum float64
	n := 0
	for off := 0; off+T+1 <= len(ids); off += T {
		loss, err := ck.Model.Forward(ids[off:off+T], ids[off+1:off+T+1], 1)
		if err != nil {
			t.Fatal(err)
		}
		sum += loss
		n++
	}
	loss := sum / float64(n)
	chance := math.Log(float64(c.Vocab))
	t.Logf("loss %.3f nats/char on a Go snippet (chance %.3f)", loss, chance)
	if loss > 1.5 {
		t.Errorf("loss %.3f nats/char, want < 1.5 (chance is %.3f)", loss, chance)
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
