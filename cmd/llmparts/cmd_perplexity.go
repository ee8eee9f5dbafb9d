package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/internal/progress"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

func init() { register(newPerplexityCmd) }

// pplResult is the outcome of perplexity (and its --json line).
type pplResult struct {
	PPL     float64 `json:"ppl"`
	StdErr  float64 `json:"ppl_stderr"` // standard error of PPL
	NLL     float64 `json:"nll"`        // mean negative log-likelihood, nats/token
	Ctx     int     `json:"ctx"`
	Chunks  int     `json:"chunks"`
	Tokens  int     `json:"tokens"` // tokens of the text
	Scored  int     `json:"scored"` // tokens whose likelihood was counted
	Bytes   int     `json:"bytes"`  // UTF-8 bytes of the scored tokens' text
	BPB     float64 `json:"bpb"`    // bits per byte: Σℓᵢ / (Bytes · ln 2)
	Seconds float64 `json:"seconds"`
}

func newPerplexityCmd() *cobra.Command {
	var (
		mf      modelFlags
		file    string
		nctx    int
		chunks  int
		jsonOut bool
	)
	c := &cobra.Command{
		Use:   "perplexity -m MODEL -f FILE [-c CTX] [--chunks N] [--json]",
		Short: "perplexity of a model on a text, computed as llama.cpp's llama-perplexity does",
		Long: `Measure how well a model predicts a text, by llama-perplexity's method: the text
is tokenized (with BOS when the vocabulary adds it) and cut into windows of CTX
tokens; each window is run from position 0 with its first token replaced by BOS,
and only the second half of each window is scored, so every scored token has at
least CTX/2 tokens of context. With N scored tokens of negative log-likelihood
ℓᵢ = −ln p(xᵢ | x<ᵢ), mean ℓ̄ = Σℓᵢ/N:

  PPL = exp(ℓ̄),  standard error ≈ PPL · sqrt((mean ℓᵢ² − ℓ̄²) / (N − 1))

Bits per byte, Σℓᵢ / (B · ln 2) with B the UTF-8 bytes of the scored tokens'
text, compares models whose tokenizers differ (a character model and a BPE
model on the same text).

The running estimate is shown per window on stderr; the result goes to stdout.`,
		Example: `  llmparts perplexity -m model.gguf -f wiki.test.raw -c 512
  llmparts perplexity -m stories260K.bin -f story.txt -c 128 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usageErrorf("-f FILE is required (- = standard input)")
			}
			if nctx < 0 || chunks < 0 {
				return usageErrorf("-c %d and --chunks %d must not be negative", nctx, chunks)
			}
			text, err := readInput(file)
			if err != nil {
				return err
			}
			m, err := mf.open()
			if err != nil {
				return err
			}
			defer m.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			r, err := perplexity(ctx, m, string(text), nctx, chunks, progress.New(os.Stderr))
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			if jsonOut {
				b, _ := json.Marshal(r)
				fmt.Println(string(b))
			} else {
				printPerplexity(os.Stdout, r)
			}
			if err != nil {
				return errInterrupted
			}
			return nil
		},
	}
	fs := c.Flags()
	mf.add(fs)
	fs.StringVarP(&file, "file", "f", "", "text to score (- = standard input)")
	fs.IntVarP(&nctx, "ctx-size", "c", 0, "window size in tokens (0 = the model's context length)")
	fs.IntVar(&chunks, "chunks", 0, "score at most N windows (0 = all)")
	fs.BoolVar(&jsonOut, "json", false, "print the result as one JSON line")
	return c
}

func printPerplexity(w io.Writer, r pplResult) {
	fmt.Fprintf(w, "PPL = %.4f +/- %.5f  (mean NLL %.6f nats/token, %.4f bits/byte; %d windows of %d tokens, %d tokens = %d bytes scored, %.2f s)\n",
		r.PPL, r.StdErr, r.NLL, r.BPB, r.Chunks, r.Ctx, r.Scored, r.Bytes, r.Seconds)
}

// perplexity scores text with m in windows of n tokens (see the command's
// help); maxChunks > 0 limits the windows. When ctx is cancelled it
// returns the estimate so far with ctx's error.
func perplexity(ctx context.Context, m *llmparts.Model, text string, n, maxChunks int, line *progress.Line) (pplResult, error) {
	t0 := time.Now()
	tok := m.Tokenizer
	addBOS := tok.AddBOSDefault()
	ids, err := tok.Encode(text, tokenizer.EncodeOptions{AddBOS: addBOS})
	if err != nil {
		return pplResult{}, err
	}
	if n == 0 {
		n = m.Net.Config.ContextLen
	}
	switch {
	case n < 4:
		return pplResult{}, usageErrorf("-c %d: want a window of at least 4 tokens", n)
	case n > m.Net.Config.ContextLen:
		return pplResult{}, usageErrorf("-c %d is larger than the model's context of %d tokens", n, m.Net.Config.ContextLen)
	case len(ids) < 2*n:
		return pplResult{}, fmt.Errorf("the text is %d tokens; a window of %d needs at least %d", len(ids), n, 2*n)
	}
	chunks := len(ids) / n
	if maxChunks > 0 {
		chunks = min(chunks, maxChunks)
	}
	s := m.Net.NewSession(n)
	V := m.Net.Config.VocabSize
	first := n / 2
	r := pplResult{Ctx: n, Tokens: len(ids)}
	var sum, sum2 float64
	window := make([]int, n)
	for c := range chunks {
		if err := ctx.Err(); err != nil {
			line.Done()
			return r, err
		}
		copy(window, ids[c*n:(c+1)*n])
		if addBOS && tok.BOS() >= 0 {
			window[0] = tok.BOS()
		}
		s.Reset()
		logits, err := s.ForwardAll(window, 0)
		if err != nil {
			return r, err
		}
		for j := first; j < n-1; j++ {
			nll := negLogSoftmax(logits[j*V:(j+1)*V], ids[c*n+j+1])
			sum += nll
			sum2 += nll * nll
			r.Scored++
		}
		// The scored targets are ids[c·n+first+1 : (c+1)·n], a run of
		// consecutive tokens: decoded together they are exactly their text.
		r.Bytes += len(tok.Decode(ids[c*n+first+1 : (c+1)*n]))
		r.Chunks = c + 1
		r.NLL = sum / float64(r.Scored)
		r.PPL = math.Exp(r.NLL)
		if r.Bytes > 0 {
			r.BPB = sum / (float64(r.Bytes) * math.Ln2)
		}
		if r.Scored > 1 {
			v := sum2/float64(r.Scored) - r.NLL*r.NLL
			r.StdErr = r.PPL * math.Sqrt(max(v, 0)/float64(r.Scored-1))
		}
		r.Seconds = time.Since(t0).Seconds()
		show := line.Update
		if c == chunks-1 {
			show = line.Final
		}
		show("[%d/%d] PPL %.4f +/- %.5f  %.1f s", c+1, chunks, r.PPL, r.StdErr, r.Seconds)
	}
	line.Done()
	return r, nil
}

// negLogSoftmax returns −log softmax(row)[id], computed in float64.
func negLogSoftmax(row []float32, id int) float64 {
	return sample.LogSumExp(row) - float64(row[id])
}
