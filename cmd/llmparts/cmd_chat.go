package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/serve"
)

func init() { register(newChatCmd) }

func newChatCmd() *cobra.Command {
	var mf modelFlags
	var system, tmpl string
	var ctxSize, maxTok int
	var seed int64
	p := sample.DefaultParams()
	c := &cobra.Command{
		Use:   "chat [-m MODEL] [--system TEXT] [flags]",
		Short: "interactive chat in the terminal with the model's chat template (/clear, /exit; Ctrl-C stops the answer)",
		Long: `Chat with a model: each line you type is a user message; the whole conversation is
rendered with the model's chat template (as the server's /v1/chat/completions
does, on the same engine) and the answer is streamed back. /clear starts a new
conversation (keeping --system), /exit or end of input (Ctrl-D) quits, and Ctrl-C
stops the answer being written, not the program. Without -m the embedded default
model is used; it was trained on Go source, so it continues code rather than
answering questions.`,
		Example: `  llmparts chat -m model.gguf --system "You are a terse assistant."
  printf 'func main() {\n/exit\n' | llmparts chat -n 40`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if seed >= 0 {
				p.Seed = uint64(seed)
			} else {
				p.Seed = uint64(time.Now().UnixNano())
			}
			if err := p.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			if maxTok < 0 || ctxSize < 0 {
				return usageErrorf("-n and -c cannot be negative")
			}
			o := serve.Options{Parallel: 1, Context: ctxSize, Log: io.Discard}
			if tmpl != "" {
				t, err := loadTemplate(tmpl)
				if err != nil {
					return err
				}
				o.Template = t
			}
			m, err := mf.open()
			if err != nil {
				return err
			}
			defer m.Close()
			s := serve.New(o)
			if err := s.SetModel(m); err != nil {
				return err
			}
			defer s.Close()
			intr := make(chan os.Signal, 1)
			signal.Notify(intr, os.Interrupt)
			defer signal.Stop(intr)
			return chatREPL(cmd.Context(), s, os.Stdin, cmd.OutOrStdout(), cmd.ErrOrStderr(), intr, system, p, maxTok)
		},
	}
	mf.add(c.Flags())
	f := c.Flags()
	f.StringVar(&system, "system", "", "system prompt (the first message of every conversation)")
	f.StringVar(&tmpl, "chat-template", "", "chat template: a built-in name ("+strings.Join(chat.Names(), ", ")+") or a Jinja file (default: the model's own, else chosen from its vocabulary)")
	f.IntVarP(&ctxSize, "ctx-size", "c", 0, "context size in tokens for the whole conversation (0 = the model's)")
	f.IntVarP(&maxTok, "n-predict", "n", 0, "most tokens per answer (0 = until the end of turn or a full context)")
	f.Float64Var(&p.Temperature, "temp", p.Temperature, "temperature (0 = greedy)")
	f.IntVar(&p.TopK, "top-k", p.TopK, "keep the K most likely tokens (0 = off)")
	f.Float64Var(&p.TopP, "top-p", p.TopP, "nucleus sampling threshold (1 = off)")
	f.Float64Var(&p.MinP, "min-p", p.MinP, "drop tokens below P × the top probability (0 = off)")
	f.Float64Var(&p.RepeatPenalty, "repeat-penalty", p.RepeatPenalty, "repetition penalty (1 = off)")
	f.Int64Var(&seed, "seed", -1, "random seed (-1 = from the clock)")
	return c
}

// chatREPL reads user lines from in and writes answers to out until /exit
// or the end of in. A value on intr (SIGINT) stops the answer being
// written; at the prompt it only prints a hint.
func chatREPL(ctx context.Context, s *serve.Server, in io.Reader, out, errw io.Writer, intr <-chan os.Signal, system string, p sample.Params, maxTok int) error {
	var msgs []chat.Message
	reset := func() {
		msgs = msgs[:0]
		if system != "" {
			msgs = append(msgs, chat.Message{Role: "system", Content: system})
		}
	}
	reset()
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		readErr <- sc.Err()
		close(lines)
	}()
	fmt.Fprintln(errw, "chat: type a message; /clear starts over, /exit quits, Ctrl-C stops an answer")
	for {
		fmt.Fprint(errw, "> ")
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-intr:
			fmt.Fprintln(errw, "\n(type /exit or press Ctrl-D to quit)")
			continue
		case <-ctx.Done():
			return nil
		}
		if !ok {
			fmt.Fprintln(errw)
			return <-readErr
		}
		switch strings.TrimSpace(line) {
		case "":
			continue
		case "/exit", "/quit":
			return nil
		case "/clear":
			reset()
			fmt.Fprintln(errw, "(new conversation)")
			continue
		}
		msgs = append(msgs, chat.Message{Role: "user", Content: line})
		actx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			select {
			case <-intr:
				cancel()
			case <-stopped:
			}
		}()
		var answer strings.Builder
		p.Seed++
		a, err := s.Chat(actx, msgs, p, maxTok, func(piece string) {
			answer.WriteString(piece)
			io.WriteString(out, piece)
		})
		close(stopped)
		cancel()
		fmt.Fprintln(out)
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() == nil:
			fmt.Fprintln(errw, "[stopped]")
		case err != nil:
			fmt.Fprintf(errw, "error: %v\n", err)
			msgs = msgs[:len(msgs)-1]
			continue
		default:
			if a.Duration > 0 {
				fmt.Fprintf(errw, "[%d tokens, %.1f tok/s, %s]\n", a.CompletionTokens, float64(a.CompletionTokens)/a.Duration.Seconds(), a.Finish)
			}
		}
		msgs = append(msgs, chat.Message{Role: "assistant", Content: answer.String()})
	}
}
