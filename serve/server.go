package serve

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/tokenizer"
)

// Options configures a Server. Zero values take the defaults given.
type Options struct {
	// Name is the model id shown by /v1/models (default "llmparts").
	Name string
	// Parallel is the number of requests generating at once, each with a
	// KV cache of Context positions (default 4).
	Parallel int
	// Context is the positions per request, prompt and completion
	// (default and maximum: the model's context length).
	Context int
	// MaxTokens caps the completion tokens one request may ask for
	// (default: Context).
	MaxTokens int
	// QueueSize is the number of requests that may wait for a slot;
	// beyond it a request gets 429 (default 64).
	QueueSize int
	// MaxBodyBytes is the largest request body (default 1 MiB; 413 beyond).
	MaxBodyBytes int64
	// Timeout ends a request that runs longer (default 5 minutes).
	Timeout time.Duration
	// BodyTimeout is how long a request body may take to arrive (default
	// 30 s; 408 after it). Headers have 10 s.
	BodyTimeout time.Duration
	// PrefillChunk is the number of prompt tokens one engine step feeds a
	// request before the decoding requests advance again (default 128).
	PrefillChunk int
	// APIKey, when set, is required as "Authorization: Bearer KEY" by the
	// API endpoints (not by /health, /metrics and the chat page).
	APIKey string
	// Template formats chat messages (nil: the model file's template, else
	// one chosen from the vocabulary; see chat.ForVocabulary).
	Template *chat.Template
	// MaxMemory bounds the memory of the Parallel sessions (KV caches and
	// work buffers; 0: the memory available when SetModel runs).
	MaxMemory int64
	// Log receives one line per request and the start-up lines (nil:
	// nothing is logged).
	Log io.Writer
}

// Server is an OpenAI-compatible HTTP server over one model. It answers
// /health with 503 until SetModel is called.
type Server struct {
	opts  Options
	met   *metrics
	mux   *http.ServeMux
	logMu sync.Mutex

	eng     atomic.Pointer[engine]
	tok     tokenizer.Tokenizer
	tmpl    *chat.Template
	ctxLen  int
	created int64
}

//go:embed page.html
var page []byte

// New returns a server with no model yet (loading).
func New(opts Options) *Server {
	if opts.Name == "" {
		opts.Name = "llmparts"
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 64
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 30 * time.Second
	}
	if opts.PrefillChunk <= 0 {
		opts.PrefillChunk = 128
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	s := &Server{opts: opts, met: newMetrics(), mux: http.NewServeMux(), created: time.Now().Unix()}
	api := func(h func(http.ResponseWriter, *http.Request) *apiError) http.HandlerFunc {
		return s.auth(func(w http.ResponseWriter, r *http.Request) *apiError {
			if s.eng.Load() == nil {
				return &apiError{Status: 503, Message: "the model is still loading", Type: "unavailable_error"}
			}
			return h(w, r)
		})
	}
	s.mux.Handle("POST /v1/chat/completions", api(s.chatCompletions))
	s.mux.Handle("POST /v1/completions", api(s.completions))
	s.mux.Handle("GET /v1/models", api(s.models))
	s.mux.Handle("POST /tokenize", api(s.tokenize))
	s.mux.Handle("POST /detokenize", api(s.detokenize))
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: 404, Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path), Type: "invalid_request_error"})
	})
	return s
}

