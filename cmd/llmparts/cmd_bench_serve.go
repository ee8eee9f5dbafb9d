package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/internal/chart"
	"github.com/llmparts/llmparts/serve"
)

func init() { registerBench(newBenchServeCmd) }

// serveResult is one concurrency level of bench serve.
type serveResult struct {
	Clients    int     `json:"clients"`
	Requests   int     `json:"requests"`
	Tokens     int     `json:"completion_tokens"`
	Seconds    float64 `json:"seconds"`
	TokPerSec  float64 `json:"tok_per_s"`
	StreamTokS float64 `json:"per_stream_tok_per_s"`
	TTFTp50Ms  float64 `json:"ttft_p50_ms"`
	TTFTp99Ms  float64 `json:"ttft_p99_ms"`
	Speedup    float64 `json:"speedup_vs_1"`
	// CPUMsPerToken is the process CPU time (all threads) per completion
	// token: on a machine shared with other work it shows the batching
	// gain better than wall-clock rates do.
	CPUMsPerToken float64 `json:"cpu_ms_per_token,omitempty"`
	PromptToken   int     `json:"prompt_tokens"`
}

func newBenchServeCmd() *cobra.Command {
	var mf modelFlags
	var levels string
	var n, reqs int
	var prompt, plot string
	var js bool
	c := &cobra.Command{
		Use:   "serve [-m MODEL] [--clients 1,2,4,8] [--tokens N] [--requests R] [--json] [--plot F.png]",
		Short: "serve throughput against concurrency: C streaming clients on loopback, completion tok/s and time to first token",
		Long: `Start the server in-process on 127.0.0.1 with --parallel equal to the number of
clients, and for each number of clients C run C concurrent clients that each send
--requests streamed completions of --tokens tokens (ignore_eos, temperature 0).
Reports the completion tokens per second of all clients together, per stream, the
speed-up over one client, the 50th and 99th percentile time to first token, and the
process CPU time per completion token (which shows the batching gain even when other
work shares the cores).`,
		Example: "  llmparts bench serve -m model.gguf --clients 1,2,4,8 --tokens 64 --requests 2 --json --plot serve.png",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var cs []int
			for _, f := range strings.Split(levels, ",") {
				v, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || v < 1 || v > 256 {
					return usageErrorf("--clients %q: want numbers from 1 to 256 separated by commas", levels)
				}
				cs = append(cs, v)
			}
			if n < 1 || reqs < 1 {
				return usageErrorf("--tokens and --requests must be at least 1")
			}
			m, err := mf.open()
			if err != nil {
				return err
			}
			defer m.Close()
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			var res []serveResult
			fmt.Fprintf(out, "%8s %9s %10s %12s %8s %10s %10s %10s\n", "clients", "requests", "tok/s", "tok/s/stream", "speedup", "TTFT p50", "TTFT p99", "CPU/token")
			for _, c := range cs {
				r, err := benchServeLevel(cmd.Context(), m, c, reqs, n, prompt)
				if err != nil {
					return err
				}
				if len(res) > 0 && res[0].Clients == 1 {
					r.Speedup = r.TokPerSec / res[0].TokPerSec
				} else if c == 1 {
					r.Speedup = 1
				}
				res = append(res, r)
				fmt.Fprintf(out, "%8d %9d %10.1f %12.1f %7.2fx %8.0fms %8.0fms %8.1fms\n", r.Clients, r.Requests, r.TokPerSec, r.StreamTokS, r.Speedup, r.TTFTp50Ms, r.TTFTp99Ms, r.CPUMsPerToken)
			}
			if plot != "" {
				var x, tps, p50, p99 []float64
				for _, r := range res {
					x = append(x, float64(r.Clients))
					tps = append(tps, r.TokPerSec)
					p50 = append(p50, r.TTFTp50Ms)
					p99 = append(p99, r.TTFTp99Ms)
				}
				l := chart.Line{Title: "llmparts serve: completion throughput", XLabel: "concurrent streaming clients", YLabel: "completion tokens/s (all clients)",
					Series: []chart.Series{{Name: "tok/s", X: x, Y: tps}}}
				if err := l.Save(plot, 480, 300); err != nil {
					return err
				}
				tp := strings.TrimSuffix(plot, ".png") + "-ttft.png"
				l = chart.Line{Title: "llmparts serve: time to first token", XLabel: "concurrent streaming clients", YLabel: "ms",
					Series: []chart.Series{{Name: "p50", X: x, Y: p50}, {Name: "p99", X: x, Y: p99}}, LegendBottomLeft: false}
				if err := l.Save(tp, 480, 300); err != nil {
					return err
				}
				fmt.Fprintf(errw, "wrote %s and %s\n", plot, tp)
			}
			if js {
				b, _ := json.Marshal(res)
				fmt.Fprintln(out, string(b))
			}
			return nil
		},
	}
	mf.add(c.Flags())
	f := c.Flags()
	f.StringVar(&levels, "clients", "1,2,4,8", "numbers of concurrent clients, comma-separated")
	f.IntVarP(&n, "tokens", "n", 64, "completion tokens per request")
	f.IntVar(&reqs, "requests", 2, "requests per client")
	f.StringVarP(&prompt, "prompt", "p", "func main() {", "prompt of every request")
	f.StringVar(&plot, "plot", "", "write throughput and time-to-first-token charts (PNG; the second gets -ttft)")
	f.BoolVar(&js, "json", false, "print the results as one JSON array as the last line")
	return c
}

