//go:build unix

package model

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/kernel"
)

// attnGemmJob is the untiled attention of a prompt that attnTileJob
// replaced, the baseline of BenchmarkPromptAttention: two GEMMs per head,
// S = Q_h·K_hᵀ over all T×P scores (causally masked ones included), the
// weights of each row of S, then O_h = S·V_h.
type attnGemmJob struct{ attnTask }

// run computes heads lo..hi for all T tokens.
func (j *attnGemmJob) run(lo, hi, wk int) {
	s := j.s
	hd, qd, kvd, group := j.dims()
	T, P := j.T, j.pos+j.T
	if len(s.scores[wk]) < T*P {
		s.scores[wk] = make([]float32, T*P)
	}
	S := s.scores[wk][:T*P]
	kc, vc := s.k[j.layer], s.v[j.layer]
	for h := lo; h < hi; h++ {
		kvOff := (h / group) * hd
		kernel.Sgemm(false, true, T, P, hd, 1, s.q[h*hd:], qd, kc[kvOff:], kvd, 0, S, P)
		for t := 0; t < T; t++ {
			row := S[t*P : (t+1)*P]
			p := j.pos + t // causal: keys j0..p
			j0 := s.first(j.layer, p)
			clear(row[:j0])
			s.weights(row[j0:p+1], h, p, j0)
			clear(row[p+1:])
		}
		kernel.Sgemm(false, false, T, hd, P, 1, S, P, vc[kvOff:], kvd, 0, j.out[h*hd:], qd)
	}
}

// BenchmarkPromptAttention times the attention of a prompt alone (the
// queries, keys and values random, the prompt in chunks of maxBatch as
// Forward runs it) in the 134M benchmark model's shape, 12 heads of 64,
// with 2 threads (or LLMPARTS_BENCH_THREADS): the untiled two-GEMM path
// ("gemm", whose score matrix is T×P per head) against the tiled one
// ("tiled", tiles of LLMPARTS_BENCH_TILEQ×LLMPARTS_BENCH_TILEK if set).
func BenchmarkPromptAttention(b *testing.B) {
	p := writeSynthDir(b, synth{arch: "llama", dim: 768, hidden: 64, layers: 1, heads: 12, kvHeads: 12, vocab: 300,
		extraKV: []gguf.KV{{Key: "llama.context_length", Value: gguf.Value{Data: uint32(2048)}}}})
	threads := 2
	if t, err := strconv.Atoi(os.Getenv("LLMPARTS_BENCH_THREADS")); err == nil {
		threads = t
	}
	m, err := Load(p, Options{Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	defer func(q, k int) { tileQ, tileK = q, k }(tileQ, tileK)
	if v, err := strconv.Atoi(os.Getenv("LLMPARTS_BENCH_TILEQ")); err == nil && v > 0 {
		tileQ = v
	}
	if v, err := strconv.Atoi(os.Getenv("LLMPARTS_BENCH_TILEK")); err == nil && v > 0 {
		tileK = v
	}
	s := m.NewSession(2048)
	s.grow(maxBatch)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, x := range [][]float32{s.q, s.k[0], s.v[0]} {
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
	}
	s.scores = make([][]float32, m.pool.n) // attnGemmJob grows each to T×P
	for _, T := range []int{128, 512, 2048} {
		for _, tiled := range []bool{false, true} {
			name := map[bool]string{false: "gemm", true: "tiled"}[tiled]
			b.Run(fmt.Sprintf("T=%d/%s", T, name), func(b *testing.B) {
				c0 := cpuTime()
				for i := 0; i < b.N; i++ {
					for pos := 0; pos < T; pos += maxBatch {
						n := min(maxBatch, T-pos)
						if tiled {
							s.attend(0, n, pos)
							continue
						}
						g := attnGemmJob{attnTask{s: s, layer: 0, T: n, pos: pos, out: s.att[:n*768]}}
						m.pool.parallel(&g, 12, n*(pos+n)*64*2)
					}
				}
				b.ReportMetric(float64(b.N*T)/b.Elapsed().Seconds(), "tok/s")
				b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
	}
}
