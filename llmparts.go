// Package llmparts is the front door for Go programs that embed a model:
// [Open] loads a model file together with its tokenizer (and its chat
// template when the file has one), and [Session.Generate] streams the text
// the model writes after a prompt.
//
// Generation is autoregressive. The prompt is encoded to tokens x₁…x_P
// (with the vocabulary's BOS first when it asks for one) and run through
// the network in one batch, which caches every layer's keys and values;
// then, for t = P, P+1, …, the next token is drawn from
//
//	p(x_{t+1} | x₁…x_t) = softmax(ℓ_t / T),  ℓ_t = W_out · h_t
//
// after the filters of package sample (repetition penalty, top-k, top-p,
// min-p; T ≤ 0 takes the argmax), decoded to text, and fed back at
// position t+1. Generation stops at an end-of-generation token of the
// model's family (EOS, <|eot_id|>, <|im_end|>, <end_of_turn>, ...), after
// Params.MaxTokens tokens, when the context is full, or when the
// context.Context is cancelled.
//
// A program that loads a model and streams 50 tokens (the package
// example, on the embedded default model):
//
//	m, err := llmparts.OpenDefault()
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer m.Close()
//	for piece, err := range m.NewSession(0).Generate(context.Background(), "// Copyright", llmparts.Params{MaxTokens: 50}) {
//		if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Print(piece)
//	}
//
// # Concurrency
//
// A [Model] may be shared by any number of goroutines, each with its own
// [Session]: the forward passes of all sessions of one model are
// serialised by the model (each pass already uses every worker thread), so
// they are safe but do not run in parallel. A Session is one stream and
// must not be used by two goroutines at once. The packages below this one
// (model, tokenizer, sample) are lower level: there, two sessions of one
// model.Model must not run Forward at the same time, and a sample.Sampler
// belongs to one stream.
package llmparts

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/format/llama2c"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/sample"
	"github.com/llmparts/llmparts/tokenizer"
)

// Model is a network with the tokenizer that goes with it.
type Model struct {
	// Net is the network: hyper-parameters in Net.Config, where it came
	// from in Net.Info (Net.Info.Tokenizer names the tokenizer's file).
	Net *model.Model
	// Tokenizer encodes prompts and decodes generated tokens.
	Tokenizer tokenizer.Tokenizer
	// TokenizerSource says where the tokenizer was found, for messages.
	TokenizerSource string
	// Template is the chat template stored with the model (GGUF
	// tokenizer.chat_template, or tokenizer_config.json beside a
	// checkpoint), or nil.
	Template *chat.Template

	mu  sync.Mutex   // serialises forward passes of all sessions
	end map[int]bool // end-of-generation ids besides EOS
}

// Options controls [OpenWith]. The zero value is what [Open] uses.
type Options struct {
	// Tokenizer is a tokenizer file (tokenizer.bin, SentencePiece .model,
	// tokenizer.json, or a .gguf file's vocabulary) to use instead of the
	// model's own.
	Tokenizer string
	// Threads is the number of worker goroutines (0 = GOMAXPROCS).
	Threads int
	// QuantizeActivations multiplies every quantized weight type with
	// activations quantized per block (llama.cpp's integer path);
	// FloatActivations with float32 activations. With neither, each type
	// takes its measured default (see model.Options).
	QuantizeActivations, FloatActivations bool
	// MatchGGML computes attention, RoPE and SiLU in llama.cpp's float32
	// arithmetic, bit for bit (see model.Model.MatchGGML; slower): with
	// QuantizeActivations the logits then equal llama.cpp's.
	MatchGGML bool
	// KeepMapped leaves the weights in the file mapping (for tools that
	// run no forward pass; see model.Options).
	KeepMapped bool
	// NoTokenizer skips finding a tokenizer (Model.Tokenizer stays nil).
	NoTokenizer bool
}

// Open loads the model at path with default options: a GGUF file, a
// llama2.c checkpoint (.bin), a Hugging Face folder or a trainer
// checkpoint folder. Its tokenizer is the GGUF file's vocabulary, the
// folder's tokenizer.json, or for a llama2.c model the first of
// tokenizer.bin, tok<vocab>.bin, tokenizer.model and tok<vocab>.model
// found beside it; Net.Info.Tokenizer names the file it came from.
func Open(path string) (*Model, error) { return OpenWith(path, Options{}) }

// OpenWith is [Open] with options.
func OpenWith(path string, o Options) (*Model, error) {
	net, err := model.Load(path, model.Options{Threads: o.Threads, QuantizeActivations: o.QuantizeActivations, FloatActivations: o.FloatActivations, MatchGGML: o.MatchGGML, KeepMapped: o.KeepMapped})
	if err != nil {
		return nil, err
	}
	m := &Model{Net: net}
	if err := m.attach(o, path); err != nil {
		net.Close()
		return nil, err
	}
	return m, nil
}

