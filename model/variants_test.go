package model

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/quant"
)

// rewriteGGUF copies an archs test file with metadata replaced or added
// (set), tensors dropped (names containing a drop string) and tensors
// added (add: name → rows, cols; values 1 ± 0.3 for names with "norm",
// else N(0, 0.3)).
func rewriteGGUF(t *testing.T, src string, set map[string]any, drop []string, add map[string][2]int) string {
	t.Helper()
	f, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var kvs []gguf.KV
	for _, kv := range f.KV {
		if v, ok := set[kv.Key]; ok {
			kv.Value = gguf.Value{Data: v}
			delete(set, kv.Key)
		}
		kvs = append(kvs, kv)
	}
	for k, v := range set {
		kvs = append(kvs, gguf.KV{Key: k, Value: gguf.Value{Data: v}})
	}
	var ts []gguf.Tensor
next:
	for _, ti := range f.Tensors {
		for _, d := range drop {
			if strings.Contains(ti.Name, d) {
				continue next
			}
		}
		data, err := f.TensorData(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, gguf.Tensor{Name: ti.Name, Type: ti.Type, Shape: ti.Shape, Data: data})
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for name, rc := range add {
		v := make([]float32, rc[0]*rc[1])
		for i := range v {
			v[i] = float32(0.3 * rng.NormFloat64())
			if strings.Contains(name, "norm") {
				v[i] += 1
			}
		}
		shape := []uint64{uint64(rc[1])}
		if rc[0] > 1 {
			shape = append(shape, uint64(rc[0]))
		}
		ts = append(ts, gguf.Tensor{Name: name, Type: quant.F32, Shape: shape, Data: quantize(quant.F32, v)})
	}
	p := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := gguf.Write(p, kvs, ts); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFamilyVariants runs the variations that the archs files do not
// exercise (each family's optional tensors and switches) against the
// float64 reference, batched and token by token.
func TestFamilyVariants(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "archs/MANIFEST.json"))
	perLayer := func(n int, f func(i int) map[string][2]int) map[string][2]int {
		out := map[string][2]int{}
		for i := 0; i < n; i++ {
			for k, v := range f(i) {
				out[k] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, file string
		set        map[string]any
		drop       []string
		add        map[string][2]int
		check      func(m *Model) error
	}{
		{name: "stablelm per-head q/k norm, no ffn norm (parallel)", file: "stablelm",
			drop: []string{"ffn_norm"},
			add: perLayer(2, func(i int) map[string][2]int {
				return map[string][2]int{fmt.Sprintf("blk.%d.attn_q_norm.weight", i): {4, 16}, fmt.Sprintf("blk.%d.attn_k_norm.weight", i): {2, 16}}
			}),
			check: func(m *Model) error {
				if !m.Config.Parallel || m.Config.QKNorm != QKNormPerHead || len(m.Blocks[1].QNorm.Heads) != 4 || len(m.Blocks[1].KNorm.Heads) != 2 {
					return fmt.Errorf("config %+v", m.Config)
				}
				return nil
			}},
		{name: "gptneox sequential residual", file: "gptneox",
			set: map[string]any{"gptneox.use_parallel_residual": false},
			check: func(m *Model) error {
				if m.Config.Parallel {
					return fmt.Errorf("parallel")
				}
				return nil
			}},
		{name: "phi3 without sliding window (Phi-4)", file: "phi3",
			set: map[string]any{"phi3.attention.sliding_window": uint32(0)},
			check: func(m *Model) error {
				if m.Config.SlidingWindow != 0 {
					return fmt.Errorf("window %d", m.Config.SlidingWindow)
				}
				return nil
			}},
		{name: "llama with q/k/v/o biases and YaRN", file: "llama",
			set: map[string]any{"llama.rope.scaling.type": "yarn", "llama.rope.scaling.factor": float32(2), "llama.rope.scaling.original_context_length": uint32(32)},
			add: perLayer(2, func(i int) map[string][2]int {
				return map[string][2]int{fmt.Sprintf("blk.%d.attn_q.bias", i): {1, 64}, fmt.Sprintf("blk.%d.attn_k.bias", i): {1, 32},
					fmt.Sprintf("blk.%d.attn_v.bias", i): {1, 32}, fmt.Sprintf("blk.%d.attn_output.bias", i): {1, 64}}
			}),
			check: func(m *Model) error {
				if m.Blocks[1].BO == nil || m.Config.RoPE.ScalingType != "yarn" {
					return fmt.Errorf("biases or yarn missing")
				}
				return nil
			}},
		{name: "gemma2 with window 4", file: "gemma2",
			set: map[string]any{"gemma2.attention.sliding_window": uint32(4)},
			check: func(m *Model) error {
				if m.Config.SlidingWindow != 4 {
					return fmt.Errorf("window %d", m.Config.SlidingWindow)
				}
				return nil
			}},
		{name: "bloom with 8 heads of 8", file: "bloom",
			set: map[string]any{"bloom.attention.head_count": uint32(8), "bloom.attention.head_count_kv": uint32(8)},
			check: func(m *Model) error {
				if m.Config.HeadDim != 8 {
					return fmt.Errorf("head dim %d", m.Config.HeadDim)
				}
				return nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := rewriteGGUF(t, filepath.Join(dir, tc.file+".gguf"), tc.set, tc.drop, tc.add)
			m, err := Load(p, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if err := tc.check(m); err != nil {
				t.Fatal(err)
			}
			checkAgainstReference(t, m, tc.name)
		})
	}
}

// TestFamilyMissingTensors: a family's required tensors are named when a
// file lacks them, and inconsistent metadata is refused.
func TestFamilyMissingTensors(t *testing.T) {
	dir := filepath.Dir(testdata.Path(t, "archs/MANIFEST.json"))
	for _, tc := range []struct {
		file string
		set  map[string]any
		drop []string
		want string
	}{
		{file: "gemma2", drop: []string{"blk.0.post_ffw_norm"}, want: "tensor blk.0.post_ffw_norm.weight is missing"},
		{file: "olmo2", drop: []string{"blk.1.attn_k_norm"}, want: "tensor blk.1.attn_k_norm.weight is missing"},
		{file: "gpt2", drop: []string{"position_embd"}, want: "learned position embedding position_embd.weight missing"},
		{file: "phi3", drop: []string{"rope_factors_short"}, want: "LongRoPE needs both rope_factors_short.weight and rope_factors_long.weight"},
		{file: "bloom", drop: []string{"blk.0.attn_qkv.weight"}, want: "tensor blk.0.attn_q.weight is missing"},
		{file: "phi3", set: map[string]any{"phi3.attention.head_count_kv": uint32(3)}, want: "tensor blk.0.attn_qkv.weight has shape [160][96], want [288][96]"},
		{file: "gemma", set: map[string]any{"gemma.attention.value_length": uint32(16)}, want: "value length 16 differs from key length 32"},
		{file: "gptneox", set: map[string]any{"gptneox.use_parallel_residual": "yes"}, want: "gptneox.use_parallel_residual is a string, want a bool"},
		{file: "bloom", set: map[string]any{"bloom.attention.max_alibi_bias": float32(-1)}, want: "max_alibi_bias = -1, want a number > 0"},
	} {
		p := rewriteGGUF(t, filepath.Join(dir, tc.file+".gguf"), tc.set, tc.drop, nil)
		_, err := Load(p, Options{Threads: 1})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file+".gguf") {
			t.Errorf("%s %v %v: err = %v, want %q", tc.file, tc.set, tc.drop, err, tc.want)
		}
	}
}
