//go:build unix

package model

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkFileBatchDecode decodes B sequences at once through ForwardBatch
// (positions 16..79 of each, as a server's continuous batch does) with the
// model file named by LLMPARTS_BENCH_MODEL (skipped when unset) and 2
// threads; tok/s counts the tokens of all B sequences.
func BenchmarkFileBatchDecode(b *testing.B) {
	p := os.Getenv("LLMPARTS_BENCH_MODEL")
	if p == "" {
		b.Skip("LLMPARTS_BENCH_MODEL not set")
	}
	m, err := Load(p, Options{Threads: 2, KeepMapped: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for _, B := range []int{1, 8} {
		b.Run(fmt.Sprint("B=", B), func(b *testing.B) {
			ss := make([]*Session, B)
			toks := make([]int, B)
			for i := range ss {
				ss[i] = m.NewSession(128)
			}
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for k, s := range ss {
					if s.Pos == 0 || s.Pos == 80 {
						s.Pos = 16 // positions 0..15 hold whatever was cached first
					}
					toks[k] = (s.Pos*7 + k) % m.Config.VocabSize
				}
				if _, err := ForwardBatch(ss, toks); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*B)/b.Elapsed().Seconds(), "tok/s")
			b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N*B), "cpu-ms/tok")
		})
	}
}