// SetModel makes the server ready: it allocates Parallel KV caches and
// starts the engine. Generation ends at the model's end-of-generation
// tokens (llmparts.Model.IsEnd: EOS and the chat template's end-of-turn
// tokens). The chat template is Options.Template, else the model's own,
// else one chosen from its vocabulary (chat.ForVocabulary). The server
// does not close m.
func (s *Server) SetModel(m *llmparts.Model) error {
	if s.eng.Load() != nil {
		return errors.New("serve: the model is already set")
	}
	net, tok := m.Net, m.Tokenizer
	if tok == nil {
		return errors.New("serve: the model has no tokenizer")
	}
	if tok.VocabSize() > net.Config.VocabSize {
		return fmt.Errorf("serve: tokenizer has %d tokens, more than the model's %d", tok.VocabSize(), net.Config.VocabSize)
	}
	ctx := s.opts.Context
	if ctx <= 0 || ctx > net.Config.ContextLen {
		ctx = net.Config.ContextLen
	}
	s.ctxLen = ctx
	// Memory is bounded up front: Parallel sessions of ctx positions.
	one, ok := net.SessionBytes(ctx)
	need := one * int64(s.opts.Parallel)
	if !ok || need/int64(s.opts.Parallel) != one {
		return fmt.Errorf("serve: %d sessions of %d positions do not fit in 64-bit sizes", s.opts.Parallel, ctx)
	}
	what := fmt.Sprintf("serve: %d KV caches of %d positions", s.opts.Parallel, ctx)
	if err := sysmem.Check(what, need, s.opts.MaxMemory, "use a smaller --parallel or -c"); err != nil {
		return err
	}
	if s.opts.MaxTokens <= 0 || s.opts.MaxTokens > ctx {
		s.opts.MaxTokens = ctx
	}
	tmpl := s.opts.Template
	if tmpl == nil {
		tmpl = m.Template
	}
	if tmpl == nil {
		v, ok := tok.(interface{ ID(string) (int, bool) })
		tmpl = chat.ForVocabulary(func(t string) bool {
			if !ok {
				return false
			}
			_, has := v.ID(t)
			return has
		})
	}
	if tmpl.BOS == "" && tmpl.EOS == "" {
		if p, ok := tok.(interface{ Token(int) string }); ok {
			text := func(id int) string {
				if id < 0 || id >= tok.VocabSize() {
					return ""
				}
				return p.Token(id)
			}
			tmpl.SetSpecial(text(tok.BOS()), text(tok.EOS()))
		}
	}
	s.tmpl, s.tok = tmpl, tok
	stop := map[int]bool{}
	for id := range tok.VocabSize() {
		if m.IsEnd(id) {
			stop[id] = true
		}
	}
	if v, ok := tok.(interface{ ID(string) (int, bool) }); ok {
		for _, t := range tmpl.EndOfTurn { // Options.Template's too
			if id, ok := v.ID(t); ok {
				stop[id] = true
			}
		}
	}
	fmt.Fprintf(s.opts.Log, "KV cache and buffers: %d slots × %d positions = %s; chat template %s\n",
		s.opts.Parallel, ctx, safeio.Human(need), tmpl.Name)
	s.eng.Store(newEngine(net, tok, stop, s.opts.Parallel, ctx, s.opts.QueueSize, s.opts.PrefillChunk, s.met, s.opts.Log))
	return nil
}

// Handler returns the server's HTTP handler: every request is logged in
// one line, counted, and recovered from should a handler panic.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		rec := &recorder{ResponseWriter: w, status: 200}
		info := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(s.opts.Log, "panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
				if !rec.wrote {
					writeError(rec, &apiError{Status: 500, Message: "internal error", Type: "server_error"})
				}
			}
			path := r.URL.Path
			if _, p := s.mux.Handler(r); p == "/" {
				path = "other"
			}
			s.met.requests.WithLabelValues(path, strconv.Itoa(rec.status)).Inc()
			s.logMu.Lock()
			fmt.Fprintf(s.opts.Log, "%s %s %s %d %v prompt=%d completion=%d\n", t0.UTC().Format(time.RFC3339),
				r.Method, r.URL.Path, rec.status, time.Since(t0).Round(time.Millisecond), info.prompt, info.gen)
			s.logMu.Unlock()
		}()
		s.mux.ServeHTTP(rec, r)
	})
}

type infoKey struct{}

type reqInfo struct{ prompt, gen int }

