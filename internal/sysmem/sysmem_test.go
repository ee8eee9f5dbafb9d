package sysmem

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAvailable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "meminfo")
	os.WriteFile(p, []byte("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    3145728 kB\n"), 0o644)
	defer func(s string) { meminfo = s }(meminfo)
	meminfo = p
	if n, ok := Available(); !ok || n != 3<<30 {
		t.Fatalf("Available = %d, %v; want 3 GiB", n, ok)
	}
	err := Check("KV cache", 256<<30, 0, "use a smaller context or --max-kv-memory")
	want := "KV cache: needs 256 GiB but 3 GiB of memory is available (MemAvailable); use a smaller context or --max-kv-memory"
	if err == nil || err.Error() != want {
		t.Fatalf("Check = %v\nwant %s", err, want)
	}
	if err := Check("x", 1<<30, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := Check("x", 5<<30, 4<<30, ""); err == nil || !strings.Contains(err.Error(), "needs 5 GiB but 4 GiB of memory is available (the limit)") {
		t.Fatal(err)
	}
	meminfo = filepath.Join(dir, "absent")
	if _, ok := Available(); ok {
		t.Fatal("Available with no meminfo")
	}
	if err := Check("x", math.MaxInt64, 0, ""); err != nil {
		t.Fatalf("unknown availability must not refuse: %v", err)
	}
}

func TestMulAdd(t *testing.T) {
	if v, ok := Mul(1<<20, 1<<20, 1<<20); !ok || v != 1<<60 {
		t.Fatal(v, ok)
	}
	if _, ok := Mul(1<<32, 1<<31); ok {
		t.Fatal("2^63 accepted")
	}
	if _, ok := Mul(4611686018427387904, 4); ok {
		t.Fatal("overflow accepted")
	}
	if _, ok := Mul(-1, 5); ok {
		t.Fatal("negative accepted")
	}
	if _, ok := Add(math.MaxInt64, 1); ok {
		t.Fatal("overflow accepted")
	}
	if v, ok := Add(1, 2, 3); !ok || v != 6 {
		t.Fatal(v, ok)
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "512": 512, "8G": 8 << 30, "8GiB": 8 << 30, "1.5g": 3 << 29, "64KB": 64 << 10, "2T": 2 << 40, "100M": 100 << 20} {
		if v, err := ParseSize(s); err != nil || v != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, v, err, want)
		}
	}
	for _, s := range []string{"", "-1", "NaN", "8X", "1e30G", "G"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
}
