package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/llmparts/llmparts/chat"
	"github.com/llmparts/llmparts/sample"
)

// apiError is an OpenAI-style error: {"error": {message, type, param, code}}.
type apiError struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

func badRequest(param, format string, args ...any) *apiError {
	e := &apiError{Status: 400, Message: fmt.Sprintf(format, args...), Type: "invalid_request_error"}
	if param != "" {
		e.Param = &param
	}
	return e
}

// samplingFields are the generation parameters common to
// /v1/chat/completions and /v1/completions. Pointers tell "absent" from
// zero.
type samplingFields struct {
	Model               string          `json:"model"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *int            `json:"top_k"`
	MinP                *float64        `json:"min_p"`
	RepeatPenalty       *float64        `json:"repeat_penalty"`
	RepeatLastN         *int            `json:"repeat_last_n"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	N                   *int            `json:"n"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	IgnoreEOS bool `json:"ignore_eos"`
}

type chatRequest struct {
	samplingFields
	Messages    []chatMessage `json:"messages"`
	Logprobs    bool          `json:"logprobs"`
	TopLogprobs *int          `json:"top_logprobs"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type completionRequest struct {
	samplingFields
	Prompt   json.RawMessage `json:"prompt"`
	Logprobs *int            `json:"logprobs"`
	Echo     bool            `json:"echo"`
}

// limits bound what one request may ask for.
type limits struct {
	maxTokens int // completion tokens per request
	ctx       int // prompt + completion tokens
}

// params checks the sampling fields and turns them into the engine's
// terms. maxTok is the number of completion tokens allowed (0 = as many
// as the context holds after the prompt, capped by the server's limit).
func (f *samplingFields) params() (p sample.Params, maxTok int, stops []string, err *apiError) {
	if f.N != nil && *f.N != 1 {
		return p, 0, nil, badRequest("n", "n = %d: only one choice per request is supported (n must be 1)", *f.N)
	}
	p = sample.DefaultParams() // llama.cpp's, as llama-server
	fl := []struct {
		name string
		src  *float64
		dst  *float64
		lo   float64
		hi   float64
	}{
		{"temperature", f.Temperature, &p.Temperature, 0, 2},
		{"top_p", f.TopP, &p.TopP, 0, 1},
		{"min_p", f.MinP, &p.MinP, 0, 1},
		{"repeat_penalty", f.RepeatPenalty, &p.RepeatPenalty, 0, 10},
		{"frequency_penalty", f.FrequencyPenalty, &p.FrequencyPenalty, -2, 2},
		{"presence_penalty", f.PresencePenalty, &p.PresencePenalty, -2, 2},
	}
	for _, x := range fl {
		if x.src == nil {
			continue
		}
		if v := *x.src; math.IsNaN(v) || v < x.lo || v > x.hi {
			return p, 0, nil, badRequest(x.name, "%s = %g is outside [%g, %g]", x.name, v, x.lo, x.hi)
		}
		*x.dst = *x.src
	}
	if f.TopK != nil {
		if *f.TopK < 0 {
			return p, 0, nil, badRequest("top_k", "top_k = %d is negative (0 = off)", *f.TopK)
		}
		p.TopK = *f.TopK
	}
	if f.RepeatLastN != nil {
		if *f.RepeatLastN < 0 {
			return p, 0, nil, badRequest("repeat_last_n", "repeat_last_n = %d is negative", *f.RepeatLastN)
		}
		p.RepeatLastN = *f.RepeatLastN
	}
	if f.Seed != nil {
		p.Seed = uint64(*f.Seed)
	} else {
		p.Seed = randomSeed()
	}
	for _, m := range []struct {
		name string
		v    *int
	}{{"max_tokens", f.MaxTokens}, {"max_completion_tokens", f.MaxCompletionTokens}} {
		if m.v == nil {
			continue
		}
		if *m.v < 1 {
			return p, 0, nil, badRequest(m.name, "%s = %d: want at least 1", m.name, *m.v)
		}
		maxTok = *m.v
	}
	if len(f.Stop) > 0 && string(f.Stop) != "null" {
		var one string
		if json.Unmarshal(f.Stop, &one) == nil {
			stops = []string{one}
		} else if err := json.Unmarshal(f.Stop, &stops); err != nil {
			return p, 0, nil, badRequest("stop", "stop must be a string or an array of strings")
		}
		if len(stops) > 4 {
			return p, 0, nil, badRequest("stop", "stop has %d strings; at most 4 are allowed", len(stops))
		}
		for _, s := range stops {
			if s == "" || len(s) > 256 {
				return p, 0, nil, badRequest("stop", "stop strings must be 1 to 256 bytes long")
			}
		}
	}
	return p, maxTok, stops, nil
}

// roles maps the accepted message roles to the template's ("developer" is
// OpenAI's newer name for "system").
var roles = map[string]string{"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}

// messages checks a chat request's messages and returns them as chat
// messages: content is a string or an array of {"type": "text", "text"}
// parts.
func (r *chatRequest) messages() ([]chat.Message, *apiError) {
	if len(r.Messages) == 0 {
		return nil, badRequest("messages", "messages is empty: send at least one message")
	}
	out := make([]chat.Message, len(r.Messages))
	for i, m := range r.Messages {
		role, ok := roles[m.Role]
		if !ok {
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "messages[%d].role %q is not one of system, developer, user, assistant", i, m.Role)
		}
		var text string
		if err := json.Unmarshal(m.Content, &text); err != nil {
			var parts []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal(m.Content, &parts); err != nil {
				return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "messages[%d].content must be a string or an array of text parts", i)
			}
			var b strings.Builder
			for _, p := range parts {
				if p.Type != "text" {
					return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "messages[%d].content: part type %q is not supported (only text)", i, p.Type)
				}
				b.WriteString(p.Text)
			}
			text = b.String()
		}
		out[i] = chat.Message{Role: role, Content: text}
	}
	return out, nil
}

