//go:build unix

package model

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadBenchModel loads the file named by LLMPARTS_BENCH_MODEL (skipping
// the benchmark when unset) with LLMPARTS_BENCH_THREADS threads (default
// 2); LLMPARTS_BENCH_INT=1 forces the integer path, =0 the float path;
// LLMPARTS_BENCH_GGML=1 sets MatchGGML.
func loadBenchModel(b *testing.B, keepMapped bool) *Model {
	p := os.Getenv("LLMPARTS_BENCH_MODEL")
	if p == "" {
		b.Skip("LLMPARTS_BENCH_MODEL not set")
	}
	threads := 2
	if t, err := strconv.Atoi(os.Getenv("LLMPARTS_BENCH_THREADS")); err == nil {
		threads = t
	}
	m, err := Load(p, Options{Threads: threads, KeepMapped: keepMapped,
		QuantizeActivations: os.Getenv("LLMPARTS_BENCH_INT") == "1",
		FloatActivations:    os.Getenv("LLMPARTS_BENCH_INT") == "0",
		MatchGGML:           os.Getenv("LLMPARTS_BENCH_GGML") == "1"})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkFileDecode decodes positions 0..63 of the model file named by
// LLMPARTS_BENCH_MODEL (skipped when unset) with 2 threads, like
// `llmparts bench generate`.
func BenchmarkFileDecode(b *testing.B) {
	m := loadBenchModel(b, os.Getenv("LLMPARTS_HUGE") == "")
	defer m.Close()
	s := m.NewSession(256)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	pos := 0
	for i := 0; i < b.N; i++ {
		if pos == 64 {
			pos = 0
		}
		if _, err := s.Forward([]int{(pos * 7) % m.Config.VocabSize}, pos); err != nil {
			b.Fatal(err)
		}
		pos++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/tok")
}

// BenchmarkFilePrompt runs a prompt of LLMPARTS_BENCH_PROMPT tokens
// (default 128; the file's context must hold them) through the model file
// named by LLMPARTS_BENCH_MODEL (skipped when unset) with 2 threads (or
// LLMPARTS_BENCH_THREADS); LLMPARTS_BENCH_INT=1 forces the integer path,
// =0 the float path; LLMPARTS_BENCH_GGML=1 sets MatchGGML.
func BenchmarkFilePrompt(b *testing.B) {
	m := loadBenchModel(b, false)
	defer m.Close()
	n := 128
	if v, err := strconv.Atoi(os.Getenv("LLMPARTS_BENCH_PROMPT")); err == nil && v > 0 {
		n = v
	}
	if n > m.Config.ContextLen {
		b.Skipf("a %d-token prompt exceeds the model's context of %d", n, m.Config.ContextLen)
	}
	s := m.NewSession(max(256, n))
	toks := make([]int, n)
	for i := range toks {
		toks[i] = (i * 7) % m.Config.VocabSize
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := s.Forward(toks, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(toks))/b.Elapsed().Seconds(), "tok/s")
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N*len(toks)), "cpu-ms/tok")
}