// OpenDefault loads the small model embedded in package defaultmodel
// (trained on Go source; see its documentation).
func OpenDefault() (*Model, error) { return OpenDefaultWith(Options{}) }

// OpenDefaultWith is [OpenDefault] with options (Tokenizer overrides the
// embedded tokenizer; QuantizeActivations, FloatActivations and KeepMapped
// do not apply).
func OpenDefaultWith(o Options) (*Model, error) {
	net, err := model.LoadFS(defaultmodel.FS(), "defaultmodel")
	if err != nil {
		return nil, err
	}
	net.SetThreads(o.Threads)
	net.MatchGGML = o.MatchGGML
	net.Info.Path = "embedded default model (defaultmodel package)"
	m := &Model{Net: net}
	if o.Tokenizer == "" && !o.NoTokenizer {
		tok, err := defaultmodel.Tokenizer()
		if err != nil {
			net.Close()
			return nil, err
		}
		m.Tokenizer, m.TokenizerSource = tok, "embedded tokenizer.json"
		net.Info.Tokenizer = "defaultmodel/tokenizer.json"
		m.findEnds()
		return m, nil
	}
	if err := m.attach(o, ""); err != nil {
		net.Close()
		return nil, err
	}
	return m, nil
}

// attach finds the tokenizer and chat template of m.Net (loaded from path).
func (m *Model) attach(o Options, path string) error {
	if o.NoTokenizer {
		return nil
	}
	info := &m.Net.Info
	switch {
	case o.Tokenizer != "":
		t, where, err := OpenTokenizer(o.Tokenizer)
		if err != nil {
			return err
		}
		m.Tokenizer, m.TokenizerSource = t, where
		info.Tokenizer = o.Tokenizer
	case info.Format == "gguf":
		t, err := tokenizer.OpenGGUF(path)
		if err != nil {
			return err
		}
		m.Tokenizer, m.TokenizerSource = t, path+" (GGUF vocabulary)"
		info.Tokenizer = path
	case info.Format == "checkpoint" || info.Format == "hf":
		if info.Tokenizer == "" {
			return fmt.Errorf("llmparts: %s has no tokenizer.json; give a tokenizer file", path)
		}
		t, err := tokenizer.LoadFile(info.Tokenizer)
		if err != nil {
			return err
		}
		m.Tokenizer, m.TokenizerSource = t, info.Tokenizer
	default: // llama2.c
		p := besideLlama2C(path, m.Net.Config.VocabSize)
		if p == "" {
			return fmt.Errorf("llmparts: no tokenizer for %s: give one (looked for tokenizer.bin, tok%d.bin, tokenizer.model, tok%[2]d.model beside it)", path, m.Net.Config.VocabSize)
		}
		t, err := tokenizer.LoadFile(p)
		if err != nil {
			return err
		}
		m.Tokenizer, m.TokenizerSource = t, p
		info.Tokenizer = p
	}
	// The chat template stored with the model, if any.
	switch info.Format {
	case "gguf":
		if f, err := gguf.Open(path); err == nil {
			m.Template, _ = chat.FromGGUF(f) // a broken template only loses chat
			f.Close()
		}
	case "checkpoint":
		m.Template, _ = chat.FromHFConfig(filepath.Dir(info.Tokenizer))
	case "hf":
		m.Template, _ = chat.FromHFConfig(info.Path)
	}
	m.findEnds()
	return nil
}

// endTokens are the end-of-generation control tokens of common chat
// vocabularies, honoured besides the vocabulary's EOS (as llama.cpp's
// end-of-generation set is).
var endTokens = []string{"<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end_of_text|>", "<|endoftext|>", "<end_of_turn>", "<|end|>"}

// findEnds fills m.end with the ids of the control tokens that end
// generation: endTokens and the chat template's end-of-turn tokens.
func (m *Model) findEnds() {
	m.end = map[int]bool{}
	v, ok := m.Tokenizer.(interface {
		Token(int) string
		TokenType(int) int
	})
	if !ok {
		return
	}
	names := map[string]bool{}
	for _, s := range endTokens {
		names[s] = true
	}
	if m.Template != nil {
		for _, s := range m.Template.EndOfTurn {
			names[s] = true
		}
	}
	for id := range m.Tokenizer.VocabSize() {
		if v.TokenType(id) == tokenizer.TypeControl && names[v.Token(id)] {
			m.end[id] = true
		}
	}
}

// IsEnd reports whether id ends generation: the vocabulary's EOS or an
// end-of-turn control token of the model's family.
func (m *Model) IsEnd(id int) bool {
	return (id >= 0 && id == m.Tokenizer.EOS()) || m.end[id]
}

