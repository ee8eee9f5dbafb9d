package gguf

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestHostileAlignmentType (issue 14 item 17): a general.alignment of the
// wrong type says so, not "\"32\" is not a power of two". The file is
// written by hand: the Writer refuses such a key.
func TestHostileAlignmentType(t *testing.T) {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("GGUF")
	le(uint32(3)) // version
	le(uint64(0)) // tensors
	le(uint64(1)) // metadata entries
	key := "general.alignment"
	le(uint64(len(key)))
	b.WriteString(key)
	le(uint32(TypeString))
	le(uint64(2))
	b.WriteString("32")
	_, err := Read(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err == nil || !strings.Contains(err.Error(), `general.alignment is a string ("32"), want an unsigned integer`) {
		t.Fatalf("string alignment: %v", err)
	}
}
