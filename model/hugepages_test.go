package model

import (
	"testing"

	"github.com/llmparts/llmparts/internal/testdata"
)

// TestCopyToHugePages checks that moving the weights out of the file
// mapping changes no logit.
func TestCopyToHugePages(t *testing.T) {
	m, err := Load(testdata.Path(t, "llama2c/stories260K.bin"), Options{Threads: 2, KeepMapped: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	toks := []int{1, 40, 300, 7, 511}
	want, err := m.NewSession(0).ForwardAll(toks, 0)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]float32(nil), want...)
	if !m.copyToHugePages() {
		t.Skip("no anonymous mapping for huge pages on this system")
	}
	got, err := m.NewSession(0).ForwardAll(toks, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("logit %d: %v after the copy, %v before", i, got[i], want[i])
		}
	}
}