// benchServeLevel runs c clients × reqs streamed requests against a fresh
// in-process server with c slots.
func benchServeLevel(ctx context.Context, m *llmparts.Model, c, reqs, n int, prompt string) (serveResult, error) {
	s := serve.New(serve.Options{Parallel: c, QueueSize: c * reqs})
	if err := s.SetModel(m); err != nil {
		return serveResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return serveResult{}, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln, time.Second) }()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String() + "/v1/completions"
	body, _ := json.Marshal(map[string]any{"prompt": prompt, "max_tokens": n, "temperature": 0, "ignore_eos": true,
		"stream": true, "stream_options": map[string]bool{"include_usage": true}})
	var mu sync.Mutex
	var ttfts []float64
	tokens, promptTok := 0, 0
	var firstErr error
	var wg sync.WaitGroup
	cpu0, cpuOK := processCPU()
	t0 := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range reqs {
				ttft, ntok, np, err := streamOnce(ctx, url, body)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				ttfts = append(ttfts, ttft.Seconds()*1000)
				tokens += ntok
				promptTok = np
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	cpu1, _ := processCPU()
	if firstErr != nil {
		return serveResult{}, firstErr
	}
	slices.Sort(ttfts)
	pct := func(p float64) float64 { return ttfts[min(len(ttfts)-1, int(p*float64(len(ttfts))))] }
	r := serveResult{Clients: c, Requests: c * reqs, Tokens: tokens, Seconds: el, TokPerSec: float64(tokens) / el,
		TTFTp50Ms: pct(0.5), TTFTp99Ms: pct(0.99), PromptToken: promptTok}
	r.StreamTokS = r.TokPerSec / float64(c)
	if cpuOK && tokens > 0 {
		r.CPUMsPerToken = (cpu1 - cpu0).Seconds() * 1000 / float64(tokens)
	}
	return r, nil
}

// streamOnce sends one streamed completion and returns the time to its
// first data event and the token counts from its usage event.
func streamOnce(ctx context.Context, url string, body []byte) (ttft time.Duration, tokens, prompt int, err error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(string(body)))
	if err != nil {
		return 0, 0, 0, err
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return 0, 0, 0, fmt.Errorf("bench serve: status %d: %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if ttft == 0 {
			ttft = time.Since(t0)
		}
		if line == "[DONE]" {
			return ttft, tokens, prompt, nil
		}
		var ev struct {
			Usage *struct {
				Prompt     int `json:"prompt_tokens"`
				Completion int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Usage != nil {
			tokens, prompt = ev.Usage.Completion, ev.Usage.Prompt
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, 0, err
	}
	return 0, 0, 0, fmt.Errorf("bench serve: the stream ended without [DONE]")
}
