package defaultmodel

import (
	"math"
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
