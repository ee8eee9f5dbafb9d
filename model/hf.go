package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/posenc"
)

// A Hugging Face folder (config.json, model.safetensors or shards with
// model.safetensors.index.json, optionally tokenizer.json) is loaded the
// way llama.cpp's convert_hf_to_gguf.py converts it, but in memory: its
// config.json becomes GGUF metadata under llama.cpp's keys, its tensors
// (named by the family's Family.HF) get GGUF names and layouts as float32,
// and the model is bound from that metadata and those tensors exactly as
// from a GGUF file. Loading holds the weight files and their float32 copy
// at once; the model keeps the copy. The layout changes (Family.HFLayout)
// are
//
//   - q/k rows of Llama: Hugging Face's half-split rotary order per head
//     back to the interleaved pairs of ggml's normal RoPE
//     (posenc.PermuteHalfToInterleaved);
//   - GPT-2's Conv1D weights are stored [in][out]: transposed;
//   - BLOOM's and GPT-NeoX's fused qkv rows are grouped per head
//     [q_h; k_h; v_h]: regrouped to [Q; K; V] (weights and biases);
//   - Gemma's RMSNorm multiplies by 1 + w and stores w; GGUF stores 1 + w;
//   - rope_scaling: linear and yarn become rope.scaling.* keys; llama3 the
//     rope_freqs factors (as llama.cpp computes them); longrope (Phi-3)
//     the rope_factors_short/long tensors, original context and attention
//     factor (a session no longer than original_max_position_embeddings
//     runs the short factors, as Hugging Face does at that length; a
//     longer one the long factors, llama.cpp's rule).
//
// A model_type the loader does not know, a config.json key it would ignore
// (anything but the documented keys and the training-only ones such as
// dropouts and token ids), a value it cannot run (hidden_act "gelu" where
// the family runs the tanh form, a sliding window on a family without one,
// rope_scaling "dynamic"...), a tensor it would not use or a missing one is
// an error: a folder is never run as something else.

// hfMaxWeights bounds the weight files of a Hugging Face folder (they are
// read into memory).
const hfMaxWeights = 64 << 30

// hfCommonKeys are config.json keys that do not change the forward pass
// at inference (training, generation and bookkeeping settings).
var hfCommonKeys = map[string]bool{
	"architectures": true, "model_type": true, "torch_dtype": true, "dtype": true,
	"transformers_version": true, "_name_or_path": true, "bos_token_id": true, "eos_token_id": true,
	"pad_token_id": true, "sep_token_id": true, "unk_token_id": true, "decoder_start_token_id": true,
	"initializer_range": true, "initializer_factor": true, "use_cache": true, "attention_dropout": true,
	"hidden_dropout": true, "resid_pdrop": true, "embd_pdrop": true, "attn_pdrop": true,
	"residual_dropout": true, "embedding_dropout": true, "classifier_dropout": true,
	"summary_type": true, "summary_use_proj": true, "summary_activation": true,
	"summary_proj_to_labels": true, "summary_first_dropout": true, "task_specific_params": true,
	"id2label": true, "label2id": true, "tokenizer_class": true, "return_dict": true,
	"output_hidden_states": true, "output_attentions": true, "torchscript": true,
	"cache_implementation": true, "tie_word_embeddings": true,
	"pretraining_tp": true, "reorder_and_upcast_attn": true,
	"slow_but_exact": true, "masked_softmax_fusion": true, "offset_alibi": true,
	"max_length": true, "min_length": true, "do_sample": true,
	"num_beams": true, "temperature": true, "top_k": true, "top_p": true, "repetition_penalty": true,
	"gradient_checkpointing": true, "use_return_dict": true,
	// auto_map names remote code; transformers runs its own class for the
	// model_type unless trust_remote_code, and so does this loader.
	"auto_map": true,
	// Megatron/nanotron settings transformers does not read.
	"attention_softmax_in_fp32": true, "bias_dropout_fusion": true, "skip_bias_add": true,
	"skip_bias_add_qkv": true, "is_llama_config": true, "rope_interleaved": true,
}

// hfReader reads config.json values by key, records which keys were read,
// and keeps the first error.
type hfReader struct {
	raw  map[string]json.RawMessage
	used map[string]bool
	file string
	mt   string
	err  error
}

func (r *hfReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: "+format, append([]any{r.file}, args...)...)
	}
}