// prompt returns a completion request's prompt: a string, an array of one
// string, or an array of token ids.
func (r *completionRequest) prompt() (text string, ids []int, err *apiError) {
	if len(r.Prompt) == 0 || string(r.Prompt) == "null" {
		return "", nil, badRequest("prompt", "prompt is missing")
	}
	if json.Unmarshal(r.Prompt, &text) == nil {
		return text, nil, nil
	}
	var list []string
	if json.Unmarshal(r.Prompt, &list) == nil {
		if len(list) != 1 {
			return "", nil, badRequest("prompt", "prompt has %d strings: send one per request", len(list))
		}
		return list[0], nil, nil
	}
	if json.Unmarshal(r.Prompt, &ids) == nil && len(ids) > 0 {
		return "", ids, nil
	}
	return "", nil, badRequest("prompt", "prompt must be a string, an array of one string, or an array of token ids")
}

// Responses.

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// timings is llama-server's extension beside usage, measured by the
// server: time to the first token (prompt_ms, including any wait in the
// queue) and the decode rate after it.
type timings struct {
	PromptN            int     `json:"prompt_n"`
	PromptMs           float64 `json:"prompt_ms"`
	PredictedN         int     `json:"predicted_n"`
	PredictedMs        float64 `json:"predicted_ms"`
	PredictedPerSecond float64 `json:"predicted_per_second"`
}

type chatChoice struct {
	Index        int           `json:"index"`
	Message      *chatOut      `json:"message,omitempty"`
	Delta        *chatOut      `json:"delta,omitempty"`
	Logprobs     *chatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

type chatOut struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type chatLogprobs struct {
	Content []chatTokenLogprob `json:"content"`
}

type chatTokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []topLogprob `json:"top_logprobs"`
}

type topLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
	Timings *timings     `json:"timings,omitempty"`
}

type completionChoice struct {
	Text         string           `json:"text"`
	Index        int              `json:"index"`
	Logprobs     *completionProbs `json:"logprobs"`
	FinishReason *string          `json:"finish_reason"`
}

type completionProbs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

type completionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *usage             `json:"usage,omitempty"`
	Timings *timings           `json:"timings,omitempty"`
}

func tokenBytes(s string) []int {
	b := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = int(s[i])
	}
	return b
}

func chatLogprob(ev event) chatTokenLogprob {
	lp := chatTokenLogprob{Token: ev.piece, Logprob: ev.logprob, Bytes: tokenBytes(ev.piece), TopLogprobs: []topLogprob{}}
	for _, t := range ev.top {
		lp.TopLogprobs = append(lp.TopLogprobs, topLogprob{Token: t.Text, Logprob: t.Logprob, Bytes: tokenBytes(t.Text)})
	}
	return lp
}
