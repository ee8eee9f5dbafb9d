package llama2c_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"math"

	"github.com/llmparts/llmparts/format/llama2c"
)

// Parse a tiny legacy (version 0) checkpoint built in memory: a header of
// seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
// seq_len; a positive vocab_size means the classifier shares the token
// embedding) followed by float32 weights, token embedding first.
func Example() {
	dim, hidden, layers, heads, kvHeads, vocab, seq := 4, 8, 1, 2, 2, 3, 2
	var b []byte
	for _, v := range []int{dim, hidden, layers, heads, kvHeads, vocab, seq} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	headSize := dim / heads
	n := vocab*dim + layers*(dim+4*dim*dim+dim+3*dim*hidden) + dim + seq*headSize // + freq_cis (real, imag halves)
	for i := range n {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i)/10))
	}
	ck, err := llama2c.Parse(b, "tiny.bin")
	if err != nil {
		log.Fatal(err)
	}
	c := ck.Config
	fmt.Printf("version %d: dim %d, hidden %d, %d layer, %d heads (%d kv), vocab %d, seq %d, shared classifier %v\n",
		c.Version, c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKVHeads, c.VocabSize, c.SeqLen, c.SharedClassifier)
	e := ck.TokenEmbedding
	fmt.Println(e.Name, e.Rows, e.Cols, e.F32[e.Cols:2*e.Cols]) // token 1's embedding
	fmt.Println(ck.Layers[0].WQ.Name, ck.Layers[0].WQ.F32[0], ck.Classifier.Name)
	// Output:
	// version 0: dim 4, hidden 8, 1 layer, 2 heads (2 kv), vocab 3, seq 2, shared classifier true
	// tok_embeddings 3 4 [0.4 0.5 0.6 0.7]
	// layers.0.attention.wq 1.6 output (shared with tok_embeddings)
}
