//go:build openblas && cgo

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchOpenBLASQuick runs `bench openblas --quick --json --threads 1`
// and checks the output format only (never speed).
func TestBenchOpenBLASQuick(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := benchOpenBLAS([]string{"--quick", "--json", "--threads", "1"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "OpenBLAS") {
		t.Errorf("stderr does not show the OpenBLAS config:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "WARNING") {
		t.Errorf("outputs disagree:\n%s", stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := []string{"sgemm", "sgemv"}
	if len(lines) != len(want) {
		t.Fatalf("got %d JSON lines, want %d:\n%s", len(lines), len(want), stdout.String())
	}
	for i, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		if len(r) != 6 {
			t.Errorf("line %s: want exactly kernel, shape, ours_gflops, openblas_gflops, ratio, threads", l)
		}
		if r["kernel"] != want[i] || r["threads"] != 1.0 {
			t.Errorf("bad line %s", l)
		}
		for _, f := range []string{"ours_gflops", "openblas_gflops", "ratio"} {
			if v, ok := r[f].(float64); !ok || !(v > 0) {
				t.Errorf("line %s: %s = %v, want > 0", l, f, r[f])
			}
		}
	}
	// The table form.
	stdout.Reset()
	if err := benchOpenBLAS([]string{"--quick"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if out := stdout.String(); !strings.Contains(out, "ratio") || !strings.Contains(out, "sgemv") {
		t.Errorf("table:\n%s", out)
	}
}

func TestBenchOpenBLASRegistered(t *testing.T) {
	if c, _, err := newRoot().Find([]string{"bench", "openblas"}); err != nil || c.Name() != "openblas" {
		t.Fatal("bench openblas not registered")
	}
	var stdout, stderr bytes.Buffer
	if err := benchOpenBLAS([]string{"extra"}, &stdout, &stderr); err == nil {
		t.Error("stray argument accepted")
	}
}