// get returns the raw value of the first present, non-null key.
func (r *hfReader) get(keys ...string) (string, json.RawMessage, bool) {
	for _, k := range keys {
		r.used[k] = true
	}
	for _, k := range keys {
		if v, ok := r.raw[k]; ok && string(v) != "null" {
			return k, v, true
		}
	}
	return "", nil, false
}

// intv reads a positive integer (def < 0: required).
func (r *hfReader) intv(def int, keys ...string) int {
	k, v, ok := r.get(keys...)
	if !ok {
		if def < 0 {
			r.fail("%s is missing (model_type %s)", keys[0], r.mt)
		}
		return def
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) || f <= 0 || f > 1<<24 {
		r.fail("%s = %s, want a positive integer up to %d", k, v, 1<<24)
		return def
	}
	return int(f)
}

// floatv reads a finite number (positive when pos).
func (r *hfReader) floatv(def float64, pos bool, keys ...string) float64 {
	k, v, ok := r.get(keys...)
	if !ok {
		return def
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) || (pos && f <= 0) {
		r.fail("%s = %s, want a finite number%s", k, v, map[bool]string{true: " > 0"}[pos])
		return def
	}
	return f
}

func (r *hfReader) boolv(def bool, key string) bool {
	_, v, ok := r.get(key)
	if !ok {
		return def
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		r.fail("%s = %s, want true or false", key, v)
	}
	return b
}

func (r *hfReader) strv(def, key string) string {
	_, v, ok := r.get(key)
	if !ok {
		return def
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		r.fail("%s = %s, want a string", key, v)
	}
	return s
}

// want accepts key when absent, null, or equal to one of the allowed
// values (JSON numbers, strings, booleans); anything else is a setting
// the runtime would not honour.
func (r *hfReader) want(key string, allowed ...any) {
	_, v, ok := r.get(key)
	if !ok {
		return
	}
	var got any
	if err := json.Unmarshal(v, &got); err == nil {
		for _, a := range allowed {
			if n, isInt := a.(int); isInt {
				a = float64(n)
			}
			if got == a {
				return
			}
		}
	}
	r.fail("%s = %s is not supported for model_type %s (supported: %v)", key, v, r.mt, allowed)
}

// act checks the activation named by the first present key.
func (r *hfReader) act(allowed []string, keys ...string) {
	k, v, ok := r.get(keys...)
	if !ok {
		return
	}
	var s string
	_ = json.Unmarshal(v, &s)
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	r.fail("%s = %s is not supported for model_type %s (this family runs %s)", k, v, r.mt, strings.Join(allowed, " or "))
}

// finish reports the first key nobody read that is not a harmless one.
func (r *hfReader) finish() error {
	if r.err != nil {
		return r.err
	}
	var keys []string
	for k := range r.raw {
		// "_"-prefixed keys are transformers' private bookkeeping.
		if !r.used[k] && !hfCommonKeys[k] && !strings.HasSuffix(k, "_dropout") && !strings.HasSuffix(k, "_pdrop") && !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		return fmt.Errorf("%s: key %q is not supported for model_type %s (the loader would ignore it)", r.file, keys[0], r.mt)
	}
	return nil
}

// hfConv is the GGUF form of a Hugging Face folder being built.
type hfConv struct {
	fam     *Family
	arch    string
	kv      []gguf.KV
	tensors map[string]*hfTensor // by GGUF name
	order   []string

	heads, kvHeads, headDim int
	vocab                   int // config.json vocab_size (0: absent)
	tied                    bool
}

// hfTensor is a [rows][cols] float32 tensor, or a vector of cols values.
type hfTensor struct {
	rows, cols int
	vec        bool
	v          []float32
}

func (c *hfConv) set(key string, v any) {
	c.kv = append(c.kv, gguf.KV{Key: key, Value: gguf.Value{Data: v}})
}

func (c *hfConv) setA(key string, v any) { c.set(c.arch+"."+key, v) }

func (c *hfConv) addTensor(name string, t *hfTensor) {
	if _, dup := c.tensors[name]; !dup {
		c.order = append(c.order, name)
	}
	c.tensors[name] = t
}

// hfSpec reads the config.json of one Hugging Face model_type; the
// family (FamilyForHF) names the tensors and their layout (Family.HF,
// Family.HFLayout).
type hfSpec struct {
	// config reads config.json into GGUF metadata.
	config func(r *hfReader, c *hfConv) error
	// ignoreHF are Hugging Face tensors that carry nothing (buffers).
	ignoreHF []string
}