// Close releases the model's memory mapping and workers.
func (m *Model) Close() error { return m.Net.Close() }

// OpenTokenizer returns the tokenizer named by path and where it was
// found: a tokenizer file (tokenizer.json, SentencePiece .model, llama2.c
// tokenizer.bin), a GGUF file's vocabulary, a checkpoint folder's
// tokenizer.json, or the tokenizer beside a llama2.c model file (as for
// [Open]).
func OpenTokenizer(path string) (tokenizer.Tokenizer, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("tokenizer: %w", err)
	}
	if !st.IsDir() && strings.HasSuffix(path, ".bin") {
		t, err := tokenizer.LoadLlama2C(path)
		if err == nil {
			return t, path, nil
		}
		ck, err2 := llama2c.Open(path)
		if err2 != nil {
			return nil, "", fmt.Errorf("%s is neither a tokenizer.bin (%v) nor a llama2.c model (%v)", path, err, err2)
		}
		vocab := ck.Config.VocabSize
		ck.Close()
		p := besideLlama2C(path, vocab)
		if p == "" {
			return nil, "", fmt.Errorf("no tokenizer for the llama2.c model %s: give one (looked for tokenizer.bin, tok%d.bin, tokenizer.model, tok%[2]d.model beside it)", path, vocab)
		}
		t2, err := tokenizer.LoadFile(p)
		return t2, p, err
	}
	t, err := tokenizer.LoadFile(path)
	return t, path, err
}

// besideLlama2C returns the tokenizer file beside the llama2.c model at
// path, or "".
func besideLlama2C(path string, vocab int) string {
	dir := filepath.Dir(path)
	for _, n := range []string{"tokenizer.bin", fmt.Sprintf("tok%d.bin", vocab), "tokenizer.model", fmt.Sprintf("tok%d.model", vocab)} {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Params controls [Session.Generate].
type Params struct {
	// Sample chooses each token; the zero value is greedy decoding and
	// sample.DefaultParams() gives llama.cpp's defaults.
	Sample sample.Params
	// MaxTokens is the most tokens to generate; 0 means no limit (until an
	// end-of-generation token or a full context).
	MaxTokens int
	// ParseSpecial matches special tokens such as <s> written in the
	// prompt; otherwise they are plain text.
	ParseSpecial bool
	// ContextShift goes on past a full context instead of stopping: the
	// first Keep tokens stay (and BOS), half of the rest is dropped and
	// the cache shifted (see Session.Generate).
	ContextShift bool
	// Keep is the number of tokens at the start that a context shift
	// keeps (at most half the context).
	Keep int
}

// Stop says why generation stopped.
type Stop string

// The reasons generation stops.
const (
	StopEnd       Stop = "end of generation token"
	StopMaxTokens Stop = "token limit"
	StopContext   Stop = "context full"
	StopCancelled Stop = "cancelled"
	StopConsumer  Stop = "consumer stopped"
	StopError     Stop = "error"
)

// Stats describes the last call of [Session.Generate].
type Stats struct {
	PromptTokens int           // tokens of the prompt run through the model
	PromptTime   time.Duration // time of that batch
	Tokens       int           // tokens generated
	Shifts       int           // context shifts (Params.ContextShift)
	GenTime      time.Duration // time from the first sample to the end
	Stop         Stop
}

// Session is one generation stream: the key/value cache of a context
// window and the tokens in it. Successive Generate calls continue the same
// text (a chat keeps one session).
type Session struct {
	m       *Model
	s       *model.Session
	hist    []int // tokens in the cache, in order
	pending int   // sampled token not yet in the cache, or -1
	logits  []float32
	stats   Stats
}

// NewSession returns a session with a context of ctx tokens (ctx ≤ 0 or
// more than the model's context length: the model's context length). It
// allocates the key/value cache, 2·layers·ctx·kv_dim floats.
func (m *Model) NewSession(ctx int) *Session {
	return &Session{m: m, s: m.Net.NewSession(ctx), pending: -1}
}

// NewSessionLimit is NewSession refusing, with an error, a session whose
// cache and work buffers would take more than limit bytes (0: the memory
// available now; see model.NewSessionLimit).
func (m *Model) NewSessionLimit(ctx int, limit int64) (*Session, error) {
	s, err := m.Net.NewSessionLimit(ctx, limit)
	if err != nil {
		return nil, err
	}
	return &Session{m: m, s: s, pending: -1}, nil
}

// Context returns the number of tokens the session can hold.
func (s *Session) Context() int { return s.s.Context() }

// Tokens returns the tokens in the session's cache (the caller must not
// modify them).
func (s *Session) Tokens() []int { return s.hist }

// Reset empties the session.
func (s *Session) Reset() {
	s.s.Reset()
	s.hist, s.pending, s.logits = s.hist[:0], -1, nil
}

// Stats returns the statistics of the last Generate call.
func (s *Session) Stats() Stats { return s.stats }

// errStop ends generate when the consumer stopped the loop.
var errStop = errors.New("consumer stopped")

// Generate appends prompt to the session and returns an iterator over the
// pieces of text the model writes next. The first call encodes the prompt
// with BOS when the vocabulary asks for it (an empty prompt is BOS alone);
// later calls continue the text. Pieces are whole UTF-8 characters; the
// first piece keeps its leading space after a non-empty prompt ("Once
// upon a time," then " there"). An error is yielded once, with an empty
// piece, and ends the sequence: a prompt longer than the context, or
// ctx's error when it is cancelled (Stats().Stop is then StopCancelled).
// Breaking out of the loop stops generation; the session stays usable.
func (s *Session) Generate(ctx context.Context, prompt string, p Params) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := s.generate(ctx, prompt, p, yield); err != nil && err != errStop {
			if s.stats.Stop == "" {
				s.stats.Stop = StopError
			}
			yield("", err)
		}
	}
}

