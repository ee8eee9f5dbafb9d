package op

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestHostileEndlessLine (issue 14 item 7): input without a newline (op <
// /dev/zero) stops at the line cap with an error that says it.
func TestHostileEndlessLine(t *testing.T) {
	var out bytes.Buffer
	_, err := RunLimit(io.LimitReader(zeros{}, 1<<30), &out, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "op: reading request line 1: too large: line is longer than the 1 MiB limit") {
		t.Fatalf("err = %v", err)
	}
	// Lines before the long one are answered.
	out.Reset()
	in := `{"op":"test_echo","id":1,"x":[1]}` + "\n" + strings.Repeat(" ", 2000) + "\n"
	failed, err := RunLimit(strings.NewReader(in), &out, 1000)
	if err == nil || failed != 0 || !strings.HasPrefix(out.String(), `{"id":1,"x":[1]}`) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("out %q, failed %d, err %v", out.String(), failed, err)
	}
}

// TestHostileBigLineMemory (item 7): a line of numbers is parsed without
// an allocation per number; the peak was ~40× the line.
func TestHostileBigLineMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"op":"test_echo","id":1,"x":[`)
	const n = 1 << 20
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("0.5")
	}
	b.WriteString("]}")
	line := []byte(b.String())
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	resp, ok := Do(line)
	runtime.ReadMemStats(&m1)
	if !ok || !bytes.HasPrefix(resp, []byte(`{"id":1,"x":[0.5,0.5,`)) {
		t.Fatalf("response %.80s", resp)
	}
	// The result ([]float32, 4 MiB) and the response text (~4 MiB) are
	// needed; the old parser allocated ~40× the 4 MiB line.
	alloc := m1.TotalAlloc - m0.TotalAlloc
	if alloc > 8*uint64(len(line)) {
		t.Fatalf("allocated %d bytes for a %d-byte line (%.1f×)", alloc, len(line), float64(alloc)/float64(len(line)))
	}
	t.Logf("allocated %.1f× the line", float64(alloc)/float64(len(line)))
}

// TestHostileOpValues (item 15): a finite number beyond the float32 range
// and a key given twice are errors, not +Inf and "last one wins".
func TestHostileOpValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"op":"test_echo","id":1,"x":[1,1e39]}`, `field \"x\"[1]: 1e39 is beyond the float32 range`},
		{`{"op":"test_echo","id":1,"x":[1],"d":[1e400]}`, `field \"d\"[0]: 1e400 is beyond the float64 range`},
		{`{"op":"rms_norm","id":1,"n":2,"eps":1e-6,"eps":0.1,"x":[1,2]}`, `key \"eps\" given twice`},
		{`{"op":"test_echo","id":1,"x":[1,"a"]}`, `field \"x\"[1]: want a number, got a string`},
	} {
		resp, ok := Do([]byte(tc.in))
		if ok || !strings.Contains(string(resp), tc.want) {
			t.Errorf("%s: %s; want an error containing %s", tc.in, resp, tc.want)
		}
	}
}
