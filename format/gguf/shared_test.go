package gguf

import (
	"bytes"
	"encoding/binary"
	"github.com/llmparts/llmparts/quant"
	"os"
	"slices"
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// The expected values below were read from the files with an independent
// 30-line Python struct parser.

func TestOpenTinyLlama(t *testing.T) {
	f, err := Open(testdata.Path(t, "gguf/llama-2-tiny-random.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Version != 3 || len(f.Tensors) != 12 || len(f.KV) != 18 {
		t.Fatalf("version %d, %d tensors, %d kvs; want 3, 12, 18", f.Version, len(f.Tensors), len(f.KV))
	}
	if f.Architecture() != "llama" {
		t.Errorf("architecture %q", f.Architecture())
	}
	if s, _ := f.String("general.name"); s != "LLaMA v2" {
		t.Errorf("general.name %q", s)
	}
	for key, want := range map[string]uint64{
		"llama.context_length": 4096, "llama.embedding_length": 8, "llama.block_count": 1,
		"llama.feed_forward_length": 32, "llama.rope.dimension_count": 4, "llama.attention.head_count": 2,
		"llama.attention.head_count_kv": 2, "general.file_type": 1, "tokenizer.ggml.bos_token_id": 1,
		"tokenizer.ggml.eos_token_id": 2, "tokenizer.ggml.unknown_token_id": 0,
	} {
		if got, ok := f.Uint(key); !ok || got != want {
			t.Errorf("%s = %d, %v; want %d", key, got, ok, want)
		}
	}
	if eps, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); !ok || float32(eps) != 1e-5 {
		t.Errorf("rms eps %v %v", eps, ok)
	}
	toks, ok1 := f.Strings("tokenizer.ggml.tokens")
	scores, ok2 := f.Float32s("tokenizer.ggml.scores")
	types, ok3 := f.Int32s("tokenizer.ggml.token_type")
	if !ok1 || !ok2 || !ok3 || len(toks) != 32000 || len(scores) != 32000 || len(types) != 32000 {
		t.Fatalf("vocab arrays: %d %d %d", len(toks), len(scores), len(types))
	}
	if toks[0] != "<unk>" || toks[1] != "<s>" || toks[2] != "</s>" || toks[258] != "<0xFF>" || toks[259] != "▁▁" || toks[31999] != "给" {
		t.Errorf("tokens %q %q %q %q %q %q", toks[0], toks[1], toks[2], toks[258], toks[259], toks[31999])
	}
	if scores[259] != -1e9 || scores[260] != -1 || scores[31999] != -31740 {
		t.Errorf("scores %v %v %v", scores[259], scores[260], scores[31999])
	}
	if types[0] != 2 || types[1] != 3 || types[258] != 6 || types[259] != 1 {
		t.Errorf("token types %v", types[:4])
	}
	if f.DataOffset != 724416 { // 724398 rounded up to 32
		t.Errorf("data offset %d", f.DataOffset)
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || emb.Type != TypeF16 || len(emb.Shape) != 2 || emb.Shape[0] != 8 || emb.Shape[1] != 32000 || emb.Size != 512000 || emb.Elements() != 256000 {
		t.Fatalf("token_embd.weight %+v", emb)
	}
	out, _ := f.Tensor("output.weight")
	if out.Offset != 514144 {
		t.Errorf("output.weight offset %d", out.Offset)
	}
	norm, _ := f.Tensor("output_norm.weight")
	if norm.Type != TypeF32 || norm.Size != 32 || norm.Rows() != 1 {
		t.Errorf("output_norm.weight %+v", norm)
	}
	data, err := f.TensorData("output.weight")
	if err != nil || len(data) != 512000 {
		t.Fatalf("TensorData: %v, %d bytes", err, len(data))
	}
	if int64(out.Offset)+f.DataOffset+int64(out.Size) != f.Size {
		t.Errorf("last tensor does not end the file")
	}
	if _, err := f.TensorData("nope"); err == nil {
		t.Error("TensorData of a missing tensor succeeded")
	}
}

func TestOpenVocabFiles(t *testing.T) {
	cases := []struct {
		file, arch, model string
		tokens, merges    int
	}{
		{"baichuan", "baichuan", "llama", 64000, 0},
		{"bert-bge", "bert", "bert", 30522, 0},
		{"deepseek-coder", "llama", "gpt2", 32256, 31757},
		{"deepseek-llm", "llama", "gpt2", 102400, 99757},
		{"falcon", "falcon", "gpt2", 65024, 64784},
		{"gpt-2", "gpt2", "gpt2", 50257, 50000},
		{"gpt-neox", "gptneox", "gpt2", 50432, 50009},
		{"llama-spm", "llama", "llama", 32000, 0},
		{"mpt", "mpt", "gpt2", 50432, 50009},
		{"phi-3", "phi3", "llama", 32064, 0},
		{"refact", "refact", "gpt2", 49216, 48891},
		{"starcoder", "starcoder2", "gpt2", 49152, 48872},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := Open(testdata.Path(t, "vocab/ggml-vocab-"+c.file+".gguf"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Architecture() != c.arch || len(f.Tensors) != 0 {
				t.Errorf("arch %q, %d tensors", f.Architecture(), len(f.Tensors))
			}
			if m, _ := f.String("tokenizer.ggml.model"); m != c.model {
				t.Errorf("tokenizer model %q", m)
			}
			toks, _ := f.Strings("tokenizer.ggml.tokens")
			merges, _ := f.Strings("tokenizer.ggml.merges")
			if len(toks) != c.tokens || len(merges) != c.merges {
				t.Errorf("%d tokens, %d merges; want %d, %d", len(toks), len(merges), c.tokens, c.merges)
			}
		})
	}
	if m, _ := f0(t).Strings("tokenizer.ggml.merges"); len(m) > 0 && m[0] != "Ġ t" {
		t.Errorf("gpt-2 first merge %q", m[0])
	}
}

func f0(t *testing.T) *File {
	f, err := Open(testdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReadMatchesOpen(t *testing.T) {
	path := testdata.Path(t, "gguf/llama-2-tiny-random.gguf")
	mf, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	st, _ := osf.Stat()
	rf, err := Read(osf, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.KV) != len(mf.KV) || len(rf.Tensors) != len(mf.Tensors) || rf.DataOffset != mf.DataOffset {
		t.Fatalf("Read and Open disagree")
	}
	a, _ := rf.Strings("tokenizer.ggml.tokens")
	b, _ := mf.Strings("tokenizer.ggml.tokens")
	if !slices.Equal(a, b) {
		t.Error("token lists differ")
	}
	for _, ti := range mf.Tensors {
		x, err1 := mf.TensorData(ti.Name)
		y, err2 := rf.TensorData(ti.Name)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: data differs (%v, %v)", ti.Name, err1, err2)
		}
	}
}

func TestTinyDequantizeAndStats(t *testing.T) {
	f, err := Open(testdata.Path(t, "gguf/llama-2-tiny-random.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := f.ParamCount(); n != 513048 {
		t.Errorf("ParamCount %d", n)
	}
	st := f.TypeStats()
	if len(st) != 2 || st[0].Type != TypeF32 || st[0].Tensors != 3 || st[0].Elements != 24 || st[0].Bytes != 96 ||
		st[1].Type != TypeF16 || st[1].Tensors != 9 || st[1].Elements != 513024 || st[1].Bytes != 1026048 {
		t.Errorf("TypeStats %+v", st)
	}
	raw, _ := f.TensorData("output.weight")
	y, err := f.Dequantize("output.weight")
	if err != nil || len(y) != 256000 {
		t.Fatalf("Dequantize: %v, %d", err, len(y))
	}
	for _, i := range []int{0, 1, 12345, 255999} {
		if want := quant.F16ToF32(binary.LittleEndian.Uint16(raw[2*i:])); y[i] != want {
			t.Errorf("element %d: %v, want %v", i, y[i], want)
		}
	}
	if _, err := f.Dequantize("missing"); err == nil {
		t.Error("Dequantize of a missing tensor succeeded")
	}
}