func info(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// recorder notes the status written.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// auth wraps an API handler: the bearer key when one is set, and the
// handler's error as an OpenAI-style body.
func (s *Server) auth(h func(http.ResponseWriter, *http.Request) *apiError) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if k := s.opts.APIKey; k != "" {
			got := r.Header.Get("Authorization")
			if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+k)) != 1 {
				code := "invalid_api_key"
				writeError(w, &apiError{Status: 401, Message: "missing or wrong API key (send Authorization: Bearer KEY)", Type: "invalid_request_error", Code: &code})
				return
			}
		}
		if err := h(w, r); err != nil {
			writeError(w, err)
		}
	}
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	if e.Status == 429 {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// decode reads the JSON body into v: 413 beyond the body limit, 400 for
// malformed JSON or a field of the wrong type.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) *apiError {
	// The body must arrive within BodyTimeout; the deadline is lifted
	// afterwards so that it cannot cut a long streamed answer (as the
	// server-wide ReadTimeout would).
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout))
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	err := dec.Decode(v)
	if err != nil {
		// Close the connection after the error instead of reading the
		// rest of a body that may never come.
		w.Header().Set("Connection", "close")
	} else {
		rc.SetReadDeadline(time.Time{})
	}
	if err == nil {
		if dec.More() {
			return badRequest("", "malformed JSON: data after the request object")
		}
		return nil
	}
	var big *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &big):
		return &apiError{Status: 413, Message: fmt.Sprintf("the request body is larger than %d bytes", big.Limit), Type: "invalid_request_error"}
	case errors.As(err, &syn):
		return badRequest("", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		field := strings.TrimPrefix(typ.Field, "samplingFields.")
		return badRequest(field, "field %q: %s is not a valid %s", field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF):
		return badRequest("", "the request body is empty (want a JSON object)")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apiError{Status: 408, Message: fmt.Sprintf("the request body did not arrive within %v", s.opts.BodyTimeout), Type: "invalid_request_error"}
	}
	return badRequest("", "malformed JSON: %v", err)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.eng.Load() == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(503)
		io.WriteString(w, `{"status":"loading model"}`+"\n")
		return
	}
	writeJSON(w, map[string]string{"status": "ok"})
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) *apiError {
	writeJSON(w, map[string]any{"object": "list", "data": []any{map[string]any{
		"id": s.opts.Name, "object": "model", "created": s.created, "owned_by": "llmparts",
	}}})
	return nil
}

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		Content    *string `json:"content"`
		AddSpecial bool    `json:"add_special"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Content == nil {
		return badRequest("content", "content is missing")
	}
	ids, err := s.tok.Encode(*req.Content, tokenizer.EncodeOptions{AddBOS: req.AddSpecial && s.tok.AddBOSDefault(), ParseSpecial: true})
	if err != nil {
		return badRequest("content", "%v", err)
	}
	if ids == nil {
		ids = []int{}
	}
	writeJSON(w, map[string]any{"tokens": ids})
	return nil
}

func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		Tokens []int `json:"tokens"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if err := s.checkIDs(req.Tokens, "tokens"); err != nil {
		return err
	}
	writeJSON(w, map[string]string{"content": s.tok.Decode(req.Tokens)})
	return nil
}

func (s *Server) checkIDs(ids []int, param string) *apiError {
	for _, id := range ids {
		if id < 0 || id >= s.tok.VocabSize() {
			return badRequest(param, "token id %d is outside the vocabulary of %d", id, s.tok.VocabSize())
		}
	}
	return nil
}

// encodePrompt tokenizes prompt text with special tokens matched, BOS
// first when the vocabulary wants one and the text does not start with it.
func (s *Server) encodePrompt(text string) ([]int, *apiError) {
	ids, err := s.tok.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true})
	if err != nil {
		return nil, badRequest("", "%v", err)
	}
	if b := s.tok.BOS(); s.tok.AddBOSDefault() && (len(ids) == 0 || ids[0] != b) {
		ids = append([]int{b}, ids...)
	}
	if len(ids) == 0 {
		return nil, badRequest("", "the prompt is empty and the vocabulary has no BOS token to start from")
	}
	return ids, nil
}

