package model

import (
	"github.com/llmparts/llmparts/quant"

	"math"
	"testing"

	"github.com/llmparts/llmparts/format/llama2c"
	"github.com/llmparts/llmparts/internal/testdata"
	"github.com/llmparts/llmparts/tokenizer"
)

// q8Groups quantizes t like llama2.c's export.py version 2.
func q8Groups(t llama2c.Tensor, g int) llama2c.Tensor {
	v := t.F32
	q := make([]int8, len(v))
	sc := make([]float32, len(v)/g)
	for b := range sc {
		var amax float32
		for _, x := range v[b*g : (b+1)*g] {
			amax = max(amax, float32(math.Abs(float64(x))))
		}
		s := amax / 127
		sc[b] = s
		for j, x := range v[b*g : (b+1)*g] {
			if s != 0 {
				q[b*g+j] = int8(math.Round(float64(x / s)))
			}
		}
	}
	return llama2c.Tensor{Name: t.Name, Rows: t.Rows, Cols: t.Cols, Q: q, Scales: sc, GroupSize: g}
}

// TestLlama2CVersion2 quantizes stories260K as a version 2 file would be
// and checks the Q8_0 re-packing: dims that are multiples of 32 become
// Q8_0 tensors (hidden 172 is not, so w2 is dequantized), the result runs
// like the reference on the same weights and stays close to F32.
func TestLlama2CVersion2(t *testing.T) {
	ck, err := llama2c.Open(testdata.Path(t, "llama2c/stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	f32, err := FromLlama2C(ck)
	if err != nil {
		t.Fatal(err)
	}
	defer f32.Close()
	q := *ck
	q.Version, q.GroupSize = 2, 32
	q.TokenEmbedding = q8Groups(ck.TokenEmbedding, 32)
	q.Classifier = q.TokenEmbedding
	q.Layers = make([]llama2c.Layer, len(ck.Layers))
	for i, l := range ck.Layers {
		q.Layers[i] = llama2c.Layer{AttnNorm: l.AttnNorm, FFNNorm: l.FFNNorm,
			WQ: q8Groups(l.WQ, 32), WK: q8Groups(l.WK, 32), WV: q8Groups(l.WV, 32), WO: q8Groups(l.WO, 32),
			W1: q8Groups(l.W1, 32), W2: q8Groups(l.W2, 32), W3: q8Groups(l.W3, 32)}
	}
	m, err := FromLlama2C(&q)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.SetThreads(2)
	if m.Blocks[0].WQ.Type != quant.Q8_0 || m.Blocks[0].Down.Type != quant.F32 || len(m.Info.Dequantized) != 5 {
		t.Fatalf("types %v %v, dequantized %v", m.Blocks[0].WQ.Type, m.Blocks[0].Down.Type, m.Info.Dequantized)
	}
	// The re-packed values equal the group values up to the float16
	// rounding of the scales.
	want, got := q.Layers[2].WK.Dequantize(), m.Blocks[2].WK.Float32()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-3*math.Abs(float64(want[i]))+1e-7 {
			t.Fatalf("wk[%d] = %v want %v", i, got[i], want[i])
		}
	}
	ref := referenceForward(m, storyPrompt)
	s := m.NewSession(0)
	f32s := f32.NewSession(0)
	for i, tok := range storyPrompt {
		l, err := s.Forward([]int{tok}, i)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(l, ref[i]); d > 1e-3 {
			t.Fatalf("position %d differs from reference by %g", i, d)
		}
		lf, _ := f32s.Forward([]int{tok}, i)
		if argmax(l) != argmax(lf) && i > 0 {
			t.Logf("position %d: Q8 argmax %d, F32 %d", i, argmax(l), argmax(lf))
		}
	}

	// Per-token NLL of the story: F32, Q8_0 weights, and Q8_0 weights with
	// activations quantized to Q8_0 (llama.cpp's path) stay close.
	tok, err := tokenizer.LoadLlama2C(testdata.Path(t, "llama2c/tok512.bin"))
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := tok.Encode(story, tokenizer.EncodeOptions{AddBOS: true})
	cachedNLL := func(m *Model) float64 {
		s := m.NewSession(len(ids))
		var nll float64
		for i := 0; i+1 < len(ids); i++ {
			l, err := s.Forward(ids[i:i+1], i)
			if err != nil {
				t.Fatal(err)
			}
			mx := math.Inf(-1)
			for _, v := range l {
				mx = math.Max(mx, float64(v))
			}
			var z float64
			for _, v := range l {
				z += math.Exp(float64(v) - mx)
			}
			nll += mx + math.Log(z) - float64(l[ids[i+1]])
		}
		return nll / float64(len(ids)-1)
	}
	nF32 := cachedNLL(f32)
	nQ8 := cachedNLL(m)
	m.QuantizeActivations = true
	nQ8Q8 := cachedNLL(m)
	t.Logf("NLL nats/token: F32 %.4f, Q8_0 %.4f, Q8_0 with Q8 activations %.4f", nF32, nQ8, nQ8Q8)
	if math.Abs(nQ8-nF32) > 0.05 || math.Abs(nQ8Q8-nF32) > 0.08 {
		t.Fatalf("NLL F32 %.4f, Q8_0 %.4f, Q8_0·Q8 %.4f: quantization costs too much", nF32, nQ8, nQ8Q8)
	}
}
