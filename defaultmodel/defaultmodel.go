// Package defaultmodel embeds the small model that llmparts generate uses
// when no -m is given: a Llama-style transformer (RMSNorm, RoPE, SwiGLU;
// dim 128, 4 layers, 4 heads, context 512, tied embeddings, 1.31 M
// parameters) trained by this repository's trainer on the Go standard
// library sources with a byte-level BPE vocabulary of 2,048 ids (the 256
// bytes and 1,792 merges learned from the same sources, about 2.1 bytes a
// token). After 3,500 steps (14.3 M tokens, about 30 MB of text) its
// validation loss is 1.496 nats/token; training took 44 minutes on 2
// cores that other jobs shared.
//
// Measured in bits per byte, which compares models whose tokenizers
// differ, on the same 865 KB of held-out Go source (64 pieces spread over
// the last 9 % of the corpus, inside both models' validation sets):
//
//	llmparts perplexity -f val.txt -c 512   # this model: 1.491 bits/byte
//	(the former character model, context 128, -c 128: 1.715 bits/byte)
//
// It was trained with
//
//	llmparts train --out dm --tokenizer bpe:2048 --dim 128 --layers 4 --heads 4 \
//	    --ctx 512 --batch 8 --steps 3500 --warmup 150 --lr 1e-3 --min-lr 1e-4 \
//	    --eval-every 250 --save-every 250
//
// (no --data: the default corpus is every *.go file under $(go env
// GOROOT)/src, Go 1.26, sorted by path; the last 10 % of the tokens are the
// validation set). The files are the checkpoint folder the trainer wrote,
// minus the optimizer state and checksums: config.json (Hugging Face Llama
// fields plus llmparts_*), model.safetensors (F32), tokenizer.json (a
// Hugging Face tokenizers ByteLevel BPE, read by tokenizer.ParseJSON),
// tokenizer_config.json and state.json (step, loss history and the options
// of the run).
package defaultmodel

import (
	"embed"
	"io/fs"

	"github.com/llmparts/llmparts/tokenizer"
)

//go:embed model
var files embed.FS

// FS returns the checkpoint files (config.json, model.safetensors,
// tokenizer.json, state.json) at the root of a read-only file system, the
// layout model.LoadFS and train.LoadCheckpointFS read.
func FS() fs.FS {
	sub, err := fs.Sub(files, "model")
	if err != nil {
		panic("defaultmodel: " + err.Error()) // "model" is a valid constant path
	}
	return sub
}

// Tokenizer returns the model's tokenizer (byte-level BPE: every text
// round-trips).
func Tokenizer() (tokenizer.Tokenizer, error) {
	b, err := fs.ReadFile(FS(), "tokenizer.json")
	if err != nil {
		return nil, err
	}
	return tokenizer.ParseJSON(b)
}
