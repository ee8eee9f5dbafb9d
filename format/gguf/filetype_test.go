package gguf

import (
	"strings"
	"testing"
)

// TestFileTypes checks the table against llama.cpp's LLAMA_FTYPE_* values
// (include/llama.h) and that every listed name has a value.
func TestFileTypes(t *testing.T) {
	want := map[string]uint32{"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7, "q5_0": 8, "q5_1": 9, "q2_k": 10,
		"q3_k": 11, "q4_k": 14, "q5_k": 16, "q6_k": 18, "iq4_nl": 25, "iq4_xs": 30, "bf16": 32}
	names := strings.Split(FileTypeNames(), ", ")
	if len(names) != len(want) {
		t.Fatalf("FileTypeNames() = %q, want %d names", FileTypeNames(), len(want))
	}
	for i, n := range names {
		ft, ok := FileType(fileTypeOrder[i])
		if w, known := want[n]; !ok || !known || ft != w {
			t.Errorf("%s: file type %d (%v), want %d", n, ft, ok, w)
		}
	}
}
