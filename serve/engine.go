package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// job is one generation request as the engine sees it.
type job struct {
	ctx       context.Context
	prompt    []int
	maxTokens int
	params    sample.Params
	stops     []string // stop strings (the text before one is returned)
	ignoreEOS bool
	logprobs  int // -1: none; else top alternatives to report (0..20)
	queued    time.Time

	// events receives the output; it is buffered for every event the job
	// can produce (maxTokens tokens and one end), so the engine never
	// waits for a slow client.
	events chan event
}

// event is a piece of output: text (possibly empty while held back for a
// stop string or an unfinished character) for one sampled token, or the
// end of the job (done).
type event struct {
	text    string
	token   int
	piece   string // the token's own text
	logprob float64
	top     []tokenProb
	done    bool
	finish  string // "stop" or "length" when done
	err     error  // when done with an error
	nPrompt int
	// ttft is the time from submission to the first token, gen the time
	// from the first token to the last (on the end event).
	ttft, gen time.Duration
	nGen      int
	canceled  bool
}

type tokenProb struct {
	ID      int
	Text    string
	Logprob float64
}

// errQueueFull is returned by submit when the queue is at its limit.
var errQueueFull = errors.New("the server is busy: the request queue is full")

// slot is one sequence in flight: a session (its KV cache) and the state
// of the job running in it.
type slot struct {
	s     *model.Session
	j     *job
	fed   int   // prompt tokens already in the cache
	hist  []int // prompt and generated tokens
	next  int   // token to feed at the next decode step (-1: none)
	gen   int
	smp   *sample.Sampler
	dec   tokenizer.Decoder
	text  strings.Builder // generated text
	sent  int             // bytes of text already sent
	last  time.Time       // time of the last token sent
	first time.Time       // time of the first token
	busy  atomic.Bool     // j != nil, readable from other goroutines
}

