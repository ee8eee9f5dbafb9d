package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/tokenizer"
)

// start serves the embedded default model on 127.0.0.1 and returns its
// base URL; the server stops when the test ends.
func start(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	m, err := llmparts.OpenDefaultWith(llmparts.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := New(opts)
	if err := s.SetModel(m); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		m.Close()
	})
	return s, "http://" + ln.Addr().String()
}

// defaultTokens is the number of tokens the embedded model's tokenizer
// makes of text (what the server counts as prompt tokens for a message
// rendered by the plain template, which adds nothing).
func defaultTokens(t testing.TB, text string) int {
	t.Helper()
	tok, err := defaultmodel.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode(text, tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// completionText is choices[0].text of a decoded /v1/completions body
// ("" when absent).
func completionText(v map[string]any) string {
	ch, _ := v["choices"].([]any)
	if len(ch) == 0 {
		return ""
	}
	s, _ := ch[0].(map[string]any)["text"].(string)
	return s
}

func client(base string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(base + "/v1/"), option.WithAPIKey("none"), option.WithMaxRetries(0)}, opts...)...)
}

// The official OpenAI client: chat and completions, streamed and not, give
// the same text at temperature 0; a stop string cuts the text before it.
func TestOpenAIClient(t *testing.T) {
	_, base := start(t, Options{Parallel: 2})
	c := client(base)
	ctx := context.Background()
	const prompt = "func main() {\n\tfmt.Println("
	chatParams := openai.ChatCompletionNewParams{
		Model:       "llmparts",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		MaxTokens:   openai.Int(24),
		Temperature: openai.Float(0),
	}
	res, err := c.Chat.Completions.New(ctx, chatParams)
	if err != nil {
		t.Fatal(err)
	}
	text := res.Choices[0].Message.Content
	t.Logf("temperature 0: %q", text)
	if text == "" || res.Choices[0].FinishReason != "length" || res.Usage.CompletionTokens != 24 || res.Usage.PromptTokens != int64(defaultTokens(t, prompt)) {
		t.Fatalf("chat: text %q, finish %q, usage %+v", text, res.Choices[0].FinishReason, res.Usage)
	}
	st := c.Chat.Completions.NewStreaming(ctx, chatParams)
	var sb strings.Builder
	finish := ""
	for st.Next() {
		ch := st.Current()
		if len(ch.Choices) > 0 {
			sb.WriteString(ch.Choices[0].Delta.Content)
			if ch.Choices[0].FinishReason != "" {
				finish = ch.Choices[0].FinishReason
			}
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if sb.String() != text || finish != "length" {
		t.Errorf("streamed chat %q (finish %q), want %q (length)", sb.String(), finish, text)
	}

	compParams := openai.CompletionNewParams{
		Model:       "llmparts",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String(prompt)},
		MaxTokens:   openai.Int(24),
		Temperature: openai.Float(0),
	}
	cres, err := c.Completions.New(ctx, compParams)
	if err != nil {
		t.Fatal(err)
	}
	if got := cres.Choices[0].Text; got != text {
		t.Errorf("completion %q, want the chat text %q (plain template)", got, text)
	}
	cst := c.Completions.NewStreaming(ctx, compParams)
	sb.Reset()
	for cst.Next() {
		if ch := cst.Current(); len(ch.Choices) > 0 {
			sb.WriteString(ch.Choices[0].Text)
		}
	}
	if err := cst.Err(); err != nil || sb.String() != text {
		t.Errorf("streamed completion %q (%v), want %q", sb.String(), err, text)
	}

	// Stop at a piece of the text seen above.
	if len(text) < 9 {
		t.Fatalf("text %q too short to take a stop string from", text)
	}
	stop := text[5:9] // four bytes of the text seen above
	want := text[:strings.Index(text, stop)]
	chatParams.Stop = openai.ChatCompletionNewParamsStopUnion{OfString: openai.String(stop)}
	res, err = c.Chat.Completions.New(ctx, chatParams)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Choices[0].Message.Content; got != want || res.Choices[0].FinishReason != "stop" {
		t.Errorf("stop %q: got %q (%s), want %q (stop)", stop, got, res.Choices[0].FinishReason, want)
	}
	st = c.Chat.Completions.NewStreaming(ctx, chatParams)
	sb.Reset()
	for st.Next() {
		if ch := st.Current(); len(ch.Choices) > 0 {
			sb.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if sb.String() != want {
		t.Errorf("streamed stop %q: got %q, want %q", stop, sb.String(), want)
	}

	// Log-probabilities: greedy picks the most likely token.
	chatParams.Stop = openai.ChatCompletionNewParamsStopUnion{}
	chatParams.Logprobs = openai.Bool(true)
	chatParams.TopLogprobs = openai.Int(3)
	chatParams.MaxTokens = openai.Int(4)
	res, err = c.Chat.Completions.New(ctx, chatParams)
	if err != nil {
		t.Fatal(err)
	}
	lps := res.Choices[0].Logprobs.Content
	if len(lps) != 4 {
		t.Fatalf("%d logprobs, want 4", len(lps))
	}
	for _, lp := range lps {
		if len(lp.TopLogprobs) != 3 || lp.Logprob != lp.TopLogprobs[0].Logprob || lp.Token != lp.TopLogprobs[0].Token || lp.Logprob > 0 ||
			lp.TopLogprobs[1].Logprob > lp.TopLogprobs[0].Logprob {
			t.Errorf("logprob %+v", lp)
		}
	}

	models, err := c.Models.List(ctx)
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != "llmparts" {
		t.Errorf("models %+v, %v", models, err)
	}
}

func post(t testing.TB, url, body string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &v)
	return resp.StatusCode, resp.Header, v
}

// Every bad request gets a 4xx with an OpenAI-style error body.
func TestBadRequests(t *testing.T) {
	_, base := start(t, Options{Parallel: 1, MaxBodyBytes: 1 << 20, MaxTokens: 64})
	chatURL := base + "/v1/chat/completions"
	msg := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, url, body string
		status          int
		param           string
	}{
		{"malformed JSON", chatURL, `{"messages": [`, 400, ""},
		{"not an object", chatURL, `[1,2]`, 400, ""},
		{"empty body", chatURL, ``, 400, ""},
		{"trailing data", chatURL, `{` + msg + `} {}`, 400, ""},
		{"wrong type", chatURL, `{` + msg + `,"max_tokens":"ten"}`, 400, "max_tokens"},
		{"wrong type temperature", chatURL, `{` + msg + `,"temperature":"hot"}`, 400, "temperature"},
		{"negative max_tokens", chatURL, `{` + msg + `,"max_tokens":-5}`, 400, "max_tokens"},
		{"huge max_tokens", chatURL, `{` + msg + `,"max_tokens":1000000000}`, 400, "max_tokens"},
		{"overflowing max_tokens", chatURL, `{` + msg + `,"max_tokens":1e300}`, 400, "max_tokens"},
		{"negative temperature", chatURL, `{` + msg + `,"temperature":-1}`, 400, "temperature"},
		{"huge top_p", chatURL, `{` + msg + `,"top_p":7}`, 400, "top_p"},
		{"negative top_k", chatURL, `{` + msg + `,"top_k":-1}`, 400, "top_k"},
		{"n > 1", chatURL, `{` + msg + `,"n":2}`, 400, "n"},
		{"top_logprobs 99", chatURL, `{` + msg + `,"logprobs":true,"top_logprobs":99}`, 400, "top_logprobs"},
		{"stop of numbers", chatURL, `{` + msg + `,"stop":[1,2]}`, 400, "stop"},
		{"unknown role", chatURL, `{"messages":[{"role":"wizard","content":"hi"}]}`, 400, "messages[0].role"},
		{"no messages", chatURL, `{"messages":[]}`, 400, "messages"},
		{"image part", chatURL, `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "messages[0].content"},
		{"content number", chatURL, `{"messages":[{"role":"user","content":5}]}`, 400, "messages[0].content"},
		{"deeply nested", chatURL, `{"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `,` + msg + `}`, 400, ""},
		{"12 MB body", chatURL, `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 12<<20) + `"}]}`, 413, ""},
		{"long prompt", chatURL, `{"messages":[{"role":"user","content":"` + strings.Repeat("a ", 1000) + `"}]}`, 400, ""},
		{"completion without prompt", base + "/v1/completions", `{"max_tokens":3}`, 400, "prompt"},
		{"completion bad token", base + "/v1/completions", `{"prompt":[1,99999]}`, 400, "prompt"},
		{"two prompts", base + "/v1/completions", `{"prompt":["a","b"]}`, 400, "prompt"},
		{"completion logprobs 9", base + "/v1/completions", `{"prompt":"a","logprobs":9}`, 400, "logprobs"},
		{"detokenize bad id", base + "/detokenize", `{"tokens":[-1]}`, 400, "tokens"},
		{"tokenize no content", base + "/tokenize", `{}`, 400, "content"},
		{"unknown path", base + "/v2/nothing", `{}`, 404, ""},
	}
	for _, c := range cases {
		code, _, v := post(t, c.url, c.body)
		e, _ := v["error"].(map[string]any)
		if code != c.status || e == nil || e["message"] == "" || e["type"] == nil {
			t.Errorf("%s: status %d body %v, want %d with an error body", c.name, code, v, c.status)
			continue
		}
		if p, _ := e["param"].(string); p != c.param {
			t.Errorf("%s: param %q, want %q (%v)", c.name, p, c.param, e["message"])
		}
	}
	// The server is still fine.
	if code, _, v := post(t, chatURL, `{`+msg+`,"max_tokens":2}`); code != 200 {
		t.Errorf("after the bad requests: %d %v", code, v)
	}
	// Through the official client the error is an *openai.Error.
	oc := client(base)
	_, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "x", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("a")}, N: openai.Int(3)})
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.StatusCode != 400 || oe.Param != "n" {
		t.Errorf("n = 3 through the client: %v", err)
	}
}

func TestAPIKey(t *testing.T) {
	_, base := start(t, Options{Parallel: 1, APIKey: "sekret"})
	body := `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}`
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "sekret"}} {
		code, _, v := post(t, base+"/v1/chat/completions", body, h...)
		e, _ := v["error"].(map[string]any)
		if code != 401 || e == nil || e["code"] != "invalid_api_key" {
			t.Errorf("header %q: %d %v, want 401 with an error body", h, code, v)
		}
	}
	if code, _, _ := post(t, base+"/v1/chat/completions", body, "Authorization", "Bearer sekret"); code != 200 {
		t.Errorf("right key: %d", code)
	}
	oc := client(base, option.WithAPIKey("sekret"))
	if _, err := oc.Models.List(context.Background()); err != nil {
		t.Errorf("client with the key: %v", err)
	}
	if resp, err := http.Get(base + "/health"); err != nil || resp.StatusCode != 200 {
		t.Errorf("health needs no key: %v %v", resp, err)
	}
}

