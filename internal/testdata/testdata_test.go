package testdata

import (
	"os"
	"testing"
)

func TestPathFindsSharedCorpus(t *testing.T) {
	p := Path(t, "corpus/tinyshakespeare.txt")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 1<<20 {
		t.Fatalf("%s is %d bytes, want the 1.1 MB corpus", p, st.Size())
	}
}
