package safetensors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeShards writes a sharded checkpoint into dir: shards maps a file name
// to its tensors (name → values), index is the weight_map to write (nil:
// derived from shards).
func writeShards(t *testing.T, dir string, shards map[string]map[string][]float32, index map[string]string) {
	t.Helper()
	derived := map[string]string{}
	for file, ts := range shards {
		var list []*Tensor
		for name, v := range ts {
			tt, err := F32Tensor(name, []int{len(v)}, v)
			if err != nil {
				t.Fatal(err)
			}
			list = append(list, tt)
			derived[name] = file
		}
		if err := WriteFile(filepath.Join(dir, file), list, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
	}
	if index == nil {
		index = derived
	}
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 24}, "weight_map": index})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, IndexName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var twoShards = map[string]map[string][]float32{
	"model-00001-of-00002.safetensors": {"a": {1, 2}, "b": {3}},
	"model-00002-of-00002.safetensors": {"c": {4, 5, 6}},
}

func TestReadDirFSSharded(t *testing.T) {
	dir := t.TempDir()
	writeShards(t, dir, twoShards, nil)
	f, err := ReadDirFS(os.DirFS(dir), ".", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{"a": {1, 2}, "b": {3}, "c": {4, 5, 6}}
	if len(f.Tensors) != len(want) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(want))
	}
	wantTensors(t, f, want)
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", f.Metadata)
	}
	// A folder below the root works the same.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeShards(t, sub, twoShards, nil)
	if _, err := ReadDirFS(os.DirFS(dir), "sub", 1<<20); err != nil {
		t.Fatal(err)
	}
}

// TestReadDirFSPrefersSingle: like transformers, model.safetensors wins
// over an index.
func TestReadDirFSPrefersSingle(t *testing.T) {
	dir := t.TempDir()
	writeShards(t, dir, twoShards, nil)
	one, err := F32Tensor("only", []int{1}, []float32{7})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, SingleName), []*Tensor{one}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadDirFS(os.DirFS(dir), ".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 1 || f.Get("only") == nil {
		t.Errorf("read %d tensors, want the single file's one", len(f.Tensors))
	}
}

func TestReadDirFSErrors(t *testing.T) {
	s1, s2 := "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		max   int64
		want  string
	}{
		{"empty folder", func(t *testing.T, dir string) {}, 0, "neither"},
		{"PyTorch pickles", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), []byte("PK"), 0o644)
		}, 0, "PyTorch"},
		{"bad JSON", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IndexName), []byte(`{"weight_map":`), 0o644)
		}, 0, "index"},
		{"empty weight_map", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IndexName), []byte(`{"weight_map":{}}`), 0o644)
		}, 0, "no weight_map"},
		{"shard outside the folder", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": "../x.safetensors"})
		}, 0, "same folder"},
		{"shard in a subfolder", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": "sub/x.safetensors"})
		}, 0, "same folder"},
		{"not safetensors", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": "pytorch_model.bin"})
		}, 0, "same folder"},
		{"missing shard", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": s1, "b": s1, "c": s2, "d": "model-00003.safetensors"})
		}, 0, "model-00003.safetensors"},
		{"listed tensor absent", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": s1, "b": s1, "c": s2, "d": s2})
		}, 0, `tensor "d"`},
		{"unlisted tensor", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": s1, "c": s2})
		}, 0, `"b", which`},
		{"tensor in the wrong shard", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, map[string]string{"a": s1, "b": s2, "c": s2})
		}, 0, "puts in"},
		{"over the size limit", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, nil)
		}, 100, "limit"},
		{"shard is a folder", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, nil)
			os.Remove(filepath.Join(dir, s2))
			os.Mkdir(filepath.Join(dir, s2), 0o755)
		}, 0, "regular"},
		{"corrupt shard", func(t *testing.T, dir string) {
			writeShards(t, dir, twoShards, nil)
			os.WriteFile(filepath.Join(dir, s2), []byte("12345678garbage"), 0o644)
		}, 0, s2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			_, err := ReadDirFS(os.DirFS(dir), ".", tc.max)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line mentioning %q", msg, tc.want)
			}
		})
	}
}