// newJob checks the prompt length and completion limit and builds the
// engine's job.
func (s *Server) newJob(ctx context.Context, f *samplingFields, ids []int, logprobs int) (*job, *apiError) {
	p, maxTok, stops, aerr := f.params()
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) >= s.ctxLen {
		return nil, badRequest("", "the prompt is %d tokens; the context is %d, leaving no room for an answer", len(ids), s.ctxLen)
	}
	if maxTok > s.opts.MaxTokens {
		return nil, badRequest("max_tokens", "max_tokens = %d is more than this server allows (%d)", maxTok, s.opts.MaxTokens)
	}
	room := s.ctxLen - len(ids)
	if maxTok == 0 || maxTok > room {
		maxTok = min(room, s.opts.MaxTokens)
	}
	return &job{ctx: ctx, prompt: ids, maxTokens: maxTok, params: p, stops: stops, ignoreEOS: f.IgnoreEOS,
		logprobs: logprobs, queued: time.Now(), events: make(chan event, maxTok+2)}, nil
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) *apiError {
	var req chatRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	msgs, aerr := req.messages()
	if aerr != nil {
		return aerr
	}
	lp := -1
	if req.Logprobs {
		lp = 0
		if req.TopLogprobs != nil {
			if *req.TopLogprobs < 0 || *req.TopLogprobs > 20 {
				return badRequest("top_logprobs", "top_logprobs = %d is outside [0, 20]", *req.TopLogprobs)
			}
			lp = *req.TopLogprobs
		}
	} else if req.TopLogprobs != nil && *req.TopLogprobs > 0 {
		return badRequest("top_logprobs", "top_logprobs needs logprobs: true")
	}
	text, err := s.tmpl.Render(msgs, true)
	if err != nil {
		return badRequest("messages", "%v", err)
	}
	ids, aerr := s.encodePrompt(text)
	if aerr != nil {
		return aerr
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	j, aerr := s.newJob(ctx, &req.samplingFields, ids, lp)
	if aerr != nil {
		return aerr
	}
	out := &chatWriter{id: "chatcmpl-" + randomID(), created: time.Now().Unix(), model: s.opts.Name, logprobs: lp >= 0}
	return s.run(w, r, j, &req.samplingFields, out)
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request) *apiError {
	var req completionRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	text, ids, aerr := req.prompt()
	if aerr != nil {
		return aerr
	}
	if ids != nil {
		if aerr := s.checkIDs(ids, "prompt"); aerr != nil {
			return aerr
		}
		text = s.tok.Decode(ids)
	} else if ids, aerr = s.encodePrompt(text); aerr != nil {
		return aerr
	}
	lp := -1
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > 5 {
			return badRequest("logprobs", "logprobs = %d is outside [0, 5]", *req.Logprobs)
		}
		lp = *req.Logprobs
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	j, aerr := s.newJob(ctx, &req.samplingFields, ids, lp)
	if aerr != nil {
		return aerr
	}
	out := &completionWriter{id: "cmpl-" + randomID(), created: time.Now().Unix(), model: s.opts.Name, logprobs: lp >= 0}
	if req.Echo {
		out.text.WriteString(text)
		out.echo = text
	}
	return s.run(w, r, j, &req.samplingFields, out)
}

// output formats the events of one endpoint.
type output interface {
	// chunk is the streamed form of ev ("" when there is nothing to send);
	// first is true for the first call.
	chunk(ev event, first bool) any
	// add collects ev for the whole response.
	add(ev event)
	// final is the whole response (or the last streamed chunk when
	// streaming) for the end event.
	final(ev event, stream bool) any
}

// run submits j and writes its output, streamed as server-sent events or
// as one JSON response.
func (s *Server) run(w http.ResponseWriter, r *http.Request, j *job, f *samplingFields, out output) *apiError {
	eng := s.eng.Load()
	if err := eng.submit(j); err != nil {
		return &apiError{Status: 429, Message: err.Error(), Type: "rate_limit_error"}
	}
	s.met.queue.Set(float64(len(eng.queue)))
	inf := info(r)
	inf.prompt = len(j.prompt)
	rc := http.NewResponseController(w)
	var werr error
	send := func(v any) {
		if werr != nil {
			return
		}
		b, _ := json.Marshal(v)
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, werr = fmt.Fprintf(w, "data: %s\n\n", b); werr == nil {
			werr = rc.Flush()
		}
	}
	first := true
	for {
		var ev event
		select {
		case ev = <-j.events:
		case <-j.ctx.Done():
			// The engine sees it at its next step and frees the slot;
			// its last events land in the buffered channel.
			ev = event{done: true, err: j.ctx.Err(), canceled: true}
		}
		if ev.done {
			inf.gen = ev.nGen
			if ev.err != nil {
				if r.Context().Err() != nil {
					return nil // the client is gone
				}
				e := &apiError{Status: 500, Message: ev.err.Error(), Type: "server_error"}
				if errors.Is(ev.err, context.DeadlineExceeded) {
					e = &apiError{Status: 504, Message: fmt.Sprintf("the request took longer than the server's limit of %v", s.opts.Timeout), Type: "timeout_error"}
				}
				if !f.Stream || first {
					return e
				}
				send(map[string]any{"error": e})
				send0(w, rc)
				return nil
			}
			if !f.Stream {
				out.add(ev)
				writeJSON(w, out.final(ev, false))
				return nil
			}
			if first {
				s.startStream(w)
				if c := out.chunk(event{}, true); c != nil {
					send(c)
				}
			}
			if ev.text != "" {
				send(out.chunk(ev, false))
			}
			send(out.final(ev, true))
			if f.StreamOptions != nil && f.StreamOptions.IncludeUsage {
				send(usageChunk(out, ev))
			}
			if werr == nil {
				send0(w, rc)
			}
			return nil
		}
		if !f.Stream {
			out.add(ev)
			continue
		}
		if first {
			s.startStream(w)
		}
		if c := out.chunk(ev, first); c != nil {
			send(c)
		}
		first = false
		if werr != nil {
			return nil // the deferred cancel stops the job
		}
	}
}

func (s *Server) startStream(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
}

func send0(w http.ResponseWriter, rc *http.ResponseController) {
	io.WriteString(w, "data: [DONE]\n\n")
	rc.Flush()
}

func usageOf(ev event) *usage {
	return &usage{PromptTokens: ev.nPrompt, CompletionTokens: ev.nGen, TotalTokens: ev.nPrompt + ev.nGen}
}

func timingsOf(ev event) *timings {
	t := &timings{PromptN: ev.nPrompt, PromptMs: ev.ttft.Seconds() * 1000, PredictedN: ev.nGen, PredictedMs: ev.gen.Seconds() * 1000}
	if ev.nGen > 1 && ev.gen > 0 {
		t.PredictedPerSecond = float64(ev.nGen-1) / ev.gen.Seconds()
	}
	return t
}

func usageChunk(out output, ev event) any {
	switch o := out.(type) {
	case *chatWriter:
		return chatResponse{ID: o.id, Object: "chat.completion.chunk", Created: o.created, Model: o.model, Choices: []chatChoice{}, Usage: usageOf(ev), Timings: timingsOf(ev)}
	case *completionWriter:
		return completionResponse{ID: o.id, Object: "text_completion", Created: o.created, Model: o.model, Choices: []completionChoice{}, Usage: usageOf(ev), Timings: timingsOf(ev)}
	}
	return nil
}

type chatWriter struct {
	id, model string
	created   int64
	logprobs  bool
	text      []byte
	lp        []chatTokenLogprob
}

func (c *chatWriter) chunk(ev event, first bool) any {
	d := &chatOut{}
	if first {
		d.Role = "assistant"
	}
	if ev.text != "" || first {
		t := ev.text
		d.Content = &t
	}
	ch := chatChoice{Delta: d}
	if c.logprobs && ev.piece != "" {
		ch.Logprobs = &chatLogprobs{Content: []chatTokenLogprob{chatLogprob(ev)}}
	}
	if d.Content == nil && ch.Logprobs == nil && !first {
		return nil
	}
	return chatResponse{ID: c.id, Object: "chat.completion.chunk", Created: c.created, Model: c.model, Choices: []chatChoice{ch}}
}

func (c *chatWriter) add(ev event) {
	c.text = append(c.text, ev.text...)
	if c.logprobs && ev.piece != "" {
		c.lp = append(c.lp, chatLogprob(ev))
	}
}

func (c *chatWriter) final(ev event, stream bool) any {
	fin := ev.finish
	if stream {
		return chatResponse{ID: c.id, Object: "chat.completion.chunk", Created: c.created, Model: c.model,
			Choices: []chatChoice{{Delta: &chatOut{}, FinishReason: &fin}}}
	}
	t := string(c.text)
	ch := chatChoice{Message: &chatOut{Role: "assistant", Content: &t}, FinishReason: &fin}
	if c.logprobs {
		ch.Logprobs = &chatLogprobs{Content: c.lp}
		if c.lp == nil {
			ch.Logprobs.Content = []chatTokenLogprob{}
		}
	}
	return chatResponse{ID: c.id, Object: "chat.completion", Created: c.created, Model: c.model, Choices: []chatChoice{ch}, Usage: usageOf(ev), Timings: timingsOf(ev)}
}

type completionWriter struct {
	id, model string
	created   int64
	logprobs  bool
	echo      string
	text      bytesBuilder
	lp        completionProbs
}

type bytesBuilder struct{ b []byte }

func (b *bytesBuilder) WriteString(s string) { b.b = append(b.b, s...) }
func (b *bytesBuilder) Len() int             { return len(b.b) }
func (b *bytesBuilder) String() string       { return string(b.b) }

func (c *completionWriter) probs(ev event, off int) *completionProbs {
	top := map[string]float64{}
	for _, t := range ev.top {
		top[t.Text] = t.Logprob
	}
	return &completionProbs{Tokens: []string{ev.piece}, TokenLogprobs: []float64{ev.logprob}, TopLogprobs: []map[string]float64{top}, TextOffset: []int{off}}
}

func (c *completionWriter) chunk(ev event, first bool) any {
	t := ev.text
	if first && c.echo != "" {
		t = c.echo + t
	}
	if t == "" && !(c.logprobs && ev.piece != "") {
		return nil
	}
	ch := completionChoice{Text: t}
	if c.logprobs && ev.piece != "" {
		ch.Logprobs = c.probs(ev, c.text.Len())
	}
	c.text.WriteString(ev.text)
	return completionResponse{ID: c.id, Object: "text_completion", Created: c.created, Model: c.model, Choices: []completionChoice{ch}}
}

func (c *completionWriter) add(ev event) {
	if c.logprobs && ev.piece != "" {
		p := c.probs(ev, c.text.Len())
		c.lp.Tokens = append(c.lp.Tokens, p.Tokens...)
		c.lp.TokenLogprobs = append(c.lp.TokenLogprobs, p.TokenLogprobs...)
		c.lp.TopLogprobs = append(c.lp.TopLogprobs, p.TopLogprobs...)
		c.lp.TextOffset = append(c.lp.TextOffset, p.TextOffset...)
	}
	c.text.WriteString(ev.text)
}

func (c *completionWriter) final(ev event, stream bool) any {
	fin := ev.finish
	if stream {
		return completionResponse{ID: c.id, Object: "text_completion", Created: c.created, Model: c.model,
			Choices: []completionChoice{{FinishReason: &fin}}}
	}
	ch := completionChoice{Text: c.text.String(), FinishReason: &fin}
	if c.logprobs {
		ch.Logprobs = &c.lp
	}
	return completionResponse{ID: c.id, Object: "text_completion", Created: c.created, Model: c.model, Choices: []completionChoice{ch}, Usage: usageOf(ev), Timings: timingsOf(ev)}
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randomSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// Serve answers on ln until ctx is done, then shuts down gracefully: it
// stops accepting, lets requests in flight finish for up to grace, then
// cancels the rest. Slow or half-sent requests are cut off by the
// header, body and idle timeouts, and a request holds a generation slot
// only once its body is read and checked.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second, // the body: Options.BodyTimeout
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	fmt.Fprintf(s.opts.Log, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(s.opts.Log, "shutting down (waiting up to %v for requests in flight)\n", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Close() // ends what is still generating
	if err != nil {
		hs.Close()
	}
	return nil
}

// Close stops the engine; requests still running end with an error.
func (s *Server) Close() {
	if e := s.eng.Load(); e != nil {
		e.stop()
	}
}
