package export

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/quant"
	"github.com/llmparts/llmparts/tokenizer"
)

// hfTensors lists the tensors of s under transformers' names for family
// f, laid out as its Hugging Face checkpoints are (model.HFLayout): q/k
// rows half-split (the trainer's order, and transformers' rotate_half),
// fused qkv grouped per head for GPT-NeoX, Conv1D weights transposed for
// GPT-2. The LM head is left out when tied.
func hfTensors(f Family, s *Source) ([]named, error) {
	fam := f.model()
	ws, err := s.weights(fam)
	if err != nil {
		return nil, err
	}
	c := s.Config
	var out []named
	for _, w := range ws {
		t := w.t
		if !fam.Neox && !fam.HFLayout.QKPermuted && !w.bias && (w.role == model.AttnQ || w.role == model.AttnK) {
			return nil, fmt.Errorf("export: family %s keeps interleaved q/k rows in Hugging Face files, which this exporter does not write", fam.Arch)
		}
		if w.role == model.AttnQKV && fam.HFLayout.QKVPerHead {
			t = qkvPerHead(t, c.Heads, c.HeadDim())
		}
		if !w.bias && slices.Contains(fam.HFLayout.Transposed, w.role) {
			t = t.transpose()
		}
		out = append(out, named{w.hfName(fam), t})
	}
	return out, nil
}

// hfConfig returns config.json for family f.
func hfConfig(f Family, s *Source, dtype string) map[string]any {
	c := s.Config
	cfg := map[string]any{
		"architectures":       []string{f.HFArch},
		"model_type":          f.HFModelType,
		"vocab_size":          c.Vocab,
		"tie_word_embeddings": c.Tied,
		"torch_dtype":         dtype,
		"bos_token_id":        specialID(s.Tokenizer.BOS()),
		"eos_token_id":        specialID(s.Tokenizer.EOS()),
		"use_cache":           true,
		"initializer_range":   0.02,
	}
	set := func(kv ...any) {
		for i := 0; i < len(kv); i += 2 {
			cfg[kv[i].(string)] = kv[i+1]
		}
	}
	switch f {
	case Llama, StableLM, GPTNeoX:
		set("hidden_size", c.Dim, "intermediate_size", c.Hidden, "num_hidden_layers", c.Layers,
			"num_attention_heads", c.Heads, "max_position_embeddings", c.Ctx, "hidden_act", f.HFAct,
			"rope_theta", c.RopeTheta, "rope_scaling", nil, "attention_dropout", 0.0)
	}
	switch f {
	case Llama:
		set("num_key_value_heads", c.KVHeads, "head_dim", c.HeadDim(), "rms_norm_eps", c.Eps,
			"attention_bias", false, "mlp_bias", false, "pretraining_tp", 1)
	case StableLM:
		set("num_key_value_heads", c.KVHeads, "layer_norm_eps", c.Eps, "partial_rotary_factor", 1.0,
			"use_qkv_bias", false, "qk_layernorm", false, "use_parallel_residual", false, "hidden_dropout", 0.0)
	case GPTNeoX:
		// rotary_pct and rotary_emb_base are the older names of
		// partial_rotary_factor and rope_theta; both are written.
		set("layer_norm_eps", c.Eps, "rotary_pct", 1.0, "partial_rotary_factor", 1.0, "rotary_emb_base", c.RopeTheta,
			"use_parallel_residual", false, "attention_bias", true, "hidden_dropout", 0.0, "classifier_dropout", 0.0)
	case GPT2:
		set("n_embd", c.Dim, "n_layer", c.Layers, "n_head", c.Heads, "n_inner", c.Hidden, "n_positions", c.Ctx,
			"n_ctx", c.Ctx, "activation_function", f.HFAct, "layer_norm_epsilon", c.Eps,
			"resid_pdrop", 0.0, "embd_pdrop", 0.0, "attn_pdrop", 0.0, "scale_attn_weights", true,
			"scale_attn_by_inverse_layer_idx", false, "reorder_and_upcast_attn", false)
	}
	return cfg
}

// specialID is a special token id for JSON: null when there is none.
func specialID(id int) any {
	if id < 0 {
		return nil
	}
	return id
}

