package model

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// decode feeds prompt to a fresh session of m and then n greedy tokens,
// each through ForwardBatch beside the sessions in others (advanced by
// their own greedy tokens); it returns the logits of every step.
func decodeBeside(t *testing.T, m *Model, prompt []int, n int, others [][]int) [][]float32 {
	t.Helper()
	seqs := make([]*Session, 1+len(others))
	next := make([]int, len(seqs))
	for i, p := range append([][]int{prompt}, others...) {
		seqs[i] = m.NewSession(64)
		l, err := seqs[i].Forward(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		next[i] = argmax(l)
	}
	var out [][]float32
	for range n {
		ls, err := ForwardBatch(seqs, next)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, slices.Clone(ls[0]))
		for i, l := range ls {
			next[i] = argmax(l)
		}
	}
	return out
}

// batchModels are a trainer checkpoint (the embedded default model) and,
// when ../shared/testdata is there, GGUF families with sliding windows,
// soft-capping, LongRoPE, ALiBi and parallel blocks.
func batchModels(t *testing.T) map[string]*Model {
	ms := map[string]*Model{}
	m, err := Load("../defaultmodel/model", Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	ms["defaultmodel"] = m
	root := testdata.Root()
	if root == "" {
		t.Log("shared testdata not found: the default model only")
		return ms
	}
	for _, a := range []string{"gemma2", "phi3", "bloom", "gptneox", "qwen2"} {
		p := filepath.Join(root, "archs", a+".gguf")
		m, err := Load(p, Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		ms[a] = m
	}
	return ms
}

// ForwardBatch gives each sequence the logits its own Forward gives (up
// to float rounding: a different product kernel), and exactly the same
// logits whether the sequence runs alone or beside four to seven others at
// other positions.
func TestForwardBatch(t *testing.T) {
	for name, m := range batchModels(t) {
		V := m.Config.VocabSize
		tok := func(i int) int { return (i*7919 + 13) % V }
		prompt := []int{tok(1), tok(2), tok(3)}
		var others [][]int
		for k := range 7 {
			o := make([]int, 1+k*3)
			for i := range o {
				o[i] = tok(100 + 10*k + i)
			}
			others = append(others, o)
		}
		alone := decodeBeside(t, m, prompt, 6, nil)
		// Batches of 5 to 8 sequences: every width of the AVX-512
		// SgemvMulti kernels past the four of the AVX2 ones.
		for k := 4; k <= 7; k++ {
			beside := decodeBeside(t, m, prompt, 6, others[:k])
			for step := range alone {
				if !slices.Equal(alone[step], beside[step]) {
					t.Errorf("%s step %d: logits alone and beside %d others differ", name, step, k)
				}
			}
		}
		// Against the one-sequence path.
		s := m.NewSession(64)
		l, err := s.Forward(prompt, 0)
		if err != nil {
			t.Fatal(err)
		}
		for step := range alone {
			if l, err = s.Forward([]int{argmax(l)}, s.Pos); err != nil {
				t.Fatal(err)
			}
			var maxd, maxv float64
			for i := range l {
				maxd = max(maxd, math.Abs(float64(l[i]-alone[step][i])))
				maxv = max(maxv, math.Abs(float64(l[i])))
			}
			if maxd > 1e-4*max(1, maxv) {
				t.Errorf("%s step %d: batch logits differ from Forward's by %g (max |logit| %g)", name, step, maxd, maxv)
			}
		}
		m.Close()
	}
}

func TestForwardBatchErrors(t *testing.T) {
	m, err := Load("../defaultmodel/model", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	other, err := Load("../defaultmodel/model", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, b := m.NewSession(4), m.NewSession(4)
	full := m.NewSession(1)
	if _, err := full.Forward([]int{1}, 0); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		ss   []*Session
		toks []int
	}{
		"none":          {nil, nil},
		"count":         {[]*Session{a, b}, []int{1}},
		"twice":         {[]*Session{a, a}, []int{1, 2}},
		"other model":   {[]*Session{a, other.NewSession(4)}, []int{1, 2}},
		"full":          {[]*Session{a, full}, []int{1, 2}},
		"bad token":     {[]*Session{a}, []int{-1}},
		"token too big": {[]*Session{a}, []int{m.Config.VocabSize}},
	} {
		if _, err := ForwardBatch(c.ss, c.toks); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, runs := range map[string][][]int{
		"empty run": {{1}, {}},
		"too long":  {{1, 2, 3, 4, 5}, {1}},
		"bad token": {{1, -1}, {1}},
	} {
		if _, err := ForwardChunks([]*Session{a, b}, runs); err == nil {
			t.Errorf("ForwardChunks %s: no error", name)
		}
	}
	if a.Pos != 0 || b.Pos != 0 {
		t.Errorf("failed calls moved positions: %d %d", a.Pos, b.Pos)
	}
}

// A run of tokens fed through ForwardChunks, alone or beside other runs
// and single tokens, gives the same bits as the same tokens fed one per
// ForwardBatch, and leaves the same cache behind (the next token's logits
// agree too).
func TestForwardChunks(t *testing.T) {
	for name, m := range batchModels(t) {
		V := m.Config.VocabSize
		tok := func(i int) int { return (i*7919 + 13) % V }
		run := []int{tok(1), tok(2), tok(3), tok(4), tok(5)}
		one := m.NewSession(64)
		var want []float32
		for _, id := range run {
			ls, err := ForwardBatch([]*Session{one}, []int{id})
			if err != nil {
				t.Fatal(err)
			}
			want = slices.Clone(ls[0])
		}
		nextWant, err := ForwardBatch([]*Session{one}, []int{tok(6)})
		if err != nil {
			t.Fatal(err)
		}
		nextW := slices.Clone(nextWant[0])
		for _, others := range []int{0, 3, 7} {
			a := m.NewSession(64)
			ss, runs := []*Session{a}, [][]int{run}
			for k := range others {
				o := m.NewSession(64)
				if k%2 == 1 { // a decoding neighbour: some positions cached
					if _, err := o.Forward([]int{tok(50 + k), tok(60 + k)}, 0); err != nil {
						t.Fatal(err)
					}
				}
				ss = append(ss, o)
				runs = append(runs, []int{tok(200 + k), tok(300 + k), tok(400 + k)}[:1+k%3])
			}
			ls, err := ForwardChunks(ss, runs)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ls[0], want) || a.Pos != len(run) {
				t.Errorf("%s: a run beside %d others: logits differ from one token at a time (pos %d)", name, others, a.Pos)
			}
			next, err := ForwardBatch([]*Session{a}, []int{tok(6)})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(next[0], nextW) {
				t.Errorf("%s: after a run beside %d others: the next token's logits differ", name, others)
			}
		}
		m.Close()
	}
}