var hfSpecs = map[string]*hfSpec{
	"llama": {ignoreHF: []string{"rotary_emb.inv_freq"},
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"silu"}, "hidden_act")
			r.want("attention_bias", false)
			r.want("mlp_bias", false)
			return hfDecoder(r, c, true, "rms_norm_eps")
		}},
	"mistral": {ignoreHF: []string{"rotary_emb.inv_freq"},
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"silu"}, "hidden_act")
			if err := hfDecoder(r, c, true, "rms_norm_eps"); err != nil {
				return err
			}
			// llama.cpp runs Mistral as Llama, without a sliding window.
			if w := r.intv(0, "sliding_window"); w > 0 && w < c.findInt("context_length") {
				r.fail("sliding_window = %d is not supported for model_type mistral (the llama family has none)", w)
			}
			return r.err
		}},
	"qwen2": {ignoreHF: []string{"rotary_emb.inv_freq"},
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"silu"}, "hidden_act")
			r.want("use_sliding_window", false)
			r.get("sliding_window", "max_window_layers") // only used with use_sliding_window
			return hfDecoder(r, c, true, "rms_norm_eps")
		}},
	"gemma": {
		config: func(r *hfReader, c *hfConv) error {
			hfGemmaAct(r)
			r.want("attention_bias", false)
			return hfDecoder(r, c, true, "rms_norm_eps")
		}},
	"gemma2": {
		config: func(r *hfReader, c *hfConv) error {
			hfGemmaAct(r)
			r.want("attention_bias", false)
			if err := hfDecoder(r, c, true, "rms_norm_eps"); err != nil {
				return err
			}
			// Hugging Face scales q by query_pre_attn_scalar^(−1/2), the
			// family as llama.cpp does (by the layer count): they must agree.
			layers := c.findInt("block_count")
			scale := c.fam.qScale(&Config{NLayers: layers, Dim: c.findInt("embedding_length"), NHeads: c.heads, HeadDim: c.headDim})
			want := 1 / (scale * scale)
			if q := r.floatv(want, true, "query_pre_attn_scalar"); math.Abs(q-want) > 1e-9*want {
				r.fail("query_pre_attn_scalar = %v is not supported (the gemma2 family scales q by 1/√%v for %d layers)", q, want, layers)
			}
			w := r.intv(0, "sliding_window")
			if w2 := r.intv(w, "sliding_window_size"); w2 != w {
				r.fail("sliding_window_size = %d differs from sliding_window = %d", w2, w)
			}
			if w > 0 {
				c.setA("attention.sliding_window", uint32(w))
			}
			c.setA("attn_logit_softcapping", float32(r.floatv(0, false, "attn_logit_softcapping")))
			c.setA("final_logit_softcapping", float32(r.floatv(0, false, "final_logit_softcapping")))
			return r.err
		}},
	"phi3": {
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"silu"}, "hidden_act")
			r.want("attention_bias", false)
			if err := hfDecoder(r, c, true, "rms_norm_eps"); err != nil {
				return err
			}
			if w := r.intv(0, "sliding_window"); w > 0 {
				c.setA("attention.sliding_window", uint32(w))
			}
			return r.err
		}},
	"olmo2": {
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"silu"}, "hidden_act")
			r.want("attention_bias", false)
			return hfDecoder(r, c, true, "rms_norm_eps")
		}},
	"stablelm": {
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"silu"}, "hidden_act")
			r.get("use_qkv_bias") // the biases are bound when present
			r.want("qk_layernorm", false)
			r.want("use_parallel_residual", false)
			return hfDecoder(r, c, false, "layer_norm_eps")
		}},
	"starcoder2": {
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"gelu_pytorch_tanh"}, "hidden_act")
			r.get("use_bias")             // the biases are bound when present
			r.want("mlp_type", "default") // early configs; transformers does not read them
			r.want("norm_type", "layer_norm")
			if err := hfDecoder(r, c, false, "norm_epsilon"); err != nil {
				return err
			}
			if w := r.intv(0, "sliding_window"); w > 0 && w < c.findInt("context_length") {
				r.fail("sliding_window = %d is not supported for model_type starcoder2 (llama.cpp's starcoder2 has none)", w)
			}
			return r.err
		}},
	"phi": {
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"gelu_new"}, "hidden_act")
			r.want("qk_layernorm", false)
			return hfDecoder(r, c, false, "layer_norm_eps")
		}},
	"gpt_neox": {ignoreHF: []string{"rotary_emb.inv_freq", "attention.bias", "attention.masked_bias"},
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"gelu_new", "gelu_pytorch_tanh"}, "hidden_act")
			r.get("attention_bias") // the biases are bound when present
			if err := hfDecoder(r, c, false, "layer_norm_eps"); err != nil {
				return err
			}
			c.setA("use_parallel_residual", r.boolv(true, "use_parallel_residual"))
			return r.err
		}},
	"gpt2": {ignoreHF: []string{"attn.bias", "attn.masked_bias"},
		config: func(r *hfReader, c *hfConv) error {
			r.act([]string{"gelu_new", "gelu_pytorch_tanh"}, "activation_function")
			r.want("scale_attn_weights", true)
			r.want("scale_attn_by_inverse_layer_idx", false)
			r.want("add_cross_attention", false)
			dim := r.intv(-1, "n_embd", "hidden_size")
			heads := r.intv(-1, "n_head", "num_attention_heads")
			ctx := r.intv(-1, "n_positions", "max_position_embeddings")
			if n := r.intv(0, "n_ctx"); n != 0 && n != ctx {
				r.fail("n_ctx = %d differs from n_positions = %d", n, ctx)
			}
			hfBasic(c, ctx, dim, r.intv(-1, "n_layer", "num_hidden_layers"), r.intv(4*dim, "n_inner"), heads, heads, dim/heads)
			c.setA("attention.layer_norm_epsilon", float32(r.floatv(1e-5, true, "layer_norm_epsilon")))
			return r.err
		}},
	"bloom": {
		config: func(r *hfReader, c *hfConv) error {
			r.want("apply_residual_connection_post_layernorm", false)
			dim := r.intv(-1, "hidden_size", "n_embed")
			heads := r.intv(-1, "n_head", "num_attention_heads")
			if n := r.intv(0, "n_inner"); n != 0 && n != 4*dim {
				r.fail("n_inner = %d is not supported for model_type bloom (its MLP is 4·hidden_size = %d)", n, 4*dim)
			}
			hfBasic(c, r.intv(2048, "seq_length", "n_positions"), dim, r.intv(-1, "n_layer", "num_hidden_layers"), 4*dim, heads, heads, dim/heads)
			c.setA("attention.layer_norm_epsilon", float32(r.floatv(1e-5, true, "layer_norm_epsilon")))
			return r.err
		}},
}

