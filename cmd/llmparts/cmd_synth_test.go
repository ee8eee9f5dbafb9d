package main

import (
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
)

func TestSynthTinyQ8_0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	args := []string{"-o", path, "--dim", "64", "--hidden", "96", "--layers", "2", "--heads", "4", "--kv-heads", "2",
		"--vocab", "300", "--ctx", "128", "--type", "q8_0", "--seed", "5"}
	if err := execute(append([]string{"synth"}, args...)); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Architecture() != "llama" {
		t.Errorf("architecture %q", f.Architecture())
	}
	for key, want := range map[string]uint64{
		"llama.context_length": 128, "llama.embedding_length": 64, "llama.block_count": 2,
		"llama.feed_forward_length": 96, "llama.attention.head_count": 4, "llama.attention.head_count_kv": 2,
		"llama.rope.dimension_count": 16, "general.file_type": 7, "tokenizer.ggml.bos_token_id": 1,
		"tokenizer.ggml.eos_token_id": 2, "tokenizer.ggml.unknown_token_id": 0,
	} {
		if got, ok := f.Uint(key); !ok || got != want {
			t.Errorf("%s = %d (%v), want %d", key, got, ok, want)
		}
	}
	if v, _ := f.Float("llama.rope.freq_base"); v != 10000 {
		t.Errorf("freq_base %v", v)
	}
	if v, _ := f.Float("llama.attention.layer_norm_rms_epsilon"); float32(v) != 1e-5 {
		t.Errorf("eps %v", v)
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	scores, _ := f.Float32s("tokenizer.ggml.scores")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	if len(toks) != 300 || len(scores) != 300 || len(types) != 300 {
		t.Fatalf("vocab sizes %d %d %d", len(toks), len(scores), len(types))
	}
	if toks[0] != "<unk>" || toks[1] != "<s>" || toks[2] != "</s>" || toks[3] != "<0x00>" || toks[3+0x0a] != "<0x0A>" || toks[258] != "<0xFF>" || toks[259] != "▁a" || toks[260] != "a" {
		t.Errorf("tokens %q", toks[:4])
	}
	if types[0] != 2 || types[1] != 3 || types[2] != 3 || types[3] != 6 || types[258] != 6 || types[259] != 1 || types[299] != 1 {
		t.Errorf("token types wrong")
	}
	if scores[259] != 0 || scores[260] != -1 || scores[299] != -40 {
		t.Errorf("scores %v %v %v", scores[259], scores[260], scores[299])
	}
	seen := map[string]bool{}
	for _, s := range toks {
		if seen[s] {
			t.Fatalf("duplicate token %q", s)
		}
		seen[s] = true
	}

	shapes := map[string][]uint64{
		"token_embd.weight": {64, 300}, "output.weight": {64, 300}, "output_norm.weight": {64},
		"blk.1.attn_norm.weight": {64}, "blk.1.attn_q.weight": {64, 64}, "blk.1.attn_k.weight": {64, 32},
		"blk.1.attn_v.weight": {64, 32}, "blk.1.attn_output.weight": {64, 64}, "blk.1.ffn_norm.weight": {64},
		"blk.1.ffn_gate.weight": {64, 96}, "blk.1.ffn_up.weight": {64, 96}, "blk.1.ffn_down.weight": {96, 64},
	}
	if len(f.Tensors) != 3+2*9 {
		t.Errorf("%d tensors", len(f.Tensors))
	}
	for name, shape := range shapes {
		ti, ok := f.Tensor(name)
		if !ok {
			t.Errorf("missing %s", name)
			continue
		}
		wantType := quant.Q8_0
		if len(shape) == 1 {
			wantType = quant.F32
		}
		if ti.Type != wantType || len(ti.Shape) != len(shape) || ti.Shape[0] != shape[0] || (len(shape) > 1 && ti.Shape[1] != shape[1]) {
			t.Errorf("%s: %v %v, want %v %v", name, ti.Type, ti.Shape, wantType, shape)
		}
	}
	norm, err := f.Dequantize("blk.0.ffn_norm.weight")
	if err != nil || norm[0] != 1 || norm[63] != 1 {
		t.Errorf("norm %v %v", err, norm)
	}

	// The Q8_0 weights dequantize close to the generated N(0, 0.02) values.
	var c synthConfig
	for i, st := range (&synthConfig{Dim: 64, Hidden: 96, Layers: 2, Heads: 4, KVHeads: 2, Vocab: 300, Type: quant.Q8_0}).tensors() {
		if st.name != "blk.1.ffn_down.weight" {
			continue
		}
		r := synthRand(5, i)
		got, err := f.Dequantize(st.name)
		if err != nil {
			t.Fatal(err)
		}
		var sum, sumsq float64
		for j, y := range got {
			x := float32(r.NormFloat64() * synthStd)
			if d := math.Abs(float64(x - y)); d > 0.2/127+1e-4 { // ≤ half a step of max|x| (< 0.2 here)
				t.Fatalf("element %d: generated %v, file has %v", j, x, y)
			}
			sum += float64(x)
			sumsq += float64(x) * float64(x)
		}
		n := float64(len(got))
		if std := math.Sqrt(sumsq/n - (sum/n)*(sum/n)); math.Abs(std-0.02) > 0.001 {
			t.Errorf("weight std %v, want 0.02", std)
		}
		c.Seed = 1 // found
	}
	if c.Seed != 1 {
		t.Fatal("blk.1.ffn_down.weight not among the synth tensors")
	}
}

