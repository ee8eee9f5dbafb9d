package main

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/serve"
)

func chatServer(t *testing.T) *serve.Server {
	t.Helper()
	m, err := llmparts.OpenDefault()
	if err != nil {
		t.Fatal(err)
	}
	s := serve.New(serve.Options{Parallel: 1})
	if err := s.SetModel(m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return s
}

// A scripted conversation: two answers, /clear between them, /exit.
func TestChatREPL(t *testing.T) {
	s := chatServer(t)
	var out, errw strings.Builder
	in := strings.NewReader("func main() {\n/clear\npackage main\n/exit\nnever read\n")
	if err := chatREPL(context.Background(), s, in, &out, &errw, nil, "", sample.Params{}, 12); err != nil {
		t.Fatal(err)
	}
	answers := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if strings.Count(errw.String(), "[12 tokens") != 2 || !strings.Contains(errw.String(), "(new conversation)") {
		t.Errorf("stderr %q", errw.String())
	}
	// Greedy: the same first message gives the same answer as the server.
	var want strings.Builder
	if _, err := s.Chat(context.Background(), chatMsgs("func main() {"), sample.Params{}, 12, func(p string) { want.WriteString(p) }); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), want.String()) || len(answers) < 2 {
		t.Errorf("answers %q, want the first to be %q", out.String(), want.String())
	}
}

// Ctrl-C while an answer is written stops that answer, not the REPL.
func TestChatREPLInterrupt(t *testing.T) {
	s := chatServer(t)
	intr := make(chan os.Signal, 1)
	w := &interruptingWriter{intr: intr}
	var errw strings.Builder
	in := strings.NewReader("func main() {\n/exit\n")
	if err := chatREPL(context.Background(), s, in, w, &errw, intr, "", sample.Params{}, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errw.String(), "[stopped]") {
		t.Errorf("no [stopped] after the interrupt: %q", errw.String())
	}
}

type interruptingWriter struct {
	once sync.Once
	intr chan os.Signal
}

func (w *interruptingWriter) Write(b []byte) (int, error) {
	w.once.Do(func() {
		w.intr <- os.Interrupt
		time.Sleep(50 * time.Millisecond)
	})
	return len(b), nil
}

var _ io.Writer = (*interruptingWriter)(nil)

func chatMsgs(user string) []chat.Message { return []chat.Message{{Role: "user", Content: user}} }