func hfGemmaAct(r *hfReader) {
	// transformers' Gemma runs gelu_pytorch_tanh whatever hidden_act says
	// unless hidden_activation names another.
	r.act([]string{"gelu_pytorch_tanh"}, "hidden_activation")
	r.act([]string{"gelu_pytorch_tanh", "gelu"}, "hidden_act")
}

// findInt returns the value of an integer metadata key of the
// architecture written before (0 if absent).
func (c *hfConv) findInt(key string) int {
	for _, kv := range c.kv {
		if kv.Key == c.arch+"."+key {
			if v, ok := kv.Value.Int(); ok {
				return int(v)
			}
		}
	}
	return 0
}

// hfBasic writes the hyper-parameters every architecture has.
func hfBasic(c *hfConv, ctx, dim, layers, ff, heads, kvHeads, headDim int) {
	c.heads, c.kvHeads, c.headDim = heads, kvHeads, headDim
	c.setA("context_length", uint32(ctx))
	c.setA("embedding_length", uint32(dim))
	c.setA("block_count", uint32(layers))
	c.setA("feed_forward_length", uint32(ff))
	c.setA("attention.head_count", uint32(heads))
	c.setA("attention.head_count_kv", uint32(kvHeads))
}

// hfDecoder reads the keys of the Llama-style config classes (hidden_size,
// num_hidden_layers, ..., rope_theta, partial_rotary_factor, rope_scaling)
// with the norm epsilon under epsKey.
func hfDecoder(r *hfReader, c *hfConv, rms bool, epsKey string) error {
	dim := r.intv(-1, "hidden_size")
	heads := r.intv(-1, "num_attention_heads")
	if r.err != nil {
		return r.err
	}
	kvHeads := r.intv(heads, "num_key_value_heads")
	headDim := r.intv(dim/heads, "head_dim")
	ctx := r.intv(2048, "max_position_embeddings")
	hfBasic(c, ctx, dim, r.intv(-1, "num_hidden_layers"), r.intv(-1, "intermediate_size"), heads, kvHeads, headDim)
	if headDim != dim/heads {
		c.setA("attention.key_length", uint32(headDim))
		c.setA("attention.value_length", uint32(headDim))
	}
	eps := r.floatv(1e-5, true, epsKey)
	if rms {
		c.setA("attention.layer_norm_rms_epsilon", float32(eps))
	} else {
		c.setA("attention.layer_norm_epsilon", float32(eps))
	}
	if r.err != nil {
		return r.err
	}
	return hfRope(r, c, ctx)
}