// WriteHF writes s as a Hugging Face model folder dir (created if needed):
// config.json, model.safetensors (dtype F32, F16 or BF16), tokenizer.json,
// tokenizer_config.json and generation_config.json, each atomically and
// readable by all (0644).
func WriteHF(dir string, s *Source, typ quant.Type) error {
	f, err := FamilyOf(s.Config)
	if err != nil {
		return err
	}
	var dtype safetensors.DType
	var torchDtype string
	switch typ {
	case quant.F32:
		dtype, torchDtype = safetensors.F32, "float32"
	case quant.F16:
		dtype, torchDtype = safetensors.F16, "float16"
	case quant.BF16:
		dtype, torchDtype = safetensors.BF16, "bfloat16"
	default:
		return fmt.Errorf("export: a Hugging Face folder holds f32, f16 or bf16 weights, not %v", typ)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var ts []*safetensors.Tensor
	ts0, err := hfTensors(f, s)
	if err != nil {
		return err
	}
	for _, t := range ts0 {
		shape := []int{t.t.rows, t.t.cols}
		if t.t.vector {
			shape = []int{t.t.cols}
		}
		b, err := quant.Quantize(typ, t.t.data)
		if err != nil {
			return fmt.Errorf("export: %s: %v", t.name, err)
		}
		ts = append(ts, &safetensors.Tensor{Name: t.name, DType: dtype, Shape: shape, Data: b})
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, "config.json"), hfConfig(f, s, torchDtype)); err != nil {
		return err
	}
	if err := writeHFTokenizer(dir, s.Tokenizer, s.Config.Ctx); err != nil {
		return err
	}
	gen := map[string]any{"bos_token_id": specialID(s.Tokenizer.BOS()), "eos_token_id": specialID(s.Tokenizer.EOS())}
	return writeJSON(filepath.Join(dir, "generation_config.json"), gen)
}

// writeHFTokenizer writes tokenizer.json and tokenizer_config.json. A
// character vocabulary becomes a BPE model with no merges and no
// pre-tokenizer (every character is looked up on its own; U+FFFD as
// unk_token when rarer characters map to it) and a Fuse decoder (the
// pieces are concatenated, not joined with spaces).
func writeHFTokenizer(dir string, tok tokenizer.Tokenizer, ctx int) error {
	path := filepath.Join(dir, "tokenizer.json")
	unk := any(nil)
	switch t := tok.(type) {
	case charVocab:
		vocab := map[string]int{}
		rs := t.Runes()
		for i, r := range rs {
			vocab[string(r)] = i
		}
		if u := t.Unknown(); u >= 0 {
			unk = string(rs[u])
		}
		j := map[string]any{
			"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": []any{},
			"normalizer": nil, "pre_tokenizer": nil, "post_processor": nil,
			"decoder": map[string]any{"type": "Fuse"},
			"model": map[string]any{
				"type": "BPE", "dropout": nil, "unk_token": unk, "continuing_subword_prefix": nil,
				"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
				"vocab": vocab, "merges": []string{},
			},
		}
		if err := writeJSON(path, j); err != nil {
			return err
		}
	case interface{ Save(string) error }:
		if tok.Kind() == "char" {
			return fmt.Errorf("export: character tokenizer without its vocabulary")
		}
		if err := t.Save(path); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	default:
		return fmt.Errorf("export: cannot write a %s tokenizer as tokenizer.json", tok.Kind())
	}
	name := func(id int) any {
		if id < 0 {
			return nil
		}
		return tok.Decode([]int{id})
	}
	if b, ok := tok.(*tokenizer.BPE); ok {
		v := b.Vocab()
		name = func(id int) any {
			if id < 0 {
				return nil
			}
			return v.Tokens[id]
		}
	}
	cfg := map[string]any{
		"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": ctx,
		"bos_token": name(tok.BOS()), "eos_token": name(tok.EOS()), "unk_token": unk,
		"add_bos_token": tok.AddBOSDefault(), "add_eos_token": false, "clean_up_tokenization_spaces": false,
	}
	return writeJSON(filepath.Join(dir, "tokenizer_config.json"), cfg)
}

// writeJSON writes v indented, atomically, mode 0644.
func writeJSON(path string, v any) error {
	err := safetensors.WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
