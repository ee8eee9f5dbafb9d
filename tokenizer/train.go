package tokenizer

import (
	"errors"
	"fmt"
	"sort"
)

// TrainOptions tunes TrainBPE.
type TrainOptions struct {
	// MinFrequency is the smallest pair count worth a merge (default 2).
	MinFrequency int
	// Special tokens are appended after the learned tokens as control
	// tokens (for example "<|endoftext|>"); they count in vocabSize.
	Special []string
	// BOS and EOS name special tokens to use as BOS/EOS ("" for none).
	BOS, EOS string
}

// maxTrainVocab bounds TrainBPE's vocabulary size (ids are int32, and
// every loader caps vocabularies at 2^24 as well).
const maxTrainVocab = 1 << 24

type trainPair struct{ a, b int32 }

type pairCount struct {
	p     trainPair
	count int64
}

type trainWord struct {
	syms []int32
	freq int64
}

// TrainBPE learns a byte-level BPE from corpus: the 256 byte tokens, then
// merges of the most frequent adjacent pair (ties broken by the
// lexicographic order of the two pieces) until vocabSize tokens, special
// tokens included. Words come from the GPT-2 pre-tokenizer, so no merge
// crosses a word boundary. Pair counts are updated incrementally, only in
// the words that contain the merged pair. The result is deterministic.
func TrainBPE(corpus []byte, vocabSize int, opts TrainOptions) (*BPE, error) {
	if opts.MinFrequency <= 0 {
		opts.MinFrequency = 2
	}
	if vocabSize < 256+len(opts.Special) {
		return nil, fmt.Errorf("tokenizer: train: vocabulary size %d below the 256 byte tokens plus %d special tokens", vocabSize, len(opts.Special))
	}
	if vocabSize > maxTrainVocab {
		return nil, fmt.Errorf("tokenizer: train: vocabulary size %d above the limit of %d", vocabSize, maxTrainVocab)
	}
	sp, _, _, err := preTokenizer("gpt-2")
	if err != nil {
		return nil, err
	}
	// Count words.
	counts := map[string]int64{}
	var buf splitBuf
	text := string(corpus)
	sp.run(text, &buf, func(a, b int) { counts[text[a:b]]++ })
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	// Each merge removes at least one symbol from the corpus, so there are
	// at most len(corpus) of them: size the tables by that, not by a
	// vocabSize that may be far beyond what the corpus can give.
	hint := min(vocabSize, 256+len(corpus))
	tokens := make([]string, 256, hint)
	index := make(map[string]int32, hint)
	for b := 0; b < 256; b++ {
		tokens[b] = string(byteToRune[b])
		index[tokens[b]] = int32(b)
	}
	words := make([]trainWord, len(keys))
	pairs := map[trainPair]int64{}
	where := map[trainPair][]int32{}
	for i, k := range keys {
		w := trainWord{syms: make([]int32, len(k)), freq: counts[k]}
		for j := 0; j < len(k); j++ {
			w.syms[j] = int32(k[j])
		}
		words[i] = w
		for j := 1; j < len(w.syms); j++ {
			p := trainPair{w.syms[j-1], w.syms[j]}
			pairs[p] += w.freq
			where[p] = append(where[p], int32(i))
		}
	}
	// A max-heap of (count, pieces) with lazy deletion: an entry is valid
	// only while its count equals the pair's current count.
	less := func(x, y pairCount) bool { // x before y
		if x.count != y.count {
			return x.count > y.count
		}
		if ax, ay := tokens[x.p.a], tokens[y.p.a]; ax != ay {
			return ax < ay
		}
		return tokens[x.p.b] < tokens[y.p.b]
	}
	var h []pairCount
	push := func(pc pairCount) {
		h = append(h, pc)
		for i := len(h) - 1; i > 0; {
			par := (i - 1) / 2
			if !less(h[i], h[par]) {
				break
			}
			h[i], h[par] = h[par], h[i]
			i = par
		}
	}
	pop := func() pairCount {
		top := h[0]
		n := len(h) - 1
		h[0] = h[n]
		h = h[:n]
		for i := 0; ; {
			l := 2*i + 1
			if l >= n {
				break
			}
			m := l
			if r := l + 1; r < n && less(h[r], h[l]) {
				m = r
			}
			if !less(h[m], h[i]) {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
		return top
	}
	for p, c := range pairs {
		push(pairCount{p, c})
	}
	var merges []string
	learned := vocabSize - len(opts.Special)
	changed := map[trainPair]bool{}
	for len(tokens) < learned && len(h) > 0 {
		top := pop()
		if cur := pairs[top.p]; cur != top.count || cur <= 0 {
			continue // stale entry
		}
		if top.count < int64(opts.MinFrequency) {
			break
		}
		p := top.p
		merged := tokens[p.a] + tokens[p.b]
		nid, dup := index[merged]
		if !dup { // two merge paths can spell the same piece: one token
			nid = int32(len(tokens))
			tokens = append(tokens, merged)
			index[merged] = nid
		}
		merges = append(merges, tokens[p.a]+" "+tokens[p.b])
		clear(changed)
		ws := where[p]
		delete(where, p)
		last := int32(-1)
		for _, wi := range ws {
			if wi == last {
				continue // listed once per occurrence
			}
			last = wi
			w := &words[wi]
			if !hasPair(w.syms, p) {
				continue
			}
			for j := 1; j < len(w.syms); j++ {
				q := trainPair{w.syms[j-1], w.syms[j]}
				pairs[q] -= w.freq
				changed[q] = true
			}
			out := w.syms[:0]
			for j := 0; j < len(w.syms); j++ {
				if j+1 < len(w.syms) && w.syms[j] == p.a && w.syms[j+1] == p.b {
					out = append(out, nid)
					j++
				} else {
					out = append(out, w.syms[j])
				}
			}
			w.syms = out
			for j := 1; j < len(w.syms); j++ {
				q := trainPair{w.syms[j-1], w.syms[j]}
				pairs[q] += w.freq
				changed[q] = true
				if q.a == nid || q.b == nid {
					if l := where[q]; len(l) == 0 || l[len(l)-1] != wi {
						where[q] = append(l, wi)
					}
				}
			}
		}
		// Re-queue changed pairs in a deterministic order.
		cs := make([]trainPair, 0, len(changed))
		for q := range changed {
			cs = append(cs, q)
		}
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].a != cs[j].a {
				return cs[i].a < cs[j].a
			}
			return cs[i].b < cs[j].b
		})
		for _, q := range cs {
			if c := pairs[q]; c > 0 {
				push(pairCount{q, c})
			} else {
				delete(pairs, q)
			}
		}
	}
	if len(merges) == 0 {
		return nil, errors.New("tokenizer: train: corpus too small: no pair occurs twice")
	}
	v := &Vocab{Model: "gpt2", Pre: "gpt-2", BOS: -1, EOS: -1, UNK: -1, PAD: -1, Merges: merges}
	v.Types = make([]int32, len(tokens), len(tokens)+len(opts.Special))
	for i := range v.Types {
		v.Types[i] = TypeNormal
	}
	for _, s := range opts.Special {
		if _, dup := index[s]; dup || s == "" {
			return nil, fmt.Errorf("tokenizer: train: special token %q is empty or repeated", s)
		}
		index[s] = int32(len(tokens))
		if s == opts.BOS {
			v.BOS = len(tokens)
		}
		if s == opts.EOS {
			v.EOS = len(tokens)
		}
		tokens = append(tokens, s)
		v.Types = append(v.Types, TypeControl)
	}
	if opts.BOS != "" && v.BOS < 0 {
		return nil, fmt.Errorf("tokenizer: train: BOS %q is not among the special tokens", opts.BOS)
	}
	if opts.EOS != "" && v.EOS < 0 {
		return nil, fmt.Errorf("tokenizer: train: EOS %q is not among the special tokens", opts.EOS)
	}
	v.Tokens = tokens
	return FromVocab(v)
}

func hasPair(s []int32, p trainPair) bool {
	for j := 1; j < len(s); j++ {
		if s[j-1] == p.a && s[j] == p.b {
			return true
		}
	}
	return false
}