func (s *Session) generate(ctx context.Context, prompt string, p Params, yield func(string, error) bool) error {
	s.stats = Stats{}
	tok := s.m.Tokenizer
	if tok == nil {
		return errors.New("llmparts: the model was opened without a tokenizer")
	}
	if err := p.Sample.Validate(); err != nil {
		return err
	}
	first := len(s.hist) == 0 && s.pending < 0
	ids, err := tok.Encode(prompt, tokenizer.EncodeOptions{AddBOS: first && tok.AddBOSDefault(), ParseSpecial: p.ParseSpecial})
	if err != nil {
		return err
	}
	if first && len(ids) == 0 {
		if tok.BOS() < 0 && prompt != "" {
			return errors.New("llmparts: the prompt gives no tokens (none of its characters is in the vocabulary) and the vocabulary has no BOS token to start from")
		}
		if tok.BOS() < 0 {
			return errors.New("llmparts: empty prompt and the vocabulary has no BOS token to start from")
		}
		ids = []int{tok.BOS()}
	}
	if s.pending >= 0 {
		ids = append([]int{s.pending}, ids...)
		s.pending = -1
	}
	n := s.Context()
	if len(s.hist)+len(ids) > n {
		return fmt.Errorf("llmparts: prompt is %d tokens; the context of %d holds %d more", len(ids), n, n-len(s.hist))
	}
	if err := ctx.Err(); err != nil {
		s.stats.Stop = StopCancelled
		return err
	}
	// The decoder: after BOS alone the first piece drops its leading
	// space (SentencePiece's dummy prefix); after text it keeps it.
	var dec tokenizer.Decoder
	if len(s.hist) == 0 && len(ids) == 1 && ids[0] == tok.BOS() {
		dec = tok.NewDecoder()
	} else {
		dec = tokenizer.ContinuationDecoder(tok)
	}
	if len(ids) > 0 {
		t0 := time.Now()
		if err := s.forward(ids); err != nil {
			return err
		}
		s.stats.PromptTokens, s.stats.PromptTime = len(ids), time.Since(t0)
	} else if s.logits == nil {
		return errors.New("llmparts: nothing to continue from")
	}
	smp := sample.New(p.Sample)
	t1 := time.Now()
	defer func() { s.stats.GenTime = time.Since(t1) }()
	for {
		if err := ctx.Err(); err != nil {
			s.stats.Stop = StopCancelled
			return err
		}
		next := smp.Sample(s.logits, s.hist)
		if s.m.IsEnd(next) {
			s.stats.Stop = StopEnd
			break
		}
		s.stats.Tokens++
		if piece := dec.Add(next); piece != "" && !yield(piece, nil) {
			s.pending = next
			s.stats.Stop = StopConsumer
			return errStop
		}
		if p.MaxTokens > 0 && s.stats.Tokens >= p.MaxTokens {
			s.pending = next
			s.stats.Stop = StopMaxTokens
			break
		}
		if len(s.hist) >= n {
			if !p.ContextShift {
				s.stats.Stop = StopContext
				break
			}
			if err := s.shift(p.Keep); err != nil {
				return err
			}
		}
		if err := s.forward([]int{next}); err != nil {
			return err
		}
	}
	if tail := dec.Flush(); tail != "" && !yield(tail, nil) {
		return errStop
	}
	return nil
}

// forward runs ids at the next positions, holding the model's lock.
func (s *Session) forward(ids []int) error {
	s.m.mu.Lock()
	logits, err := s.s.Forward(ids, len(s.hist))
	s.m.mu.Unlock()
	if err != nil {
		return err
	}
	s.logits = logits
	s.hist = append(s.hist, ids...)
	return nil
}