// hfRope reads rope_theta (rotary_emb_base), the rotary fraction
// (partial_rotary_factor, rotary_pct) and rope_scaling with posenc's
// parser, and writes them as llama.cpp does.
func hfRope(r *hfReader, c *hfConv, ctx int) error {
	hc := posenc.HFConfig{HeadDim: c.headDim, MaxPositionEmbeddings: ctx}
	base := r.floatv(10000, true, "rope_theta", "rotary_emb_base")
	hc.RopeTheta = &base
	if f := r.floatv(1, true, "partial_rotary_factor", "rotary_pct"); f != 1 {
		hc.PartialRotaryFactor = &f
	}
	hc.OriginalMaxPositionEmbeddings = r.intv(0, "original_max_position_embeddings")
	if _, v, ok := r.get("rope_scaling", "rope_parameters"); ok {
		hc.RopeScaling = new(posenc.HFRopeScaling)
		if err := json.Unmarshal(v, hc.RopeScaling); err != nil {
			return fmt.Errorf("%s: %v", r.file, err)
		}
	}
	if r.err != nil {
		return r.err
	}
	nDims, err := hc.RotaryDims()
	if err != nil {
		return fmt.Errorf("%s: %v", r.file, err)
	}
	c.setA("rope.dimension_count", uint32(nDims))
	c.setA("rope.freq_base", float32(base))
	s := hc.RopeScaling
	typ := hc.RopeType()
	// Keys of rope_scaling this conversion honours, per type; any other
	// present key would be ignored.
	allowed := map[string][]string{
		"default": nil, "linear": {"factor"}, "yarn": {"factor", "original_max_position_embeddings"},
		"llama3":   {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"},
		"longrope": {"short_factor", "long_factor", "factor", "original_max_position_embeddings"},
	}
	keys, ok := allowed[typ]
	if !ok {
		return fmt.Errorf("%s: rope_scaling type %q is not supported (supported: linear, yarn, llama3, longrope)", r.file, typ)
	}
	if s != nil {
		for _, f := range []struct {
			name string
			set  bool
		}{{"rope_theta", s.RopeTheta != nil}, {"factor", s.Factor != nil}, {"attention_factor", s.AttentionFactor != nil},
			{"beta_fast", s.BetaFast != nil}, {"beta_slow", s.BetaSlow != nil}, {"mscale", s.Mscale != nil},
			{"mscale_all_dim", s.MscaleAllDim != nil}, {"truncate", s.Truncate != nil && !*s.Truncate},
			{"original_max_position_embeddings", s.OriginalMaxPositionEmbeddings != nil},
			{"low_freq_factor", s.LowFreqFactor != nil}, {"high_freq_factor", s.HighFreqFactor != nil},
			{"short_factor", s.ShortFactor != nil}, {"long_factor", s.LongFactor != nil}} {
			if f.set && !slices.Contains(keys, f.name) {
				return fmt.Errorf("%s: rope_scaling %s with %s is not supported", r.file, typ, f.name)
			}
		}
	}
	switch typ {
	case "linear":
		if s.Factor == nil || !(*s.Factor > 0) {
			return fmt.Errorf("%s: rope_scaling linear needs a factor > 0", r.file)
		}
		c.setA("rope.scaling.type", "linear")
		c.setA("rope.scaling.factor", float32(*s.Factor))
	case "yarn":
		if s.Factor == nil || !(*s.Factor > 0) {
			return fmt.Errorf("%s: rope_scaling yarn needs a factor > 0", r.file)
		}
		orig, factor := float64(ctx), *s.Factor
		if s.OriginalMaxPositionEmbeddings != nil {
			// transformers then scales by the context ratio, whatever
			// factor says (posenc.HFConfig.InvFreq does the same).
			orig = *s.OriginalMaxPositionEmbeddings
			if !(orig > 0) || orig > float64(ctx) {
				return fmt.Errorf("%s: rope_scaling yarn original_max_position_embeddings %v must be in (0, max_position_embeddings]", r.file, orig)
			}
			factor = float64(ctx) / orig
		}
		c.setA("rope.scaling.type", "yarn")
		c.setA("rope.scaling.factor", float32(factor))
		c.setA("rope.scaling.original_context_length", uint32(orig))
	case "llama3":
		if s.Factor == nil || s.LowFreqFactor == nil || s.HighFreqFactor == nil || s.OriginalMaxPositionEmbeddings == nil {
			return fmt.Errorf("%s: rope_scaling llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings", r.file)
		}
		ff, err := posenc.Llama3FreqFactors(base, nDims, *s.Factor, *s.LowFreqFactor, *s.HighFreqFactor, int(*s.OriginalMaxPositionEmbeddings))
		if err != nil {
			return fmt.Errorf("%s: %v", r.file, err)
		}
		c.addTensor("rope_freqs.weight", &hfTensor{rows: 1, cols: len(ff), vec: true, v: f32s(ff)})
	case "longrope":
		_, attn, err := hc.InvFreq(0)
		if err != nil {
			return fmt.Errorf("%s: %v", r.file, err)
		}
		orig := hc.OriginalMaxPositionEmbeddings
		if orig == 0 && s.OriginalMaxPositionEmbeddings != nil {
			orig = int(*s.OriginalMaxPositionEmbeddings)
		}
		if orig <= 0 {
			return fmt.Errorf("%s: longrope needs original_max_position_embeddings", r.file)
		}
		c.setA("rope.scaling.original_context_length", uint32(orig))
		c.setA("rope.scaling.attn_factor", float32(attn))
		c.addTensor("rope_factors_long.weight", &hfTensor{rows: 1, cols: len(s.LongFactor), vec: true, v: f32s(s.LongFactor)})
		c.addTensor("rope_factors_short.weight", &hfTensor{rows: 1, cols: len(s.ShortFactor), vec: true, v: f32s(s.ShortFactor)})
	}
	// A top-level original_max_position_embeddings (Phi-3) matters only
	// to longrope; transformers ignores it otherwise, and so does this.
	return nil
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// hfConvert turns a config.json and the safetensors weights of a folder
// into GGUF metadata and tensors; file names the folder in errors.
func hfConvert(cfg []byte, sf *safetensors.File, file string) (*hfConv, error) {
	c, spec, err := hfReadConfig(cfg, file)
	if err != nil {
		return nil, err
	}
	if err := c.bindTensors(spec, sf, file); err != nil {
		return nil, err
	}
	return c, nil
}

// hfReadConfig reads a config.json into GGUF metadata.
func hfReadConfig(cfg []byte, file string) (*hfConv, *hfSpec, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &raw); err != nil {
		return nil, nil, fmt.Errorf("%s/config.json: %v", file, err)
	}
	r := &hfReader{raw: raw, used: map[string]bool{}, file: file + "/config.json"}
	r.mt = r.strv("", "model_type")
	if r.err != nil {
		return nil, nil, r.err
	}
	spec, ok := hfSpecs[r.mt]
	fam, ok2 := FamilyForHF(r.mt)
	if !ok || !ok2 {
		known := make([]string, 0, len(hfSpecs))
		for k := range hfSpecs {
			known = append(known, k)
		}
		sort.Strings(known)
		if r.mt == "" {
			return nil, nil, fmt.Errorf("%s: config.json has no model_type (known: %s)", file, strings.Join(known, ", "))
		}
		return nil, nil, fmt.Errorf("%s: model_type %q is not supported (known: %s)", file, r.mt, strings.Join(known, ", "))
	}
	c := &hfConv{fam: fam, arch: fam.Arch, tensors: map[string]*hfTensor{}}
	c.set("general.architecture", fam.Arch)
	c.tied = r.boolv(false, "tie_word_embeddings")
	c.vocab = r.intv(0, "vocab_size")
	if err := spec.config(r, c); err != nil {
		return nil, nil, err
	}
	if err := r.finish(); err != nil {
		return nil, nil, err
	}
	return c, spec, nil
}

// bindTensors converts every tensor the family names in Hugging Face
// checkpoints (Family.HF), and refuses tensors it does not use.
func (c *hfConv) bindTensors(spec *hfSpec, sf *safetensors.File, file string) error {
	layers := c.findInt("block_count")
	if layers > len(sf.Tensors) {
		// Every layer has weights: refuse before looking up layers × roles names.
		return fmt.Errorf("%s: config.json says %d layers but the checkpoint holds %d tensors", file, layers, len(sf.Tensors))
	}
	fam := c.fam
	used := map[string]bool{}
	for r := Role(0); r < numRoles; r++ {
		pattern, ok := fam.HF[r]
		if !ok || (r == Output && c.tied) {
			continue
		}
		n := 1
		if strings.Contains(pattern, "{i}") {
			n = layers
		}
		for i := 0; i < n; i++ {
			for _, suffix := range []string{".weight", ".bias"} {
				hn := fam.HFName(r, i) + suffix
				t := sf.Get(hn)
				if t == nil {
					continue
				}
				used[hn] = true
				ht, err := hfTensorOf(t, file)
				if err != nil {
					return err
				}
				if err := c.convert(r, suffix, ht); err != nil {
					return fmt.Errorf("%s: tensor %s: %v", file, hn, err)
				}
				c.addTensor(r.GGUFName(i)+suffix, ht)
			}
		}
	}
	emb, ok := c.tensors[TokenEmbd.GGUFName(0)+".weight"]
	if !ok {
		return fmt.Errorf("%s: tensor %s.weight is missing", file, fam.HFName(TokenEmbd, 0))
	}
	if c.vocab != 0 && emb.rows != c.vocab {
		return fmt.Errorf("%s: config.json vocab_size %d, but %s.weight has %d rows", file, c.vocab, fam.HFName(TokenEmbd, 0), emb.rows)
	}
	out := fam.HFName(Output, 0)
	if _, ok := c.tensors[Output.GGUFName(0)+".weight"]; !ok && !c.tied && out != "" {
		return fmt.Errorf("%s: tensor %s.weight is missing and tie_word_embeddings is false", file, out)
	}
	for _, t := range sf.Tensors {
		if used[t.Name] || (c.tied && t.Name == out+".weight") {
			continue
		}
		ignorable := false
		for _, s := range spec.ignoreHF {
			ignorable = ignorable || strings.HasSuffix(t.Name, s)
		}
		if !ignorable {
			return fmt.Errorf("%s: tensor %s is not used by the %s family (the loader would ignore it)", file, t.Name, fam.Arch)
		}
	}
	return nil
}

// hfTensorOf decodes a safetensors tensor (F32, F16 or BF16; 1 or 2
// dimensions) to float32.
func hfTensorOf(t *safetensors.Tensor, file string) (*hfTensor, error) {
	ht := &hfTensor{}
	switch len(t.Shape) {
	case 1:
		ht.rows, ht.cols, ht.vec = 1, t.Shape[0], true
	case 2:
		ht.rows, ht.cols = t.Shape[0], t.Shape[1]
	default:
		return nil, fmt.Errorf("%s: tensor %s has shape %v, want 1 or 2 dimensions", file, t.Name, t.Shape)
	}
	var err error
	if ht.v, err = t.Float32s(); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return ht, nil
}

// hfNormRoles are the roles holding norm weights.
var hfNormRoles = []Role{TokenEmbdNorm, OutputNorm, AttnNorm, AttnQNorm, AttnKNorm, AttnPostNorm, FFNNorm, FFNPostNorm}

// convert applies the family's Hugging Face layout changes (HFLayout) to
// the weight or bias (suffix) of role r, in place.
func (c *hfConv) convert(r Role, suffix string, t *hfTensor) error {
	l := c.fam.HFLayout
	if l.NormWeightOffset != 0 && suffix == ".weight" && slices.Contains(hfNormRoles, r) {
		for i := range t.v {
			t.v[i] += l.NormWeightOffset
		}
	}
	if slices.Contains(l.Transposed, r) && !t.vec {
		out := make([]float32, len(t.v))
		for i := 0; i < t.rows; i++ {
			for j := 0; j < t.cols; j++ {
				out[j*t.rows+i] = t.v[i*t.cols+j]
			}
		}
		t.v, t.rows, t.cols = out, t.cols, t.rows
	}
	if l.QKVPerHead && r == AttnQKV {
		hd := c.headDim
		if c.kvHeads != c.heads {
			return fmt.Errorf("per-head qkv needs as many kv heads as heads")
		}
		width, n := t.cols, t.rows // values per row, rows
		if t.vec {
			width, n = 1, t.cols
		}
		if n != 3*c.heads*hd {
			return fmt.Errorf("fused qkv has %d rows, want %d", n, 3*c.heads*hd)
		}
		out := make([]float32, len(t.v))
		for h := 0; h < c.heads; h++ {
			for part := 0; part < 3; part++ {
				src := (h*3 + part) * hd * width
				dst := (part*c.heads + h) * hd * width
				copy(out[dst:dst+hd*width], t.v[src:src+hd*width])
			}
		}
		t.v = out
	}
	if l.QKPermuted && (r == AttnQ || r == AttnK) {
		heads := c.heads
		if r == AttnK {
			heads = c.kvHeads
		}
		cols := t.cols
		if t.vec {
			cols = 1
		}
		v, err := posenc.PermuteHalfToInterleaved(t.v, heads, c.headDim, cols)
		if err != nil {
			return err
		}
		t.v = v
	}
	return nil
}

// meta returns the converted metadata as an in-memory GGUF file without
// tensors (the tensors stay in c, see get).
func (c *hfConv) meta() (*gguf.File, error) { return c.write(false) }

// get serves the converted tensors to the binder, without copying.
func (c *hfConv) get(name string) (*Tensor, error) {
	t, ok := c.tensors[name]
	if !ok {
		return nil, nil
	}
	return NewF32(name, t.rows, t.cols, t.v), nil
}

// write encodes the converted model (with its tensors or not) as an
// in-memory GGUF file.
func (c *hfConv) write(tensors bool) (*gguf.File, error) {
	var buf bytes.Buffer
	w := gguf.NewWriter(&buf)
	if err := w.AddKVs(c.kv); err != nil {
		return nil, err
	}
	order := c.order
	if !tensors {
		order = nil
	}
	for _, n := range order {
		t := c.tensors[n]
		shape := []uint64{uint64(t.cols), uint64(t.rows)}
		if t.vec {
			shape = shape[:1]
		}
		if err := w.AddTensor(n, gguf.TypeF32, shape); err != nil {
			return nil, err
		}
	}
	for _, n := range order {
		t := c.tensors[n]
		st, err := safetensors.F32Tensor(n, []int{len(t.v)}, t.v)
		if err != nil {
			return nil, err
		}
		if err := w.WriteTensor(n, st.Data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return gguf.Read(bytes.NewReader(b), int64(len(b)))
}

// isHFFolder reports whether a config.json is a Hugging Face model's
// rather than a trainer checkpoint's (which has llmparts_* keys).
func isHFFolder(cfg []byte) bool {
	var raw map[string]json.RawMessage
	if json.Unmarshal(cfg, &raw) != nil {
		return false
	}
	for k := range raw {
		if strings.HasPrefix(k, "llmparts_") {
			return false
		}
	}
	_, ok := raw["model_type"]
	return ok
}

// loadHF loads the Hugging Face folder dir of fsys (name for messages).
func loadHF(fsys fs.FS, dir, name string, cfg []byte) (*Model, error) {
	where := path.Join(name, dir)
	sf, err := safetensors.ReadDirFS(fsys, dir, hfMaxWeights)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %v", where, err)
	}
	conv, err := hfConvert(cfg, sf, where)
	if err != nil {
		return nil, fmt.Errorf("model: %v", err)
	}
	sf = nil // the converted float32 copies are all that is kept
	gf, err := conv.meta()
	if err != nil {
		return nil, fmt.Errorf("model: %s: converting to GGUF: %v", where, err)
	}
	m, err := fromGGUFMeta(gf, conv, func(name string) bool { _, ok := conv.tensors[name]; return ok })
	if err != nil {
		return nil, fmt.Errorf("model: %s (converted to GGUF): %v", where, err)
	}
	m.Info.Format = "hf"
	m.Info.Path = where
	m.Info.Mapped = false
	if _, err := fs.Stat(fsys, path.Join(dir, "tokenizer.json")); err == nil {
		m.Info.Tokenizer = path.Join(where, "tokenizer.json")
	}
	return m, nil
}
