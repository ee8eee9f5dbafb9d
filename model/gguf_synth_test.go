package model

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
)

type synth struct {
	arch                        string
	dim, hidden, layers, heads  int
	kvHeads, vocab              int
	types                       map[string]quant.Type // by tensor-name suffix; F32 default
	tied, ropeFreqs, wrongShape bool
	extraKV                     []gguf.KV
}

// writeSynth writes a random GGUF model and returns its path.
func writeSynth(t *testing.T, s synth) string { return writeSynthDir(t, s) }

func writeSynthDir(t testing.TB, s synth) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	hd := s.dim / s.heads
	kv := []gguf.KV{
		{Key: "general.architecture", Value: gguf.Value{Data: s.arch}},
		{Key: s.arch + ".context_length", Value: gguf.Value{Data: uint32(64)}},
		{Key: s.arch + ".embedding_length", Value: gguf.Value{Data: uint32(s.dim)}},
		{Key: s.arch + ".block_count", Value: gguf.Value{Data: uint32(s.layers)}},
		{Key: s.arch + ".feed_forward_length", Value: gguf.Value{Data: uint32(s.hidden)}},
		{Key: s.arch + ".attention.head_count", Value: gguf.Value{Data: uint32(s.heads)}},
		{Key: s.arch + ".attention.head_count_kv", Value: gguf.Value{Data: uint32(s.kvHeads)}},
		{Key: s.arch + ".attention.layer_norm_rms_epsilon", Value: gguf.Value{Data: float32(1e-6)}},
		{Key: s.arch + ".rope.freq_base", Value: gguf.Value{Data: float32(500)}},
	}
	// extraKV replaces entries of the same key, else is appended.
	for _, e := range s.extraKV {
		i := 0
		for i < len(kv) && kv[i].Key != e.Key {
			i++
		}
		if i < len(kv) {
			kv[i] = e
		} else {
			kv = append(kv, e)
		}
	}
	var ts []gguf.Tensor
	add := func(name string, rows, cols int, scale float64) {
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		if scale == 0 {
			for i := range v {
				v[i] = 1 + 0.3*float32(rng.NormFloat64())
			}
		}
		typ := quant.F32
		for suf, ty := range s.types {
			if strings.HasSuffix(name, suf) {
				typ = ty
			}
		}
		data := quantize(typ, v)
		shape := []uint64{uint64(cols)}
		if rows > 1 {
			shape = append(shape, uint64(rows))
		}
		ts = append(ts, gguf.Tensor{Name: name, Type: typ, Shape: shape, Data: data})
	}
	q, kvd := s.dim, s.kvHeads*hd
	add("token_embd.weight", s.vocab, s.dim, 0.5)
	if !s.tied {
		add("output.weight", s.vocab, s.dim, 0.3)
	}
	add("output_norm.weight", 1, s.dim, 0)
	if s.ropeFreqs {
		add("rope_freqs.weight", 1, hd/2, 0)
	}
	for i := 0; i < s.layers; i++ {
		p := "blk." + string(rune('0'+i)) + "."
		add(p+"attn_norm.weight", 1, s.dim, 0)
		add(p+"ffn_norm.weight", 1, s.dim, 0)
		add(p+"attn_q.weight", q, s.dim, 0.3)
		if s.wrongShape && i == 0 {
			add(p+"attn_k.weight", kvd+1, s.dim, 0.3)
		} else {
			add(p+"attn_k.weight", kvd, s.dim, 0.3)
		}
		add(p+"attn_v.weight", kvd, s.dim, 0.3)
		add(p+"attn_output.weight", s.dim, q, 0.3)
		add(p+"ffn_gate.weight", s.hidden, s.dim, 0.3)
		add(p+"ffn_up.weight", s.hidden, s.dim, 0.3)
		add(p+"ffn_down.weight", s.dim, s.hidden, 0.3)
		if s.arch == "qwen2" {
			add(p+"attn_q.bias", 1, q, 0.5)
			add(p+"attn_k.bias", 1, kvd, 0.5)
			add(p+"attn_v.bias", 1, kvd, 0.5)
		}
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := gguf.Write(path, kv, ts); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkAgainstReference runs a prompt batched and token by token and
// compares every logit with the float64 reference forward.
func checkAgainstReference(t *testing.T, m *Model, name string) {
	t.Helper()
	toks := []int{1, 5, 9, 2, 30, 7, 7, 11, 40, 3}
	ref := referenceForward(m, toks)
	V := m.Config.VocabSize
	s := m.NewSession(0)
	all, err := s.ForwardAll(toks, 0)
	if err != nil {
		t.Fatal(err)
	}
	s2 := m.NewSession(16)
	ref16 := referenceForwardCtx(m, toks, s2.Context())
	for i := range toks {
		if d := maxDiff(all[i*V:(i+1)*V], ref[i]); d > 2e-3 {
			t.Fatalf("%s: batched position %d differs from reference by %g", name, i, d)
		}
		l, err := s2.Forward(toks[i:i+1], i)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(l, ref16[i]); d > 2e-3 {
			t.Fatalf("%s: cached position %d differs from reference by %g", name, i, d)
		}
	}
}

func TestSyntheticGGUF(t *testing.T) {
	base := synth{arch: "llama", dim: 64, hidden: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 50}
	cases := map[string]func(s *synth){
		"f32":  func(s *synth) {},
		"q8_0": func(s *synth) { s.types = map[string]quant.Type{".weight": quant.Q8_0, "norm.weight": quant.F32} },
		"q4_1 in place": func(s *synth) {
			s.types = map[string]quant.Type{"ffn_up.weight": quant.Q4_1, "attn_k.weight": quant.Q4_1}
		},
		"q4_0": func(s *synth) {
			s.types = map[string]quant.Type{"_q.weight": quant.Q4_0, "ffn_down.weight": quant.Q4_0, "ffn_up.weight": quant.Q8_0}
		},
		"f16+bf16+tied": func(s *synth) {
			s.types = map[string]quant.Type{"attn_v.weight": quant.F16, "ffn_gate.weight": quant.BF16, "token_embd.weight": quant.F16}
			s.tied = true
		},
		"rope_freqs+linear": func(s *synth) {
			s.ropeFreqs = true
			s.extraKV = []gguf.KV{{Key: "llama.rope.scaling.type", Value: gguf.Value{Data: "linear"}}, {Key: "llama.rope.scaling.factor", Value: gguf.Value{Data: float32(4)}}}
		},
		"yarn": func(s *synth) {
			s.extraKV = []gguf.KV{{Key: "llama.rope.scaling.type", Value: gguf.Value{Data: "yarn"}}, {Key: "llama.rope.scaling.factor", Value: gguf.Value{Data: float32(4)}},
				{Key: "llama.rope.scaling.original_context_length", Value: gguf.Value{Data: uint32(16)}}}
		},
		"qwen2": func(s *synth) { s.arch = "qwen2"; s.types = map[string]quant.Type{"attn_output.weight": quant.Q8_0} },
	}
	for name, f := range cases {
		s := base
		f(&s)
		m, err := Load(writeSynth(t, s), Options{Threads: 2})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "qwen2" && (!m.Config.RoPE.Neox || m.Blocks[0].BQ == nil) {
			t.Fatalf("qwen2 config %+v", m.Config)
		}
		if name == "q4_1 in place" && (len(m.Info.Dequantized) != 0 || m.Blocks[0].Up.Type != quant.Q4_1) {
			t.Fatalf("dequantized %v, ffn_up %v", m.Info.Dequantized, m.Blocks[0].Up.Type)
		}
		if name == "f16+bf16+tied" && (len(m.Info.Dequantized) != 0 || m.Blocks[0].Gate.Type != quant.BF16 || !m.Config.Tied) {
			t.Fatalf("dequantized %v tied %v", m.Info.Dequantized, m.Config.Tied)
		}
		if name == "rope_freqs+linear" && (len(m.Config.RoPE.FreqFactors) != 8 || m.Config.RoPE.Factor != 4) {
			t.Fatalf("rope %+v", m.Config.RoPE)
		}
		if name == "yarn" {
			inv, mag, err := m.Config.RoPE.freqs(m.Config.ContextLen)
			// ggml: magnitude 1+0.1·ln(factor); the fastest pair keeps θ_0 = 1.
			if err != nil || math.Abs(mag-(1+0.1*math.Log(4))) > 1e-12 || math.Abs(inv[0]-1) > 1e-12 {
				t.Fatalf("yarn: inv %v mag %v err %v", inv, mag, err)
			}
		}
		m.FloatActivations = true // the reference is the float path
		checkAgainstReference(t, m, name)
		m.FloatActivations, m.QuantizeActivations = false, true
		checkQuantizedActivations(t, m, name)
		m.Close()
	}
}

func TestGGUFErrors(t *testing.T) {
	base := synth{arch: "llama", dim: 32, hidden: 48, layers: 1, heads: 2, kvHeads: 2, vocab: 20}
	s := base
	s.arch = "mamba"
	if _, err := Load(writeSynth(t, s), Options{}); err == nil || !strings.Contains(err.Error(), `unsupported architecture "mamba" (supported: bloom, gemma, gemma2, gpt2, gptneox, llama, olmo2, phi2, phi3, qwen2, stablelm, starcoder2)`) {
		t.Errorf("mamba: %v", err)
	}
	s = base
	s.wrongShape = true
	if _, err := Load(writeSynth(t, s), Options{}); err == nil || !strings.Contains(err.Error(), "blk.0.attn_k.weight") || !strings.Contains(err.Error(), "m.gguf") {
		t.Errorf("wrong shape: %v", err)
	}
	s = base
	s.extraKV = []gguf.KV{{Key: "llama.rope.scaling.type", Value: gguf.Value{Data: "longrope"}}}
	if _, err := Load(writeSynth(t, s), Options{}); err == nil || !strings.Contains(err.Error(), "longrope") {
		t.Errorf("longrope: %v", err)
	}
}

// quantize encodes v as typ (plain test code following ggml's reference
// quantizers).
func quantize(typ quant.Type, v []float32) []byte {
	var out []byte
	le := binary.LittleEndian
	switch typ {
	case quant.F32:
		for _, x := range v {
			out = le.AppendUint32(out, math.Float32bits(x))
		}
	case quant.F16:
		for _, x := range v {
			out = le.AppendUint16(out, quant.F32ToF16(x))
		}
	case quant.BF16:
		for _, x := range v {
			out = le.AppendUint16(out, uint16(math.Float32bits(x)>>16))
		}
	case quant.Q8_0:
		for b := 0; b < len(v); b += 32 {
			var amax float32
			for _, x := range v[b : b+32] {
				amax = max(amax, float32(math.Abs(float64(x))))
			}
			d := amax / 127
			out = le.AppendUint16(out, quant.F32ToF16(d))
			for _, x := range v[b : b+32] {
				q := 0.0
				if d != 0 {
					q = math.Round(float64(x / d))
				}
				out = append(out, byte(int8(q)))
			}
		}
	case quant.Q4_0:
		for b := 0; b < len(v); b += 32 {
			var amax, mx float32
			for _, x := range v[b : b+32] {
				if a := float32(math.Abs(float64(x))); a > amax {
					amax, mx = a, x
				}
			}
			d := mx / -8
			id := float32(0)
			if d != 0 {
				id = 1 / d
			}
			out = le.AppendUint16(out, quant.F32ToF16(d))
			for j := 0; j < 16; j++ {
				q0 := min(15, int(v[b+j]*id+8.5))
				q1 := min(15, int(v[b+16+j]*id+8.5))
				out = append(out, byte(q0)|byte(q1)<<4)
			}
		}
	case quant.Q4_1:
		for b := 0; b < len(v); b += 32 {
			lo, hi := v[b], v[b]
			for _, x := range v[b : b+32] {
				lo, hi = min(lo, x), max(hi, x)
			}
			d := (hi - lo) / 15
			id := float32(0)
			if d != 0 {
				id = 1 / d
			}
			out = le.AppendUint16(out, quant.F32ToF16(d))
			out = le.AppendUint16(out, quant.F32ToF16(lo))
			for j := 0; j < 16; j++ {
				q0 := min(15, int((v[b+j]-lo)*id+0.5))
				q1 := min(15, int((v[b+16+j]-lo)*id+0.5))
				out = append(out, byte(q0)|byte(q1)<<4)
			}
		}
	default:
		panic("quantize: unsupported type")
	}
	return out
}

// checkQuantizedActivations decodes token by token with activations
// quantized to Q8_0 (llama.cpp's path) and checks that the logits stay
// within 10% of the logit range of the float64 reference (the random
// test weights amplify the 8-bit error; TestLlama2CVersion2 checks the
// accuracy on a real model).
func checkQuantizedActivations(t *testing.T, m *Model, name string) {
	t.Helper()
	toks := []int{1, 5, 9, 2, 30, 7, 7, 11, 40, 3}
	ref := referenceForward(m, toks)
	s := m.NewSession(16)
	for i := range toks {
		l, err := s.Forward(toks[i:i+1], i)
		if err != nil {
			t.Fatal(err)
		}
		var scale float64
		for _, v := range ref[i] {
			scale = math.Max(scale, math.Abs(v))
		}
		if d := maxDiff(l, ref[i]); d > 0.1*scale {
			t.Fatalf("%s: quantized activations: position %d differs by %g (logit scale %g)", name, i, d, scale)
		}
	}
}
