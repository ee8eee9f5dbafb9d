package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"strings"

	"github.com/llmparts/llmparts/format/safetensors"
)

// Write a safetensors file (an 8-byte header length, a JSON header of
// names, dtypes, shapes and byte offsets, then the raw little-endian
// data) to memory and read it back.
func Example() {
	w, err := safetensors.F32Tensor("model.norm.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, []*safetensors.Tensor{w}, map[string]string{"format": "pt"}); err != nil {
		log.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(buf.Bytes())
	fmt.Println(n, strings.TrimSpace(string(buf.Bytes()[8:8+n]))) // padded with spaces to 8 bytes
	fmt.Println(buf.Len(), "bytes in all")
	f, err := safetensors.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	t := f.Get("model.norm.weight")
	x, _ := t.Float32s()
	fmt.Println(t.DType, t.Shape, x)
	// Output:
	// 104 {"__metadata__":{"format":"pt"},"model.norm.weight":{"data_offsets":[0,24],"dtype":"F32","shape":[2,3]}}
	// 136 bytes in all
	// F32 [2 3] [1 2 3 4 5 6]
}
