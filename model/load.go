package model

import (
	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/quant"

	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/llmparts/llmparts/format/llama2c"
)

// Options controls Load.
type Options struct {
	// Threads is the number of goroutines for forward passes
	// (0 = GOMAXPROCS).
	Threads int
	// QuantizeActivations and FloatActivations set the Model fields of the
	// same names: every quantized type on llama.cpp's integer path
	// (activations quantized per block), or every type on the float path.
	// With neither, each type takes its measured default
	// (quant.Kernels.PreferInt).
	QuantizeActivations, FloatActivations bool
	// MatchGGML sets Model.MatchGGML: attention, RoPE and SiLU in
	// llama.cpp's own float32 arithmetic (slower).
	MatchGGML bool
	// KeepMapped leaves the weight matrices of a memory-mapped file where
	// they are. By default (on Linux, for at least 16 MiB of weights) they
	// are copied into anonymous memory advised for transparent huge pages:
	// decoding streams every weight once per token, and 4 KiB pages of the
	// file mapping cost a TLB miss each (measured +10–20% decode speed on a
	// 134M-parameter F32 model). The copy costs about 1 s of page faults
	// per 500 MB at load, so tools that run no forward pass set it.
	KeepMapped bool
}

// Load opens a model, detecting its format: a directory is a trainer
// checkpoint or a Hugging Face folder (DIR/current names the subfolder,
// else DIR itself; see LoadFS), a file
// starting with "GGUF" is a GGUF model, anything else a llama2.c
// checkpoint.
func Load(path string, opts Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var m *Model
	if st.IsDir() {
		m, err = LoadFS(os.DirFS(path), path)
	} else {
		var magic [4]byte
		f, _, err2 := safeio.Open(path)
		if err2 != nil {
			return nil, fmt.Errorf("model: %w", err2)
		}
		_, err2 = io.ReadFull(f, magic[:])
		f.Close()
		if err2 != nil {
			return nil, fmt.Errorf("model: %s: file too short to be a model (%v)", path, err2)
		}
		if bytes.Equal(magic[:], []byte("GGUF")) {
			m, err = loadGGUF(path)
		} else {
			m, err = loadLlama2C(path)
		}
	}
	if err != nil {
		return nil, err
	}
	if m.Info.Mapped && !opts.KeepMapped && m.weightBytes() >= 16<<20 {
		m.Info.HugePages = m.copyToHugePages()
	}
	m.SetThreads(opts.Threads)
	m.QuantizeActivations = opts.QuantizeActivations
	m.FloatActivations = opts.FloatActivations && !opts.QuantizeActivations
	m.MatchGGML = opts.MatchGGML
	return m, nil
}

func loadLlama2C(path string) (*Model, error) {
	ck, err := llama2c.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := FromLlama2C(ck)
	if err != nil {
		ck.Close()
		return nil, err
	}
	m.closer = ck.Close
	m.Info.Path = path
	return m, nil
}

// FromLlama2C builds a model over an opened llama2.c checkpoint (its
// weights are used in place; version 2 Q8_0 weights are dequantized).
func FromLlama2C(ck *llama2c.Checkpoint) (*Model, error) {
	c := ck.Config
	cfg := Config{
		Arch: "llama", Dim: c.Dim, HiddenDim: c.HiddenDim, NLayers: c.NLayers, NHeads: c.NHeads,
		NKVHeads: c.NKVHeads, HeadDim: c.HeadSize(), VocabSize: c.VocabSize, ContextLen: c.SeqLen,
		NormEps: 1e-5, Norm: RMSNorm, Pos: PosRoPE, MLP: SwiGLU,
		RoPE: RoPE{Base: 10000, Dim: c.HeadSize()}, Tied: c.SharedClassifier,
	}
	src := llama2cSource{}
	var deq []string
	add := func(name string, t llama2c.Tensor) {
		if t.Q != nil {
			if t.GroupSize == 32 && t.Cols%32 == 0 {
				src[name] = q8FromGroups(t)
				return
			}
			deq = append(deq, fmt.Sprintf("%s (Q8 group %d)", t.Name, t.GroupSize))
		}
		src[name] = NewF32(t.Name, t.Rows, t.Cols, t.Dequantize())
	}
	// llama2.c's tensors under their GGUF names, so that one binder serves
	// both formats.
	add(TokenEmbd.GGUFName(0)+".weight", ck.TokenEmbedding)
	if !c.SharedClassifier {
		add(Output.GGUFName(0)+".weight", ck.Classifier)
	}
	add(OutputNorm.GGUFName(0)+".weight", ck.FinalNorm)
	for i, l := range ck.Layers {
		for r, t := range map[Role]llama2c.Tensor{AttnNorm: l.AttnNorm, FFNNorm: l.FFNNorm, AttnQ: l.WQ, AttnK: l.WK,
			AttnV: l.WV, AttnOut: l.WO, FFNGate: l.W1, FFNUp: l.W3, FFNDown: l.W2} {
			add(r.GGUFName(i)+".weight", t)
		}
	}
	fam, _ := LookupFamily("llama")
	b := binder{f: fam, c: &cfg, src: src, file: ck.Path, name: func(r Role, i int) string { return r.GGUFName(i) }}
	m, err := b.bind()
	if err != nil {
		return nil, err
	}
	m.Info.Format = "llama2c"
	if c.Version > 0 {
		m.Info.Format = fmt.Sprintf("llama2c-v%d", c.Version)
	}
	m.Info.Mapped = ck.Mapped
	m.Info.Dequantized = deq
	if err := m.check(ck.Path); err != nil {
		return nil, err
	}
	return m, nil
}

// llama2cSource holds a llama2.c checkpoint's tensors by GGUF name.
type llama2cSource map[string]*Tensor

func (s llama2cSource) get(name string) (*Tensor, error) { return s[name], nil }

// q8FromGroups re-packs a llama2.c version 2 tensor quantized in groups of
// 32 (int8 values, then float32 scales) as ggml Q8_0 blocks (float16 scale
// then the 32 values), rounding each scale to float16.
func q8FromGroups(t llama2c.Tensor) *Tensor {
	nb, bb := len(t.Q)/quant.QK, quant.Q8_0.BlockBytes()
	raw := make([]byte, nb*bb)
	for b := 0; b < nb; b++ {
		blk := raw[b*bb : (b+1)*bb]
		h := quant.F32ToF16(t.Scales[b])
		blk[0], blk[1] = byte(h), byte(h>>8)
		for j, q := range t.Q[b*quant.QK : (b+1)*quant.QK] {
			blk[2+j] = byte(q)
		}
	}
	return &Tensor{Name: t.Name, Type: quant.Q8_0, Rows: t.Rows, Cols: t.Cols, Raw: raw}
}
