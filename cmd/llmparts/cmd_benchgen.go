package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/model"
)

func init() { registerBench(newBenchGenerateCmd) }

// benchResult is the --json line of bench generate.
type benchResult struct {
	PromptTokensPerSec float64 `json:"prompt_tokens_per_sec"`
	DecodeTokensPerSec float64 `json:"decode_tokens_per_sec"`
	Threads            int     `json:"threads"`
	PromptTokens       int     `json:"prompt_tokens"`
	DecodeTokens       int     `json:"decode_tokens"`
	WeightBytesPerSec  float64 `json:"decode_weight_bytes_per_sec"`
	// PackedWeightBytes is the memory of the F32 weights packed for
	// prompts (model.Model.PackedBytes), on top of the weights.
	PackedWeightBytes int64 `json:"packed_weight_bytes"`
}

func newBenchGenerateCmd() *cobra.Command {
	var (
		mf           modelFlags
		np, nt, reps int
		js           bool
	)
	c := &cobra.Command{
		Use:   "generate [-m MODEL] [--prompt-tokens N] [--tokens N] [--json]",
		Short: "prompt and decode tokens/s of a model",
		Long: `Time, like llama-bench's pp and tg tests, a prompt of fixed pseudo-random tokens
and, from an empty cache, greedy decode steps; each is the best of -r runs, after
one untimed warm-up (the prompt and one decode step) as llama-bench makes.`,
		Example: "  llmparts bench generate -m model.gguf --prompt-tokens 128 --tokens 128 -t 2 --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case np < 1 || nt < 1:
				return usageErrorf("--prompt-tokens %d and --tokens %d must both be at least 1", np, nt)
			case reps < 1:
				return usageErrorf("-r %d: want at least 1 repetition", reps)
			case model.CheckThreads(mf.threads) != nil:
				return usageErrorf("--%v", model.CheckThreads(mf.threads))
			}
			return runBenchGenerate(&mf, np, nt, reps, js)
		},
	}
	fs := c.Flags()
	mf.add(fs)
	fs.IntVar(&np, "prompt-tokens", 128, "prompt length")
	fs.IntVar(&nt, "tokens", 128, "tokens to decode from an empty cache (end-of-sequence is ignored)")
	fs.IntVarP(&reps, "repetitions", "r", 3, "repetitions (the best is reported)")
	fs.BoolVar(&js, "json", false, "print a JSON summary as the last line")
	return c
}

func runBenchGenerate(mf *modelFlags, np, nt, reps int, js bool) error {
	mf.noTok = true
	lm, err := mf.open()
	if err != nil {
		return err
	}
	defer lm.Close()
	m := lm.Net
	r, err := benchGenerate(m, np, nt, reps)
	if err != nil {
		return err
	}
	fmt.Printf("model %s: %d threads\n", m.Info.Path, r.Threads)
	fmt.Printf("prompt: %d tokens, %.1f tok/s\n", r.PromptTokens, r.PromptTokensPerSec)
	fmt.Printf("decode: %d tokens, %.1f tok/s, %.2f GB/s of weights\n", r.DecodeTokens, r.DecodeTokensPerSec, r.WeightBytesPerSec/1e9)
	if r.PackedWeightBytes > 0 {
		fmt.Printf("F32 weights packed for prompts: %.1f MB more memory (SGEMM kernel %s)\n", float64(r.PackedWeightBytes)/1e6, kernel.GemmImpl())
	}
	if js {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
	}
	return nil
}

// benchGenerate times, like llama-bench's pp and tg tests, a prompt of np
// fixed pseudo-random tokens and, from an empty cache, nt greedy decode
// steps; each is the best of reps runs, after an untimed warm-up.
func benchGenerate(m *model.Model, np, nt, reps int) (benchResult, error) {
	c := m.Config
	np = max(1, np)
	nt = max(1, nt)
	if np > c.ContextLen || nt > c.ContextLen {
		return benchResult{}, fmt.Errorf("prompt %d or tokens %d exceed the context of %d", np, nt, c.ContextLen)
	}
	prompt := make([]int, np)
	x := uint32(12345)
	for i := range prompt {
		x = x*1664525 + 1013904223
		prompt[i] = int(x>>8) % c.VocabSize
	}
	s := m.NewSession(max(np, nt))
	best := benchResult{Threads: m.Threads(), PromptTokens: np, DecodeTokens: nt}
	// Warm up as llama-bench does before its timed runs: the prompt once
	// and one decode step (first-touch page faults, the pool's threads,
	// the model's one-time packing of F32 weights for prompts).
	for _, w := range [][]int{prompt, prompt[:1]} {
		if _, err := s.Forward(w, 0); err != nil {
			return best, err
		}
	}
	for r := 0; r < max(1, reps); r++ {
		t0 := time.Now()
		if _, err := s.Forward(prompt, 0); err != nil {
			return best, err
		}
		dp := time.Since(t0)
		next := prompt[0]
		t1 := time.Now()
		for i := 0; i < nt; i++ {
			logits, err := s.Forward([]int{next}, i)
			if err != nil {
				return best, err
			}
			next = 0
			for j, v := range logits {
				if v > logits[next] {
					next = j
				}
			}
		}
		dd := time.Since(t1)
		best.PromptTokensPerSec = max(best.PromptTokensPerSec, float64(np)/dp.Seconds())
		best.DecodeTokensPerSec = max(best.DecodeTokensPerSec, float64(nt)/dd.Seconds())
	}
	best.WeightBytesPerSec = best.DecodeTokensPerSec * float64(m.WeightBytes())
	best.PackedWeightBytes = m.PackedBytes()
	return best, nil
}