func TestHealthLoadingThenReady(t *testing.T) {
	s := New(Options{})
	h := s.Handler()
	get := func(path string) int {
		rec := newRecorder()
		req, _ := http.NewRequest("GET", path, nil)
		h.ServeHTTP(rec, req)
		return rec.code
	}
	if c := get("/health"); c != 503 {
		t.Errorf("loading: /health %d, want 503", c)
	}
	if c := get("/v1/models"); c != 503 {
		t.Errorf("loading: /v1/models %d, want 503", c)
	}
	m, err := llmparts.OpenDefault()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := s.SetModel(m); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := get("/health"); c != 200 {
		t.Errorf("ready: /health %d, want 200", c)
	}
}

type testRecorder struct {
	h    http.Header
	code int
	body strings.Builder
}

func newRecorder() *testRecorder                    { return &testRecorder{h: http.Header{}, code: 200} }
func (r *testRecorder) Header() http.Header         { return r.h }
func (r *testRecorder) WriteHeader(c int)           { r.code = c }
func (r *testRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// A full queue answers 429 with Retry-After; a request past its deadline
// 504.
func TestQueueFullAndTimeout(t *testing.T) {
	s, base := start(t, Options{Parallel: 1, QueueSize: 1})
	e := s.eng.Load()
	e.stop() // nothing takes jobs from the queue any more
	if err := e.submit(&job{ctx: context.Background(), events: make(chan event, 1)}); err != nil {
		t.Fatal(err)
	}
	code, h, v := post(t, base+"/v1/completions", `{"prompt":"a","max_tokens":2}`)
	if code != 429 || h.Get("Retry-After") == "" || v["error"] == nil {
		t.Errorf("full queue: %d, Retry-After %q, %v", code, h.Get("Retry-After"), v)
	}

	_, base = start(t, Options{Parallel: 1, Timeout: time.Nanosecond})
	if code, _, v := post(t, base+"/v1/completions", `{"prompt":"a","max_tokens":2}`); code != 504 || v["error"] == nil {
		t.Errorf("timeout: %d %v, want 504", code, v)
	}
}

// A client that goes away mid-stream frees its slot at once.
func TestDisconnectFreesSlot(t *testing.T) {
	s, base := start(t, Options{Parallel: 1})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/completions",
		strings.NewReader(`{"prompt":"func","max_tokens":120,"stream":true,"ignore_eos":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(resp.Body).ReadString('\n')
	cancel()
	resp.Body.Close()
	e := s.eng.Load()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if e.busy() == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n := e.busy(); n != 0 {
		t.Errorf("%d slots still busy after the client left", n)
	}
	// The next request runs.
	if code, _, _ := post(t, base+"/v1/completions", `{"prompt":"a","max_tokens":2}`); code != 200 {
		t.Errorf("after a disconnect: %d", code)
	}
}

// 32 clients × 4 requests, streamed and not, against 4 slots: every
// answer complete, no error; then the metrics count them.
func TestLoad(t *testing.T) {
	_, base := start(t, Options{Parallel: 4})
	c := client(base)
	var wg sync.WaitGroup
	errs := make(chan error, 128)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 4 {
				p := openai.ChatCompletionNewParams{Model: "llmparts", MaxTokens: openai.Int(16), Seed: openai.Int(int64(i*4 + k)),
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(fmt.Sprintf("func f%d() {", i))}}
				if k%2 == 0 {
					r, err := c.Chat.Completions.New(context.Background(), p)
					if err == nil && (r.Usage.CompletionTokens != 16 || r.Choices[0].FinishReason != "length") {
						err = fmt.Errorf("incomplete answer: %+v", r.Usage)
					}
					if err != nil {
						errs <- err
					}
					continue
				}
				st := c.Chat.Completions.NewStreaming(context.Background(), p)
				fin := ""
				for st.Next() {
					if ch := st.Current(); len(ch.Choices) > 0 && ch.Choices[0].FinishReason != "" {
						fin = ch.Choices[0].FinishReason
					}
				}
				if err := st.Err(); err != nil {
					errs <- err
				} else if fin != "length" {
					errs <- fmt.Errorf("stream ended with %q", fin)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The request counter is bumped after the response is written: wait
	// for the last ones.
	var missing []string
	for try := 0; try < 100; try++ {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, want := range []string{`llmparts_requests_total{code="200",path="/v1/chat/completions"} 128`, "llmparts_completion_tokens_total 2048",
			"llmparts_time_to_first_token_seconds_count 128", "llmparts_inter_token_seconds_count 1920", "llmparts_queue_depth 0"} {
			if !strings.Contains(string(b), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Errorf("metrics lack %q", missing)
	}
}

func TestTokenize(t *testing.T) {
	_, base := start(t, Options{Parallel: 1})
	code, _, v := post(t, base+"/tokenize", `{"content":"func main"}`)
	toks, _ := v["tokens"].([]any)
	if code != 200 || len(toks) != defaultTokens(t, "func main") {
		t.Fatalf("tokenize: %d %v", code, v)
	}
	b, _ := json.Marshal(map[string]any{"tokens": toks})
	code, _, v = post(t, base+"/detokenize", string(b))
	if code != 200 || v["content"] != "func main" {
		t.Errorf("detokenize: %d %v", code, v)
	}
}

// Batch invariance: at temperature 0 a request gets the same text alone
// and beside seven others running at the same time.
func TestBatchInvariance(t *testing.T) {
	_, base := start(t, Options{Parallel: 8})
	body := func(p string) string {
		return `{"prompt":"` + p + `","max_tokens":40,"temperature":0}`
	}
	_, _, v := post(t, base+"/v1/completions", body(`package main\n\nimport (`))
	alone := completionText(v)
	if alone == "" {
		t.Fatalf("no text: %v", v)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := `package main\n\nimport (`
				if i > 0 {
					p = fmt.Sprintf(`func f%d(x int) {\n\t`, i*(round+1))
				}
				_, _, v := post(t, base+"/v1/completions", body(p))
				got[i] = completionText(v)
			}()
		}
		wg.Wait()
		if got[0] != alone {
			t.Errorf("round %d: beside 7 others %q, alone %q", round, got[0], alone)
		}
	}
}

// GET / is the chat page: one self-contained HTML file that streams from
// /v1/chat/completions (no external scripts).
func TestChatPage(t *testing.T) {
	_, base := start(t, Options{Parallel: 1, APIKey: "k"})
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page, `fetch("v1/chat/completions"`) || !strings.Contains(page, "stream: true") || !strings.Contains(page, "tok/s") {
		t.Errorf("GET /: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
	if strings.Contains(page, "<script src") || strings.Contains(page, "https://") {
		t.Error("the page loads something from elsewhere")
	}
}

// Responses carry llama-server's "timings" beside "usage".
func TestTimings(t *testing.T) {
	_, base := start(t, Options{Parallel: 1})
	code, _, v := post(t, base+"/v1/chat/completions", `{"messages":[{"role":"user","content":"func"}],"max_tokens":5}`)
	tm, _ := v["timings"].(map[string]any)
	if code != 200 || tm == nil || tm["predicted_n"] != 5.0 || tm["prompt_n"] != float64(defaultTokens(t, "func")) || tm["predicted_per_second"].(float64) <= 0 {
		t.Errorf("%d timings %v", code, v["timings"])
	}
}

// A client that sends half a body and stalls gets 408 after BodyTimeout
// and holds nothing: the next request runs.
func TestSlowBody(t *testing.T) {
	var logb strings.Builder
	defer func() { t.Log(logb.String()) }()
	_, base := start(t, Options{Parallel: 1, BodyTimeout: 200 * time.Millisecond, Log: &syncWriter{w: &logb}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"prompt\":")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a stalled body: %v", err)
	}
	if resp.StatusCode != 408 {
		t.Errorf("stalled body: %d, want 408", resp.StatusCode)
	}
	if code, _, _ := post(t, base+"/v1/completions", `{"prompt":"a","max_tokens":2}`); code != 200 {
		t.Errorf("after a stalled body: %d", code)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// Short prompts (at most batchPrompt tokens) join the decode pass whole;
// ten of about 30 tokens arriving together exceed batchRows, so some wait
// a step, and an eleventh, long prompt is chunked beside them: every answer is
// complete, and the first prompt's text is the one it gets alone.
func TestShortPromptsFillPass(t *testing.T) {
	_, base := start(t, Options{Parallel: 11})
	prompt := func(i int) string {
		p := ""
		for k := 0; defaultTokens(t, p) < 27; k++ {
			p += fmt.Sprintf("v%d := %d\n", i, k)
		}
		if n := defaultTokens(t, p); n > batchPrompt-1 {
			t.Fatalf("prompt %d has %d tokens", i, n)
		}
		return p
	}
	long := ""
	for defaultTokens(t, long) <= 2*batchPrompt {
		long += "long := 1\n"
	}
	body := func(p string) string {
		b, _ := json.Marshal(map[string]any{"prompt": p, "max_tokens": 12, "temperature": 0})
		return string(b)
	}
	if 10*27 <= batchRows {
		t.Fatalf("ten prompts of 27 tokens fit in one pass of %d rows: the test no longer overflows it", batchRows)
	}
	_, _, v := post(t, base+"/v1/completions", body(prompt(0)))
	alone := completionText(v)
	if alone == "" {
		t.Fatalf("no text: %v", v)
	}
	var wg sync.WaitGroup
	got := make([]string, 11)
	for i := range 11 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := prompt(i)
			if i == 10 {
				p = long
			}
			_, _, v := post(t, base+"/v1/completions", body(p))
			got[i] = completionText(v)
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g == "" {
			t.Errorf("request %d: no text", i)
		}
	}
	if got[0] != alone {
		t.Errorf("beside ten others %q, alone %q", got[0], alone)
	}
}
