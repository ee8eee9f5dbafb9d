// Package defaultmodel embeds the small model that llmparts generate uses
// when no -m is given: a Llama-style transformer (RMSNorm, RoPE, SwiGLU;
// dim 128, 4 layers, 4 heads, context 128, tied embeddings, 1.08 M
// parameters) trained by this repository's trainer on the Go standard
// library sources, character by character: 218 ids, the characters seen at
// least 50 times in the corpus, with U+FFFD standing for every rarer one.
// After 2,500 steps (5.1 M characters) its validation loss is 1.245
// nats/character (train 1.285; chance is ln 218 = 5.38); training took
// 50 minutes on 2 shared cores.
//
// It was trained with
//
//	llmparts train --out dm --tokenizer char:50 --dim 128 --layers 4 --heads 4 \
//	    --ctx 128 --batch 16 --steps 2500 --warmup 150 --lr 1e-3 --min-lr 1e-4 \
//	    --eval-every 250 --save-every 100
//
// (no --data: the default corpus is every *.go file under $(go env
// GOROOT)/src, sorted by path; the last 10 % of the characters are the
// validation set; the file was re-saved in the current tokenizer.json
// layout, same ids). The files are the checkpoint folder the trainer wrote,
// minus the optimizer state: config.json (Hugging Face Llama fields plus
// llmparts_*), model.safetensors (F32) and tokenizer.json (the trainer's
// character tokenizer: {"type":"char","vocab":[...],"unknown":"\ufffd"},
// read by tokenizer.ParseJSON), and state.json
// (step, loss history and the options of the run).
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

// Tokenizer returns the model's tokenizer (a *tokenizer.Char whose
// unknown characters encode as U+FFFD).
func Tokenizer() (tokenizer.Tokenizer, error) {
	b, err := fs.ReadFile(FS(), "tokenizer.json")
	if err != nil {
		return nil, err
	}
	return tokenizer.ParseJSON(b)
}
