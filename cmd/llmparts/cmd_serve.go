package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/serve"
)

func init() { register(newServeCmd) }

func newServeCmd() *cobra.Command {
	var mf modelFlags
	var o serve.Options
	var host, tmpl, maxMem string
	var port int
	var grace time.Duration
	c := &cobra.Command{
		Use:   "serve [-m MODEL] [--host H] [--port P] [--parallel N] [-c CTX] [-t THREADS] [--api-key KEY] [flags]",
		Short: "OpenAI-compatible HTTP server (chat and text completions, streaming, continuous batching, metrics) with a chat page at /",
		Long: `Serve a model over HTTP with the OpenAI API: POST /v1/chat/completions and
/v1/completions (stream: true for server-sent events), GET /v1/models, POST
/tokenize and /detokenize, GET /health (503 while loading, 200 when ready),
GET /metrics (Prometheus) and a chat page at GET /. --parallel requests
generate together, one forward step for all of them per token (continuous
batching), each with a KV cache of -c positions; more wait in a bounded queue
(429 when it is full). One log line per request goes to stderr. SIGINT or
SIGTERM stops accepting and lets running requests finish for --grace.
Without -m the embedded default model is served. See docs/SERVING.md.`,
		Example: `  llmparts serve                         # the embedded model on http://127.0.0.1:8080
  llmparts serve -m model.gguf --parallel 8 -c 2048 --api-key secret
  curl http://127.0.0.1:8080/v1/chat/completions -d '{"messages":[{"role":"user","content":"func main() {"}],"max_tokens":40}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if port < 0 || port > 65535 {
				return usageErrorf("--port %d is outside 0..65535", port)
			}
			if o.Parallel < 1 || o.Parallel > 1024 {
				return usageErrorf("--parallel %d: want 1 to 1024", o.Parallel)
			}
			if o.Context < 0 || o.QueueSize < 1 || o.MaxTokens < 0 || o.Timeout < 0 {
				return usageErrorf("-c, --max-tokens and --timeout cannot be negative, --queue must be at least 1")
			}
			if maxMem != "" {
				n, err := sysmem.ParseSize(maxMem)
				if err != nil {
					return usageErrorf("--max-kv-memory: %v", err)
				}
				o.MaxMemory = n
			}
			if tmpl != "" {
				t, err := loadTemplate(tmpl)
				if err != nil {
					return err
				}
				o.Template = t
			}
			o.Log = cmd.ErrOrStderr()
			s := serve.New(o)
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// Listen first, so that /health answers 503 while the model loads.
			loaded := make(chan error, 1)
			go func() {
				m, err := mf.open()
				if err == nil {
					if err = s.SetModel(m); err != nil {
						m.Close()
					}
				}
				if err != nil {
					stop()
				}
				loaded <- err
			}()
			err = s.Serve(ctx, ln, grace)
			select {
			case lerr := <-loaded:
				if lerr != nil {
					return lerr
				}
			default:
			}
			return err
		},
	}
	mf.add(c.Flags())
	f := c.Flags()
	f.StringVar(&host, "host", "127.0.0.1", "address to listen on (0.0.0.0: every interface)")
	f.IntVar(&port, "port", 8080, "port to listen on (0: any free port)")
	f.IntVar(&o.Parallel, "parallel", 4, "requests generating at once, each with its own KV cache of -c positions")
	f.IntVarP(&o.Context, "ctx-size", "c", 0, "positions (prompt + answer) per request (0 = the model's context length)")
	f.IntVar(&o.MaxTokens, "max-tokens", 0, "most completion tokens one request may ask for (0 = -c)")
	f.IntVar(&o.QueueSize, "queue", 64, "requests that may wait for a slot (beyond: 429)")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "longest a request may run")
	f.DurationVar(&grace, "grace", 10*time.Second, "on SIGINT/SIGTERM, how long running requests may finish")
	f.Int64Var(&o.MaxBodyBytes, "max-body", 1<<20, "largest request body in bytes (beyond: 413)")
	f.StringVar(&o.APIKey, "api-key", "", "require Authorization: Bearer KEY on the API endpoints")
	f.StringVar(&o.Name, "alias", "", "model id shown by /v1/models (default: llmparts)")
	f.StringVar(&tmpl, "chat-template", "", "chat template: a built-in name ("+strings.Join(chat.Names(), ", ")+") or a Jinja file (default: the model's own, else chosen from its vocabulary)")
	f.StringVar(&maxMem, "max-kv-memory", "", "memory limit for the --parallel KV caches, e.g. 2G (default: the memory available)")
	return c
}

// loadTemplate returns the built-in chat template called name, or the
// Jinja template in the file name.
func loadTemplate(name string) (*chat.Template, error) {
	if t, err := chat.Builtin(name); err == nil {
		return t, nil
	}
	b, err := safeio.ReadFile(name, 1<<20, "chat template")
	if err != nil {
		return nil, fmt.Errorf("--chat-template %s: not a built-in template (%s) nor a readable file: %v", name, strings.Join(chat.Names(), ", "), err)
	}
	return chat.New(name, string(b))
}