func TestSynthF32ExactAndDeterministic(t *testing.T) {
	dir := t.TempDir()
	cfg := synthConfig{Dim: 8, Hidden: 12, Layers: 1, Heads: 2, KVHeads: 1, Vocab: 259, Ctx: 16, Type: quant.F32, Seed: 9}
	a, b := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
	if err := writeSynth(a, cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := writeSynth(b, cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	fa, err := gguf.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, _ := gguf.Open(b)
	defer fb.Close()
	x, _ := fa.Dequantize("token_embd.weight")
	y, _ := fb.Dequantize("token_embd.weight")
	if len(x) != 8*259 {
		t.Fatalf("%d elements", len(x))
	}
	r := synthRand(9, 0)
	for i := range x {
		if want := float32(r.NormFloat64() * synthStd); x[i] != want || y[i] != want {
			t.Fatalf("element %d: %v, %v, want %v", i, x[i], y[i], want)
		}
	}
	k, _ := fa.Tensor("blk.0.attn_k.weight")
	if k.Shape[1] != 4 { // head dim 4 × 1 kv head
		t.Errorf("attn_k shape %v", k.Shape)
	}
}

func TestSynthValidation(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.gguf")
	base := []string{"-o", out, "--dim", "64", "--hidden", "96", "--heads", "4", "--vocab", "300"}
	for _, c := range []struct {
		extra []string
		want  string
	}{
		{[]string{"--heads", "5"}, "--heads 5 does not divide --dim 64"},
		{[]string{"--kv-heads", "3"}, "--kv-heads 3 does not divide --heads 4"},
		{[]string{"--heads", "64"}, "head dimension 1"},
		{[]string{"--vocab", "258"}, "at least 259"},
		{[]string{"--type", "q4_0", "--dim", "48", "--heads", "2"}, "--dim 48 must be a multiple of 32"},
		{[]string{"--type", "q8_0", "--hidden", "100"}, "--hidden 100 must be a multiple of 32"},
		{[]string{"--type", "q4_k"}, "--dim 64 must be a multiple of 256 for --type Q4_K"},
		{[]string{"--layers", "0"}, "--layers 0: must be positive"},
		{[]string{"--type", "iq2_xxs"}, `--type "iq2_xxs": want one of f32, f16, bf16`},
		{[]string{"--type", "q5_0", "--dim", "48", "--heads", "2"}, "--dim 48 must be a multiple of 32 for --type Q5_0"},
		// Each flag within its own limit, but a tensor list of GBs or a
		// file of petabytes.
		{[]string{"--layers", "16777216"}, "--layers 16777216: too large"},
		{[]string{"--dim", "16777216", "--vocab", "16777216"}, "more than the limit"},
		{[]string{"-o", filepath.Dir(out)}, "is a directory"},
	} {
		err := execute(append(append([]string{"synth"}, base...), c.extra...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.extra, err, c.want)
		}
	}
	if err := execute([]string{"synth", "--dim", "64"}); !isUsage(err) {
		t.Errorf("missing -o: %v", err)
	}
	if err := execute([]string{"synth", "-o", out, "--type", "q4_0", "--dim", "64", "--hidden", "64"}); err != nil {
		t.Errorf("valid q4_0: %v", err)
	}
}

func TestSynthAllTypes(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []quant.Type{quant.F32, quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_1, quant.Q5_0, quant.Q5_1, quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.IQ4_NL, quant.IQ4_XS} {
		ftype, ok := gguf.FileType(typ)
		if !ok {
			t.Fatalf("%v: no file type", typ)
		}
		path := filepath.Join(dir, typ.String()+".gguf")
		cfg := synthConfig{Dim: 32, Hidden: 64, Layers: 1, Heads: 2, KVHeads: 2, Vocab: 260, Ctx: 8, Type: typ, Seed: 3}
		if typ.BlockSize() == 256 {
			cfg.Dim, cfg.Hidden = 256, 512
		}
		if err := writeSynth(path, cfg, io.Discard); err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		if ft, _ := f.Uint("general.file_type"); ft != uint64(ftype) {
			t.Errorf("%v: file_type %d, want %d", typ, ft, ftype)
		}
		q, _ := f.Tensor("blk.0.attn_q.weight")
		x, err := f.Dequantize("blk.0.attn_q.weight")
		if q.Type != typ || err != nil || len(x) != cfg.Dim*cfg.Dim {
			t.Errorf("%v: attn_q %v, %v", typ, q.Type, err)
		}
		f.Close()
	}
}
