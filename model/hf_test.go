package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/format/safetensors"
	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/posenc"
)

// hfFolders lists ../shared/testdata/archs-hf: each family model of
// ../archs written as a Hugging Face folder by an independent converter.
type hfIndexEntry struct {
	Name       string `json:"name"`
	Folder     string `json:"folder"`
	Source     string `json:"source"`
	Activation string `json:"activation"`
}

func hfFolders(t *testing.T) (string, []hfIndexEntry) {
	t.Helper()
	root := testdata.Path(t, "archs-hf/INDEX.json")
	b, err := os.ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	var ix struct {
		Families []hfIndexEntry `json:"families"`
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	if len(ix.Families) == 0 {
		t.Fatal("INDEX.json lists no families")
	}
	return filepath.Dir(root), ix.Families
}

// TestHFConvertMatchesGGUF: converting each Hugging Face folder gives the
// GGUF file the folder was made from (llama.cpp's metadata and tensors),
// tensor by tensor — the layout changes (q/k permutation, Conv1D
// transpose, per-head qkv, Gemma's 1+w, rope factors) undone exactly.
func TestHFConvertMatchesGGUF(t *testing.T) {
	dir, fams := hfFolders(t)
	for _, fam := range fams {
		t.Run(fam.Name, func(t *testing.T) {
			folder := filepath.Join(dir, fam.Folder)
			cfg, err := os.ReadFile(filepath.Join(folder, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			sf, err := safetensors.ReadDirFS(os.DirFS(folder), ".", 0)
			if err != nil {
				t.Fatal(err)
			}
			conv, err := hfConvert(cfg, sf, fam.Folder)
			if err != nil {
				t.Fatal(err)
			}
			got, err := conv.write(true)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := gguf.Open(filepath.Join(dir, "..", "archs", fam.Source))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			arch := ref.Architecture()
			if got.Architecture() != arch {
				t.Fatalf("architecture %q, want %q", got.Architecture(), arch)
			}
			for _, kv := range ref.KV {
				if !strings.HasPrefix(kv.Key, arch+".") {
					continue
				}
				if kv.Key == "bloom.context_length" {
					continue // BLOOM's config.json has no context length (ALiBi has no limit)
				}
				mine, ok := got.Get(kv.Key)
				if !ok {
					t.Errorf("metadata %s missing (want %v)", kv.Key, kv.Value)
					continue
				}
				if rf, ok := kv.Value.Float(); ok {
					mf, _ := mine.Float()
					if math.Abs(mf-rf) > 1e-6*math.Abs(rf) {
						t.Errorf("metadata %s = %v, want %v", kv.Key, mine, kv.Value)
					}
				} else if mine.String() != kv.Value.String() {
					t.Errorf("metadata %s = %v, want %v", kv.Key, mine, kv.Value)
				}
			}
			if len(got.Tensors) != len(ref.Tensors) {
				t.Errorf("%d tensors, GGUF has %d", len(got.Tensors), len(ref.Tensors))
			}
			for _, ti := range ref.Tensors {
				mi, ok := got.Tensor(ti.Name)
				if !ok {
					t.Errorf("tensor %s missing", ti.Name)
					continue
				}
				if len(mi.Shape) != len(ti.Shape) || mi.Elements() != ti.Elements() || mi.Shape[0] != ti.Shape[0] {
					t.Errorf("tensor %s: shape %v, want %v", ti.Name, mi.Shape, ti.Shape)
					continue
				}
				a, err := got.Dequantize(ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				b, err := ref.Dequantize(ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for i := range b {
					worst = math.Max(worst, math.Abs(float64(a[i])-float64(b[i]))/math.Max(1, math.Abs(float64(b[i]))))
				}
				// Exact but for Gemma's w ↔ 1+w, rounded twice.
				if worst > 2e-7 {
					t.Errorf("tensor %s: max relative difference %.3g", ti.Name, worst)
				}
			}
		})
	}
}

// TestHFLogits: loading each folder gives the logits of logits.json, a
// float64 implementation of the Hugging Face modeling formulas, within
// 1e-4 (5e-3 for the GELU families) and with the same argmax wherever its
// top two logits differ by more than 1e-2.
func TestHFLogits(t *testing.T) {
	dir, fams := hfFolders(t)
	for _, fam := range fams {
		t.Run(fam.Name, func(t *testing.T) {
			folder := filepath.Join(dir, fam.Folder)
			b, err := os.ReadFile(filepath.Join(folder, "logits.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Tokens []int       `json:"tokens"`
				Logits [][]float64 `json:"logits"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			m, err := Load(folder, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-4
			if strings.Contains(fam.Activation, "gelu") {
				tol = 5e-3
			}
			s := m.NewSession(len(want.Tokens))
			got, err := s.ForwardAll(want.Tokens, 0)
			if err != nil {
				t.Fatal(err)
			}
			V := len(want.Logits[0])
			if len(got) != len(want.Tokens)*V {
				t.Fatalf("%d logits, want %d×%d", len(got), len(want.Tokens), V)
			}
			worst := 0.0
			for p, row := range want.Logits {
				g := got[p*V : (p+1)*V]
				best, second, arg := math.Inf(-1), math.Inf(-1), -1
				for i, v := range row {
					worst = math.Max(worst, math.Abs(float64(g[i])-v))
					if v > best {
						best, second, arg = v, best, i
					} else if v > second {
						second = v
					}
				}
				if best-second > 1e-2 {
					ga := 0
					for i := range g {
						if g[i] > g[ga] {
							ga = i
						}
					}
					if ga != arg {
						t.Errorf("position %d: argmax %d, want %d", p, ga, arg)
					}
				}
			}
			t.Logf("%s: max |Δlogit| = %.3g over %d positions (tolerance %g)", fam.Name, worst, len(want.Tokens), tol)
			if worst > tol {
				t.Errorf("max |Δlogit| = %.3g > %g", worst, tol)
			}
		})
	}
}

func TestHFConfigErrors(t *testing.T) {
	llama := `"model_type":"llama","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"vocab_size":4`
	gpt2 := `"model_type":"gpt2","n_embd":8,"n_layer":1,"n_head":2,"n_positions":16,"vocab_size":4`
	for _, tc := range []struct{ cfg, want string }{
		{`{"model_type":"mamba"}`, `model_type "mamba" is not supported`},
		{`{"hidden_size":8}`, "no model_type"},
		{`{` + llama + `,"hidden_act":"gelu"}`, "hidden_act"},
		{`{` + llama + `,"foo_bar":1}`, `"foo_bar"`},
		{`{` + llama + `,"attention_bias":true}`, "attention_bias"},
		{`{` + llama + `,"rope_scaling":{"rope_type":"dynamic","factor":2}}`, `"dynamic"`},
		{`{` + llama + `,"rope_scaling":{"rope_type":"yarn","factor":2,"attention_factor":1.5}}`, "attention_factor"},
		{`{` + llama + `,"rope_scaling":{"rope_type":"linear"}}`, "factor"},
		{`{` + llama + `,"rms_norm_eps":-1}`, "rms_norm_eps"},
		{`{` + llama + `,"num_attention_heads":0}`, "num_attention_heads"},
		{`{` + gpt2 + `,"scale_attn_by_inverse_layer_idx":true}`, "scale_attn_by_inverse_layer_idx"},
		{`{` + gpt2 + `,"activation_function":"gelu"}`, "activation_function"},
		{`{"model_type":"qwen2","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"use_sliding_window":true}`, "use_sliding_window"},
		{`{"model_type":"gemma2","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"head_dim":4,"query_pre_attn_scalar":256}`, "query_pre_attn_scalar"},
		{`{"model_type":"bloom","hidden_size":8,"n_layer":1,"n_head":2,"apply_residual_connection_post_layernorm":true}`, "apply_residual_connection_post_layernorm"},
		{`{"model_type":"mistral","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":64,"sliding_window":16}`, "sliding_window"},
		{`{"model_type":"starcoder2","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":64,"sliding_window":16}`, "sliding_window"},
	} {
		_, err := hfConvert([]byte(tc.cfg), &safetensors.File{}, "dir")
		if err == nil {
			t.Errorf("%s: no error", tc.cfg)
		} else if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q, want one line mentioning %s", tc.cfg, err, tc.want)
		}
	}
}

// TestHFTensorErrors: a tensor the family does not use, or a missing LM
// head without tie_word_embeddings, is an error.
func TestHFTensorErrors(t *testing.T) {
	cfg := `{"model_type":"llama","hidden_size":4,"num_attention_heads":1,"intermediate_size":4,"vocab_size":3,"num_hidden_layers":1,"tie_word_embeddings":%s}`
	mk := func(names ...string) *safetensors.File {
		f := &safetensors.File{}
		for _, n := range names {
			shape := []int{4, 4}
			switch {
			case strings.HasSuffix(n, "norm.weight") || strings.HasSuffix(n, "layernorm.weight"):
				shape = []int{4}
			case strings.Contains(n, "embed") || strings.HasPrefix(n, "lm_head"):
				shape = []int{3, 4}
			}
			n4 := 1
			for _, d := range shape {
				n4 *= d
			}
			tt, err := safetensors.F32Tensor(n, shape, make([]float32, n4))
			if err != nil {
				t.Fatal(err)
			}
			f.Tensors = append(f.Tensors, tt)
		}
		return f
	}
	base := []string{"model.embed_tokens.weight", "model.norm.weight", "model.layers.0.input_layernorm.weight",
		"model.layers.0.post_attention_layernorm.weight", "model.layers.0.self_attn.q_proj.weight",
		"model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
		"model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.gate_proj.weight",
		"model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"}
	if _, err := hfConvert([]byte(fmt.Sprintf(cfg, "true")), mk(base...), "dir"); err != nil {
		t.Fatalf("complete tied checkpoint: %v", err)
	}
	for _, tc := range []struct {
		tied  string
		names []string
		want  string
	}{
		{"false", base, "lm_head.weight is missing"},
		{"true", append(append([]string(nil), base...), "model.layers.0.self_attn.extra.weight"), "extra.weight is not used"},
		{"true", base[1:], "embed_tokens.weight is missing"},
		{"true,\"vocab_size\":5", base, "vocab_size 5"},
		{"true,\"num_hidden_layers\":16777216", base, "16777216 layers"},
	} {
		_, err := hfConvert([]byte(fmt.Sprintf(cfg, tc.tied)), mk(tc.names...), "dir")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one mentioning %q", err, tc.want)
		}
	}
}

func TestIsHFFolder(t *testing.T) {
	for cfg, want := range map[string]bool{
		`{"model_type":"llama","hidden_size":8}`:           true,
		`{"model_type":"llama","llmparts_norm":"rmsnorm"}`: false, // a trainer checkpoint
		`{"hidden_size":8}`:                                false,
		`not json`:                                         false,
	} {
		if got := isHFFolder([]byte(cfg)); got != want {
			t.Errorf("isHFFolder(%s) = %v, want %v", cfg, got, want)
		}
	}
}

// TestHFSpecsCoverFamilies: every Hugging Face model_type a family claims
// has a config.json reader, and every reader belongs to a family.
func TestHFSpecsCoverFamilies(t *testing.T) {
	claimed := map[string]bool{}
	for _, arch := range Families() {
		f, _ := LookupFamily(arch)
		for _, mt := range f.HFModelTypes {
			claimed[mt] = true
			if _, ok := hfSpecs[mt]; !ok {
				t.Errorf("family %s claims model_type %s, which has no config.json reader", arch, mt)
			}
		}
	}
	for mt := range hfSpecs {
		if !claimed[mt] {
			t.Errorf("config.json reader for model_type %s belongs to no family", mt)
		}
	}
}

// TestHFShardedFolder: the llama folder split into two shards with an
// index loads to the same logits as the single file.
func TestHFShardedFolder(t *testing.T) {
	src := testdata.Path(t, "archs-hf/llama")
	sf, err := safetensors.ReadDirFS(os.DirFS(src), ".", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	half := len(sf.Tensors) / 2
	index := map[string]string{}
	for i, part := range [][]*safetensors.Tensor{sf.Tensors[:half], sf.Tensors[half:]} {
		name := fmt.Sprintf("model-%05d-of-00002.safetensors", i+1)
		if err := safetensors.WriteFile(filepath.Join(dir, name), part, nil); err != nil {
			t.Fatal(err)
		}
		for _, tt := range part {
			index[tt.Name] = name
		}
	}
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": index})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, safetensors.IndexName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	toks := []int{1, 5, 9, 200, 3}
	var logits [2][]float32
	for k, d := range []string{src, dir} {
		m, err := Load(d, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if logits[k], err = m.NewSession(8).ForwardAll(toks, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range logits[0] {
		if logits[0][i] != logits[1][i] {
			t.Fatalf("logit %d: sharded %v, single file %v", i, logits[1][i], logits[0][i])
		}
	}
}

// FuzzHFConfig: no config.json makes the converter panic or hang.
func FuzzHFConfig(f *testing.F) {
	for _, s := range []string{
		`{"model_type":"llama","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16}`,
		`{"model_type":"gpt2","n_embd":8,"n_layer":1,"n_head":3}`,
		`{"model_type":"phi3","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":64,"original_max_position_embeddings":8,"rope_scaling":{"type":"longrope","short_factor":[1,1],"long_factor":[2,2]}}`,
		`{"model_type":"llama","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":0}}`,
		`{"model_type":"gemma2","hidden_size":8,"num_hidden_layers":46,"num_attention_heads":2,"intermediate_size":16,"head_dim":4}`,
		`{"model_type":"bloom","n_embed":7,"n_layer":1,"n_head":2}`,
		`{"model_type":"gpt_neox","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"rotary_pct":1e-9}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, cfg []byte) {
		_, _ = hfConvert(cfg, &safetensors.File{}, "dir")
	})
}

// TestHFRealConfigs: the key sets of published config.json files (as on
// the Hugging Face hub; sizes shortened) are read, or refused for the
// setting this runtime cannot honour.
func TestHFRealConfigs(t *testing.T) {
	for _, tc := range []struct{ name, cfg, refuse string }{
		{"Llama-3.2-1B", `{"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":128000,"eos_token_id":128001,"head_dim":64,"hidden_act":"silu","hidden_size":2048,"initializer_range":0.02,"intermediate_size":8192,"max_position_embeddings":131072,"mlp_bias":false,"model_type":"llama","num_attention_heads":32,"num_hidden_layers":16,"num_key_value_heads":8,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},"rope_theta":500000.0,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.45.0.dev0","use_cache":true,"vocab_size":128256}`, ""},
		{"SmolLM2-135M", `{"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":0,"eos_token_id":0,"hidden_act":"silu","hidden_size":576,"initializer_range":0.041666666666666664,"intermediate_size":1536,"is_llama_config":true,"max_position_embeddings":8192,"model_type":"llama","num_attention_heads":9,"num_hidden_layers":30,"num_key_value_heads":3,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_interleaved":false,"rope_scaling":null,"rope_theta":100000,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.42.3","use_cache":true,"vocab_size":49152}`, ""},
		{"Qwen2.5-0.5B", `{"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151643,"hidden_act":"silu","hidden_size":896,"initializer_range":0.02,"intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":24,"model_type":"qwen2","num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":32768,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.40.1","use_cache":true,"use_sliding_window":false,"vocab_size":151936}`, ""},
		{"gemma-2-2b", `{"architectures":["Gemma2ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"attn_logit_softcapping":50.0,"bos_token_id":2,"cache_implementation":"hybrid","eos_token_id":1,"final_logit_softcapping":30.0,"head_dim":256,"hidden_act":"gelu_pytorch_tanh","hidden_activation":"gelu_pytorch_tanh","hidden_size":2304,"initializer_range":0.02,"intermediate_size":9216,"max_position_embeddings":8192,"model_type":"gemma2","num_attention_heads":8,"num_hidden_layers":26,"num_key_value_heads":4,"pad_token_id":0,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,"rope_theta":10000.0,"sliding_window":4096,"torch_dtype":"float32","transformers_version":"4.42.4","use_cache":true,"vocab_size":256000}`, ""},
		{"Phi-3-mini-4k", `{"_name_or_path":"Phi-3-mini-4k-instruct","architectures":["Phi3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"auto_map":{"AutoConfig":"configuration_phi3.Phi3Config","AutoModelForCausalLM":"modeling_phi3.Phi3ForCausalLM"},"bos_token_id":1,"embd_pdrop":0.0,"eos_token_id":32000,"hidden_act":"silu","hidden_size":3072,"initializer_range":0.02,"intermediate_size":8192,"max_position_embeddings":4096,"model_type":"phi3","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":32,"original_max_position_embeddings":4096,"pad_token_id":32000,"resid_pdrop":0.0,"rms_norm_eps":1e-05,"rope_scaling":null,"rope_theta":10000.0,"sliding_window":2047,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.40.2","use_cache":true,"vocab_size":32064}`, ""},
		{"gpt2", `{"activation_function":"gelu_new","architectures":["GPT2LMHeadModel"],"attn_pdrop":0.1,"bos_token_id":50256,"embd_pdrop":0.1,"eos_token_id":50256,"initializer_range":0.02,"layer_norm_epsilon":1e-05,"model_type":"gpt2","n_ctx":1024,"n_embd":768,"n_head":12,"n_layer":12,"n_positions":1024,"resid_pdrop":0.1,"summary_activation":null,"summary_first_dropout":0.1,"summary_proj_to_labels":true,"summary_type":"cls_index","summary_use_proj":true,"task_specific_params":{"text-generation":{"do_sample":true,"max_length":50}},"vocab_size":50257}`, ""},
		{"bloom-560m", `{"apply_residual_connection_post_layernorm":false,"architectures":["BloomForCausalLM"],"attention_dropout":0.0,"attention_softmax_in_fp32":true,"bias_dropout_fusion":true,"bos_token_id":1,"eos_token_id":2,"hidden_dropout":0.0,"hidden_size":1024,"initializer_range":0.02,"layer_norm_epsilon":1e-05,"masked_softmax_fusion":true,"model_type":"bloom","n_head":16,"n_inner":null,"n_layer":24,"offset_alibi":100,"pad_token_id":3,"pretraining_tp":1,"skip_bias_add":true,"skip_bias_add_qkv":false,"slow_but_exact":false,"unk_token_id":0,"use_cache":true,"vocab_size":250880}`, ""},
		{"stablelm-2-1_6b", `{"architectures":["StableLmForCausalLM"],"attention_dropout":0.0,"bos_token_id":100257,"eos_token_id":100257,"hidden_act":"silu","hidden_dropout":0.0,"hidden_size":2048,"initializer_range":0.02,"intermediate_size":5632,"layer_norm_eps":1e-05,"max_position_embeddings":4096,"model_type":"stablelm","num_attention_heads":32,"num_hidden_layers":24,"num_key_value_heads":32,"partial_rotary_factor":0.25,"qk_layernorm":false,"rope_scaling":null,"rope_theta":10000,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.38.0","use_cache":true,"use_parallel_residual":false,"use_qkv_bias":true,"vocab_size":100352}`, ""},
		{"phi-2", `{"architectures":["PhiForCausalLM"],"attention_dropout":0.0,"bos_token_id":50256,"embd_pdrop":0.0,"eos_token_id":50256,"hidden_act":"gelu_new","hidden_size":2560,"initializer_range":0.02,"intermediate_size":10240,"layer_norm_eps":1e-05,"max_position_embeddings":2048,"model_type":"phi","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":32,"partial_rotary_factor":0.4,"qk_layernorm":false,"resid_pdrop":0.1,"rope_scaling":null,"rope_theta":10000.0,"tie_word_embeddings":false,"torch_dtype":"float16","transformers_version":"4.37.0","use_cache":true,"vocab_size":51200}`, ""},
		{"pythia-70m", `{"architectures":["GPTNeoXForCausalLM"],"bos_token_id":0,"classifier_dropout":0.1,"eos_token_id":0,"hidden_act":"gelu","hidden_size":512,"initializer_range":0.02,"intermediate_size":2048,"layer_norm_eps":1e-05,"max_position_embeddings":2048,"model_type":"gpt_neox","num_attention_heads":8,"num_hidden_layers":6,"rotary_emb_base":10000,"rotary_pct":0.25,"tie_word_embeddings":false,"torch_dtype":"float16","transformers_version":"4.24.0","use_cache":true,"use_parallel_residual":true,"vocab_size":50304}`, "hidden_act"},
		{"starcoder2-3b", `{"architectures":["Starcoder2ForCausalLM"],"attention_dropout":0.1,"bos_token_id":0,"embedding_dropout":0.1,"eos_token_id":0,"hidden_act":"gelu_pytorch_tanh","hidden_size":3072,"initializer_range":0.018042,"intermediate_size":12288,"max_position_embeddings":16384,"mlp_type":"default","model_type":"starcoder2","norm_epsilon":1e-05,"norm_type":"layer_norm","num_attention_heads":24,"num_hidden_layers":30,"num_key_value_heads":2,"residual_dropout":0.1,"rope_theta":999999.4420358813,"sliding_window":4096,"torch_dtype":"bfloat16","transformers_version":"4.37.0.dev0","use_bias":true,"use_cache":true,"vocab_size":49152}`, "sliding_window"},
	} {
		_, _, err := hfReadConfig([]byte(tc.cfg), tc.name)
		switch {
		case tc.refuse == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse)):
			t.Errorf("%s: error %v, want one about %s", tc.name, err, tc.refuse)
		}
	}
}

// FuzzHFWeights: no set of tensors makes the conversion, the binding or a
// forward pass panic: the fuzzer omits tensors, reshapes them (transposed,
// one row, one more row) and renames one to an unused name (a tiny llama
// config).
func FuzzHFWeights(f *testing.F) {
	cfg := []byte(`{"model_type":"llama","hidden_size":4,"num_attention_heads":2,"num_key_value_heads":1,"intermediate_size":4,"vocab_size":3,"num_hidden_layers":1,"tie_word_embeddings":true}`)
	type spec struct {
		name  string
		shape []int
	}
	specs := []spec{{"model.embed_tokens.weight", []int{3, 4}}, {"model.norm.weight", []int{4}},
		{"model.layers.0.input_layernorm.weight", []int{4}}, {"model.layers.0.post_attention_layernorm.weight", []int{4}},
		{"model.layers.0.self_attn.q_proj.weight", []int{4, 4}}, {"model.layers.0.self_attn.k_proj.weight", []int{2, 4}},
		{"model.layers.0.self_attn.v_proj.weight", []int{2, 4}}, {"model.layers.0.self_attn.o_proj.weight", []int{4, 4}},
		{"model.layers.0.mlp.gate_proj.weight", []int{4, 4}}, {"model.layers.0.mlp.up_proj.weight", []int{4, 4}},
		{"model.layers.0.mlp.down_proj.weight", []int{4, 4}}, {"model.layers.0.self_attn.q_proj.bias", []int{4}}}
	f.Add(make([]byte, len(specs)))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, choice []byte) {
		sf := &safetensors.File{}
		for i, sp := range specs {
			c := byte(0)
			if i < len(choice) {
				c = choice[i]
			}
			shape := append([]int(nil), sp.shape...)
			name := sp.name
			switch c % 6 {
			case 1:
				continue // omitted
			case 2:
				if len(shape) == 2 {
					shape[0], shape[1] = shape[1], shape[0]
				}
			case 3:
				n := 1
				for _, d := range shape {
					n *= d
				}
				shape = []int{1, n}
			case 4:
				shape[0]++
			case 5:
				name = strings.Replace(name, "weight", "extra", 1)
			}
			n := 1
			for _, d := range shape {
				n *= d
			}
			v := make([]float32, n)
			for j := range v {
				v[j] = float32(int(c)+j) / 7
			}
			tt, err := safetensors.F32Tensor(name, shape, v)
			if err != nil {
				t.Fatal(err)
			}
			sf.Tensors = append(sf.Tensors, tt)
		}
		conv, err := hfConvert(cfg, sf, "dir")
		if err != nil {
			return
		}
		gf, err := conv.meta()
		if err != nil {
			t.Fatal(err)
		}
		if m, err := fromGGUFMeta(gf, conv, func(name string) bool { _, ok := conv.tensors[name]; return ok }); err == nil {
			if _, err := m.NewSession(4).ForwardAll([]int{0, 1, 2}, 0); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestHFRopeScalingMatchesHF: for every rope_scaling type the loader
// accepts, the rotation the runtime builds from the converted metadata
// (ggml semantics) has posenc's Hugging Face inverse frequencies and
// attention factor (transformers' semantics), to float32 rounding of the
// stored factors.
func TestHFRopeScalingMatchesHF(t *testing.T) {
	base := `"model_type":"llama","hidden_size":64,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":4096,"rope_theta":10000`
	for _, scaling := range []string{
		`null`,
		`{"rope_type":"linear","factor":4}`,
		`{"type":"yarn","factor":4}`,
		`{"rope_type":"yarn","factor":8,"original_max_position_embeddings":2048}`,
		`{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":1024}`,
	} {
		cfg := []byte(`{` + base + `,"rope_scaling":` + scaling + `}`)
		conv, _, err := hfReadConfig(cfg, "dir")
		if err != nil {
			t.Fatalf("%s: %v", scaling, err)
		}
		gf, err := conv.meta()
		if err != nil {
			t.Fatal(err)
		}
		c, err := conv.fam.config(ggufMeta{gf, conv.arch, "dir"}, "dir", func(n string) bool { _, ok := conv.tensors[n]; return ok })
		if err != nil {
			t.Fatalf("%s: %v", scaling, err)
		}
		if ff, ok := conv.tensors["rope_freqs.weight"]; ok {
			c.RoPE.FreqFactors = ff.v // what the binder reads
		}
		got, err := c.RoPE.posenc(c.HeadDim, c.ContextLen)
		if err != nil {
			t.Fatal(err)
		}
		hc, err := posenc.ParseHFConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, attn, err := hc.InvFreq(0)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Scale-attn) > 1e-6*attn {
			t.Errorf("%s: magnitude %v, HF attention factor %v", scaling, got.Scale, attn)
		}
		for i := range want {
			if math.Abs(got.InvFreq[i]-want[i]) > 1e-6*want[i] {
				t.Errorf("%s: pair %d: θ %v, HF %v", scaling, i, got.InvFreq[i], want[i])
			}
		}
	}
}