// engine runs every request on one goroutine: each step feeds one prompt
// chunk to the slots still reading their prompt, then advances all
// decoding slots by one token together (model.ForwardBatch), so the
// weights are read once per step for all of them.
type engine struct {
	m        *model.Model
	tok      tokenizer.Tokenizer
	stopIDs  map[int]bool // tokens that end generation (EOS, end of turn)
	slots    []*slot
	chunk    int // prompt tokens per prefill chunk
	queue    chan *job
	met      *metrics
	forward  func(ss []*model.Session, runs [][]int) ([][]float32, error)
	log      io.Writer
	quit     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

func newEngine(m *model.Model, tok tokenizer.Tokenizer, stopIDs map[int]bool, parallel, ctx, queue, chunk int, met *metrics, log io.Writer) *engine {
	e := &engine{log: log, m: m, tok: tok, stopIDs: stopIDs, chunk: chunk, queue: make(chan *job, queue), met: met,
		quit: make(chan struct{}), done: make(chan struct{})}
	for range parallel {
		e.slots = append(e.slots, &slot{s: m.NewSession(ctx)})
	}
	e.forward = model.ForwardChunks
	go e.loop()
	return e
}

// submit queues j, or fails at once when the queue is full.
func (e *engine) submit(j *job) error {
	select {
	case e.queue <- j:
		e.met.queue.Set(float64(len(e.queue)))
		return nil
	default:
		return errQueueFull
	}
}

// stop ends the loop; jobs still queued or running end with an error.
func (e *engine) stop() {
	e.stopOnce.Do(func() { close(e.quit) })
	<-e.done
}

func (e *engine) loop() {
	defer close(e.done)
	for {
		e.admit()
		if e.active() == 0 {
			select {
			case j := <-e.queue:
				e.met.queue.Set(float64(len(e.queue)))
				e.start(e.free(), j)
			case <-e.quit:
				e.shutdown()
				return
			}
			continue
		}
		select {
		case <-e.quit:
			e.shutdown()
			return
		default:
		}
		e.step()
	}
}

func (e *engine) shutdown() {
	err := errors.New("the server is shutting down")
	for _, sl := range e.slots {
		if sl.j != nil {
			e.finish(sl, "", err)
		}
	}
	for {
		select {
		case j := <-e.queue:
			j.events <- event{done: true, err: err}
		default:
			return
		}
	}
}

func (e *engine) active() int {
	n := 0
	for _, sl := range e.slots {
		if sl.j != nil {
			n++
		}
	}
	return n
}

func (e *engine) free() *slot {
	for _, sl := range e.slots {
		if sl.j == nil {
			return sl
		}
	}
	return nil
}

// admit moves queued jobs into free slots.
func (e *engine) admit() {
	for {
		sl := e.free()
		if sl == nil {
			return
		}
		select {
		case j := <-e.queue:
			e.met.queue.Set(float64(len(e.queue)))
			e.start(sl, j)
		default:
			return
		}
	}
}

func (e *engine) start(sl *slot, j *job) {
	if j.ctx.Err() != nil { // gone while queued
		j.events <- event{done: true, err: j.ctx.Err(), canceled: true}
		return
	}
	sl.j = j
	sl.busy.Store(true)
	sl.s.Reset()
	sl.fed, sl.gen, sl.sent, sl.next = 0, 0, 0, -1
	sl.hist = append(sl.hist[:0], j.prompt...)
	sl.smp = sample.New(j.params)
	sl.text.Reset()
	sl.dec = tokenizer.ContinuationDecoder(e.tok)
	e.met.active.Inc()
}

// batchPrompt is the longest prompt fed whole through the decode pass (its
// tokens as rows beside the decoding sequences' tokens, model.ForwardChunks)
// rather than by prefill chunks of its own: a short prompt's pass is bound
// by reading the weights, like a decode step, so sharing the step's read
// saves a pass (eight requests arriving together: eight passes), while a
// long prompt goes faster through the prompt GEMM. The choice depends on
// the prompt alone, never on what else runs (batch invariance).
const batchPrompt = 32

// batchRows bounds the prompt rows of one pass (its buffers grow with the
// rows); a short prompt that does not fit waits for the next step.
const batchRows = 256

// step runs one prefill chunk for every slot still reading a long prompt,
// and one pass for all the others: the decoding slots' next tokens and the
// short prompts of slots just started. A panic in the model fails the jobs
// in flight instead of the server.
func (e *engine) step() {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("internal error: %v", r)
			fmt.Fprintf(e.log, "serve: engine panic: %v\n%s", r, debug.Stack())
			for _, sl := range e.slots {
				if sl.j != nil {
					e.finish(sl, "", err)
				}
			}
		}
	}()
	var dec []*slot
	rows := 0 // prompt rows in the pass
	for _, sl := range e.slots {
		if sl.j == nil {
			continue
		}
		if err := sl.j.ctx.Err(); err != nil {
			e.finish(sl, "", err)
			continue
		}
		if sl.fed == 0 && len(sl.j.prompt) > 0 && len(sl.j.prompt) <= batchPrompt && len(sl.j.prompt) < sl.s.Context() {
			// A short prompt joins the decode pass as one run of rows
			// (whole, or at a later step when the pass is full).
			if rows+len(sl.j.prompt) <= batchRows {
				dec = append(dec, sl)
				rows += len(sl.j.prompt)
			}
			continue
		}
		if sl.fed < len(sl.j.prompt) {
			// Chunks are cut from the prompt alone (never by what else is
			// running), so a prompt is computed the same way beside others.
			n := min(e.chunk, len(sl.j.prompt)-sl.fed)
			logits, err := sl.s.Forward(sl.j.prompt[sl.fed:sl.fed+n], sl.fed)
			if err != nil {
				e.finish(sl, "", err)
				continue
			}
			sl.fed += n
			if sl.fed == len(sl.j.prompt) {
				e.sampleNext(sl, logits)
			}
			continue
		}
		if sl.next >= 0 {
			dec = append(dec, sl)
		}
	}
	if len(dec) == 0 {
		return
	}
	ss := make([]*model.Session, len(dec))
	runs := make([][]int, len(dec))
	for i, sl := range dec {
		ss[i] = sl.s
		if sl.fed < len(sl.j.prompt) { // a short prompt, whole
			runs[i] = sl.j.prompt
			sl.fed = len(sl.j.prompt)
		} else {
			runs[i] = []int{sl.next}
		}
	}
	logits, err := e.forward(ss, runs)
	if err != nil {
		for _, sl := range dec {
			e.finish(sl, "", err)
		}
		return
	}
	for i, sl := range dec {
		e.sampleNext(sl, logits[i])
	}
}

