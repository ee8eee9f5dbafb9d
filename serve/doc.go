// Package serve is an OpenAI-compatible HTTP server over one model:
// POST /v1/chat/completions and /v1/completions (streamed as server-sent
// events ending with "data: [DONE]", or whole), GET /v1/models, POST
// /tokenize and /detokenize, GET /health, GET /metrics (Prometheus) and a
// chat page at GET /.
//
// # Continuous batching
//
// One engine goroutine owns the model and Parallel slots, each a session
// with its own KV cache of Context positions (memory Parallel × Context ×
// layers × 2 × kv_dim × 4 bytes, printed at start). Requests wait in a
// bounded queue (429 with Retry-After when it is full) and enter a free
// slot between steps. Each step
//
//  1. feeds every slot still reading a long prompt (over 32 tokens) one
//     chunk of at most PrefillChunk tokens (a batched forward pass of that
//     chunk), and
//  2. advances every decoding slot by one token, and feeds the whole of
//     each short prompt just admitted, in one multi-sequence forward pass
//     (model.ForwardChunks), so that each weight matrix is read from
//     memory once per step for all of them rather than once per request.
//
// A request leaves its slot the moment it finishes (a stop token or
// string, its token limit, the context end) or its client goes away, and
// the next queued request takes the slot at the next step.
//
// # Batch invariance
//
// At temperature 0 a request gets the same text alone or beside others:
// whether a prompt is chunked or joins the pass, and where its chunks
// end, depend on the prompt alone, never on what else runs, and in the
// multi-sequence pass every row's arithmetic is a function of that row
// alone (see model.ForwardBatch), so the logits — and the greedy tokens —
// do not depend on the batch.
//
// # Limits
//
// Bodies beyond MaxBodyBytes get 413, bad JSON or values 400 with an
// OpenAI-style body {"error": {"message", "type", "param", "code"}},
// requests beyond Timeout 504. The HTTP server has header, body and idle
// timeouts, and a request takes a slot only once its body is read, so a
// slow or half-sent request holds no slot; the engine never waits for a
// client (each request's output channel holds all its events).
package serve
