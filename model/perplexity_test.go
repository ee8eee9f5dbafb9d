package model

import (
	"math"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/tokenizer"
)

// story is a short simple English story in the style of TinyStories,
// written for this test.
const story = `Once upon a time, there was a little boy named Tom. Tom had a red ball. He liked to play with his ball in the park every day. One day, Tom saw a big dog in the park. The dog was sad because it had no friends. Tom wanted to help the dog. He said, "Do you want to play with me?" The dog wagged its tail and barked. Tom threw the ball and the dog ran to get it. They played all day and had lots of fun. When the sun went down, Tom went home with his mom. He was happy because he had a new friend. The next day, Tom and the dog played in the park again.`

// meanNLL returns the mean negative log-likelihood (nats/token) of ids[1:]
// given their prefixes.
func meanNLL(t *testing.T, m *Model, ids []int) float64 {
	s := m.NewSession(len(ids))
	logits, err := s.ForwardAll(ids, 0)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	var nll float64
	for i := 0; i+1 < len(ids); i++ {
		row := logits[i*V : (i+1)*V]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - mx)
		}
		nll += mx + math.Log(z) - float64(row[ids[i+1]])
	}
	return nll / float64(len(ids)-1)
}

func TestStoriesPerplexity(t *testing.T) {
	m := loadStories(t)
	tok, err := tokenizer.LoadLlama2C(testdata.Path(t, "llama2c/tok512.bin"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode(story, tokenizer.EncodeOptions{AddBOS: true})
	if err != nil {
		t.Fatal(err)
	}
	nll := meanNLL(t, m, ids)
	t.Logf("%d tokens: %.3f nats/token, perplexity %.2f (uniform: %.2f nats)", len(ids), nll, math.Exp(nll), math.Log(512))
	if len(ids) < 100 || nll > 2.0 {
		t.Fatalf("mean NLL %.3f nats over %d tokens; want < 2.0", nll, len(ids))
	}
	// The same through the cache one token at a time.
	s := m.NewSession(len(ids))
	var nll2 float64
	for i := 0; i+1 < len(ids); i++ {
		l, err := s.Forward(ids[i:i+1], i)
		if err != nil {
			t.Fatal(err)
		}
		mx := math.Inf(-1)
		for _, v := range l {
			mx = math.Max(mx, float64(v))
		}
		var z float64
		for _, v := range l {
			z += math.Exp(float64(v) - mx)
		}
		nll2 += mx + math.Log(z) - float64(l[ids[i+1]])
	}
	nll2 /= float64(len(ids) - 1)
	if math.Abs(nll-nll2) > 1e-4 {
		t.Fatalf("cached NLL %.6f differs from batched %.6f", nll2, nll)
	}
}

func TestTinyRandomGGUFTokenizeGenerate(t *testing.T) {
	p := testdata.Path(t, "gguf/llama-2-tiny-random.gguf")
	m, err := Load(p, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizer.LoadGGUF(p)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode("Hello world", tokenizer.EncodeOptions{AddBOS: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 15043 || ids[2] != 3186 {
		t.Fatalf("ids %v", ids)
	}
	a := greedy(t, m, ids, 10)
	b := greedy(t, m, ids, 10)
	for i := range a {
		if a[i] != b[i] || a[i] < 0 || a[i] >= 32000 {
			t.Fatalf("greedy runs %v %v", a, b)
		}
	}
	if tok.Decode(a) == "" {
		t.Fatal("empty decode")
	}
}