// sampleNext draws the slot's next token from logits and sends it, or
// ends the job.
func (e *engine) sampleNext(sl *slot, logits []float32) {
	j := sl.j
	var ev event
	// Ids past the tokenizer's vocabulary (a model padded to a round
	// vocabulary size) have no text: never sample or report them.
	for id := e.tok.VocabSize(); id < len(logits); id++ {
		logits[id] = float32(math.Inf(-1))
	}
	if j.logprobs >= 0 {
		ev.top = topLogprobs(logits, max(j.logprobs, 1))
	}
	if j.ignoreEOS {
		for id := range e.stopIDs {
			if id < len(logits) {
				logits[id] = float32(math.Inf(-1))
			}
		}
	}
	id := sl.smp.Sample(logits, sl.hist)
	if e.stopIDs[id] {
		e.finish(sl, "stop", nil)
		return
	}
	if j.logprobs >= 0 {
		ev.logprob = logprobOf(logits, id, ev.top)
		for i := range ev.top {
			ev.top[i].Text = e.piece(ev.top[i].ID)
		}
		ev.top = ev.top[:j.logprobs]
	}
	now := time.Now()
	if sl.gen == 0 {
		sl.first = now
		e.met.ttft.Observe(now.Sub(j.queued).Seconds())
	} else {
		e.met.itl.Observe(now.Sub(sl.last).Seconds())
	}
	sl.last = now
	sl.gen++
	sl.hist = append(sl.hist, id)
	sl.next = id
	sl.text.WriteString(sl.dec.Add(id))
	ev.token, ev.piece = id, e.piece(id)
	text := sl.text.String()
	// A stop string ends the text just before it; text that could still
	// become one is held back.
	if k, ok := findStop(text, sl.sent, j.stops); ok {
		ev.text = text[sl.sent:k]
		sl.sent = k
		j.events <- ev
		e.finish(sl, "stop", nil)
		return
	}
	end := len(text) - holdBack(text, j.stops)
	if end > sl.sent {
		ev.text = text[sl.sent:end]
		sl.sent = end
	}
	j.events <- ev
	switch {
	case sl.gen >= j.maxTokens:
		e.finish(sl, "length", nil)
	case len(sl.hist) >= sl.s.Context():
		e.finish(sl, "length", nil)
	}
}

// finish ends the slot's job: the rest of its text (unless it stopped at
// a stop string) and the end event; the slot is free again at once.
func (e *engine) finish(sl *slot, reason string, err error) {
	j := sl.j
	ev := event{done: true, finish: reason, err: err, nPrompt: len(j.prompt), nGen: sl.gen}
	if sl.gen > 0 {
		ev.ttft, ev.gen = sl.first.Sub(j.queued), sl.last.Sub(sl.first)
	}
	if err == nil {
		text := sl.text.String() + sl.dec.Flush()
		if k, ok := findStop(text, sl.sent, j.stops); ok {
			text = text[:k]
		}
		if len(text) > sl.sent {
			ev.text = text[sl.sent:]
		}
	} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		ev.canceled = true
	}
	e.met.promptTokens.Add(float64(min(sl.fed, len(j.prompt))))
	e.met.completionTokens.Add(float64(sl.gen))
	e.met.active.Dec()
	j.events <- ev
	sl.j = nil
	sl.busy.Store(false)
	sl.smp = nil
}

func (e *engine) piece(id int) string {
	return e.tok.Decode([]int{id})
}

// findStop returns the end of the text before the first stop string that
// ends after byte from.
func findStop(text string, from int, stops []string) (int, bool) {
	best := -1
	for _, s := range stops {
		lo := max(0, from-len(s)+1)
		if i := strings.Index(text[lo:], s); i >= 0 && (best < 0 || lo+i < best) {
			best = lo + i
		}
	}
	return best, best >= 0
}

// holdBack is the length of the longest end of text that is the start of
// a stop string (and so cannot be sent yet).
func holdBack(text string, stops []string) int {
	h := 0
	for _, s := range stops {
		for k := min(len(s)-1, len(text)); k > h; k-- {
			if strings.HasSuffix(text, s[:k]) {
				h = k
				break
			}
		}
	}
	return h
}

// topLogprobs returns the n most likely tokens of softmax(logits) with
// their log-probabilities (IDs and Logprob set).
func topLogprobs(logits []float32, n int) []tokenProb {
	lse := sample.LogSumExp(logits)
	idx := make([]int, 0, n+1)
	for i, l := range logits {
		if len(idx) < n || l > logits[idx[len(idx)-1]] {
			k, _ := slices.BinarySearchFunc(idx, l, func(a int, l float32) int {
				if logits[a] > l {
					return -1
				}
				return 1
			})
			idx = slices.Insert(idx, k, i)
			if len(idx) > n {
				idx = idx[:n]
			}
		}
	}
	out := make([]tokenProb, len(idx))
	for i, id := range idx {
		out[i] = tokenProb{ID: id, Logprob: float64(logits[id]) - lse}
	}
	return out
}

// logprobOf is log softmax(logits)[id], from top when it is there.
func logprobOf(logits []float32, id int, top []tokenProb) float64 {
	for _, t := range top {
		if t.ID == id {
			return t.Logprob
		}
	}
	return float64(logits[id]) - sample.LogSumExp(logits)
}

// busy counts the slots with a job.
func (e *engine) busy() int {
	n := 0
	for _, sl := range e.slots {
		if sl.busy.Load() {
			n++
		}
	}
	return n
}
