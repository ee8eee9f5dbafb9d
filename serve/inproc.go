package serve

import (
	"context"
	"errors"
	"time"

	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/sample"
)

// Answer is the outcome of Server.Chat.
type Answer struct {
	Finish           string // "stop" or "length"
	PromptTokens     int
	CompletionTokens int
	Duration         time.Duration // from submission to the last token
}

// Chat answers msgs in-process, on the same engine, template and limits
// as /v1/chat/completions: the prompt is the whole conversation rendered
// by the chat template, and each piece of the answer's text is passed to
// piece as it is generated. maxTokens 0 means as many as the context
// holds. Cancelling ctx stops the answer (the error is then ctx's).
func (s *Server) Chat(ctx context.Context, msgs []chat.Message, p sample.Params, maxTokens int, piece func(string)) (Answer, error) {
	if s.eng.Load() == nil {
		return Answer{}, errors.New("serve: the model is still loading")
	}
	if err := p.Validate(); err != nil {
		return Answer{}, err
	}
	text, err := s.tmpl.Render(msgs, true)
	if err != nil {
		return Answer{}, err
	}
	ids, aerr := s.encodePrompt(text)
	if aerr != nil {
		return Answer{}, aerr
	}
	if len(ids) >= s.ctxLen {
		return Answer{}, badRequest("", "the conversation is %d tokens; the context is %d: start a new one", len(ids), s.ctxLen)
	}
	n := s.ctxLen - len(ids)
	if maxTokens > 0 {
		n = min(n, maxTokens)
	}
	j := &job{ctx: ctx, prompt: ids, maxTokens: n, params: p, logprobs: -1, queued: time.Now(), events: make(chan event, n+2)}
	if err := s.eng.Load().submit(j); err != nil {
		return Answer{}, err
	}
	t0 := time.Now()
	for {
		if ctx.Err() != nil {
			return Answer{PromptTokens: len(ids), Duration: time.Since(t0)}, ctx.Err()
		}
		var ev event
		select {
		case ev = <-j.events:
		case <-ctx.Done():
			return Answer{PromptTokens: len(ids), Duration: time.Since(t0)}, ctx.Err()
		}
		if ev.text != "" {
			piece(ev.text)
		}
		if ev.done {
			a := Answer{Finish: ev.finish, PromptTokens: ev.nPrompt, CompletionTokens: ev.nGen, Duration: time.Since(t0)}
			return a, ev.err
		}
	}
}
