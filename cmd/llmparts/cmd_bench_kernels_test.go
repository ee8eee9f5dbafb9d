package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestBenchKernelsQuick runs `bench kernels --quick --json --plot` and checks
// the output format only (never speed).
func TestBenchKernelsQuick(t *testing.T) {
	old := os.Stdout
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = w
	plot := filepath.Join(t.TempDir(), "k.png")
	runErr := execute([]string{"bench", "kernels", "--quick", "--json", "--threads", "2", "--plot", plot})
	w.Close()
	os.Stdout = old
	out, _ := io.ReadAll(r)
	if runErr != nil {
		t.Fatal(runErr)
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	want := sortedKernelNames()
	if len(lines) != len(want) {
		t.Fatalf("got %d JSON lines, want %d:\n%s", len(lines), len(want), out)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		for _, f := range []string{"kernel", "shape", "ns_per_op", "gbps", "gflops", "threads", "ratio_to_copy"} {
			if _, ok := m[f]; !ok {
				t.Errorf("line %s lacks field %q", l, f)
			}
		}
		if m["ns_per_op"].(float64) <= 0 || m["threads"].(float64) != 2 {
			t.Errorf("bad line %s", l)
		}
		seen[m["kernel"].(string)] = true
	}
	for _, n := range want {
		if !seen[n] {
			t.Errorf("kernel %q missing", n)
		}
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}
}
