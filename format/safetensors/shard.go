package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/llmparts/llmparts/internal/safeio"
)

// Names of a checkpoint's weight files in a Hugging Face folder.
const (
	// SingleName is the weight file of an unsharded checkpoint.
	SingleName = "model.safetensors"
	// IndexName is the index of a sharded checkpoint: its "weight_map"
	// maps every tensor name to the shard file holding it.
	IndexName = "model.safetensors.index.json"
)

// MaxShards bounds how many shard files an index may name.
const MaxShards = 4096

// Index is a parsed model.safetensors.index.json.
type Index struct {
	// Metadata is the index's free-form "metadata" object (transformers
	// writes "total_size"); it is not interpreted.
	Metadata map[string]any `json:"metadata"`
	// WeightMap maps each tensor name to its shard's file name.
	WeightMap map[string]string `json:"weight_map"`
}

// ParseIndex parses and checks an index: weight_map must be non-empty, and
// every shard must be a plain file name (no directory part, no "..")
// ending in ".safetensors", with at most MaxShards distinct shards.
func ParseIndex(b []byte) (*Index, error) {
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("safetensors: index: %w", err)
	}
	if len(ix.WeightMap) == 0 {
		return nil, errors.New("safetensors: index has no weight_map entries")
	}
	seen := map[string]bool{}
	for name, shard := range ix.WeightMap {
		if name == "" || name == "__metadata__" {
			return nil, fmt.Errorf("safetensors: index maps the reserved or empty tensor name %q", name)
		}
		if shard == "" || shard != path.Base(shard) || strings.ContainsAny(shard, `/\`) || shard == ".." ||
			!strings.HasSuffix(shard, ".safetensors") {
			return nil, fmt.Errorf("safetensors: index maps tensor %q to %q, not a .safetensors file name in the same folder", name, shard)
		}
		if !seen[shard] {
			if len(seen) == MaxShards {
				return nil, fmt.Errorf("safetensors: index names more than %d shard files", MaxShards)
			}
			seen[shard] = true
		}
	}
	return &ix, nil
}

// Shards returns the distinct shard file names, sorted.
func (ix *Index) Shards() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ix.WeightMap {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// ReadDirFS reads the weights of the checkpoint folder dir of fsys, as
// transformers finds them: dir/model.safetensors if it exists, else
// dir/model.safetensors.index.json and every shard it names, merged into
// one File (tensors in shard order, then data order; shard metadata merged,
// the first shard winning on a conflict). Every tensor of the index must be
// in the shard it names, and every tensor of a shard must be listed there
// for that shard. maxBytes > 0 bounds the total size of the weight files
// (checked from their sizes before anything is read); 0 means no bound.
// Only regular files are read.
func ReadDirFS(fsys fs.FS, dir string, maxBytes int64) (*File, error) {
	single := path.Join(dir, SingleName)
	if _, err := fs.Stat(fsys, single); err == nil {
		return readShard(fsys, single, maxBytes)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	indexPath := path.Join(dir, IndexName)
	b, err := safeio.ReadFileFS(fsys, indexPath, safeio.MaxConfig, "a safetensors index")
	if errors.Is(err, fs.ErrNotExist) {
		for _, pt := range []string{"pytorch_model.bin", "pytorch_model.bin.index.json"} {
			if _, err := fs.Stat(fsys, path.Join(dir, pt)); err == nil {
				return nil, fmt.Errorf("safetensors: %s holds PyTorch pickles (%s), which are not read: convert them to safetensors", dirName(dir), pt)
			}
		}
		return nil, fmt.Errorf("safetensors: %s has neither %s nor %s", dirName(dir), SingleName, IndexName)
	}
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	ix, err := ParseIndex(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", indexPath, err)
	}
	shards := ix.Shards()
	// Sizes first, so an over-limit set is refused before any read.
	var total int64
	for _, s := range shards {
		st, err := fs.Stat(fsys, path.Join(dir, s))
		if err != nil {
			return nil, fmt.Errorf("safetensors: %s names shard %s: %w", indexPath, s, err)
		}
		total += st.Size()
		if maxBytes > 0 && total > maxBytes {
			return nil, fmt.Errorf("safetensors: %s: shards exceed the %s limit", indexPath, safeio.Human(maxBytes))
		}
	}
	out := &File{Metadata: map[string]string{}}
	for _, s := range shards {
		p := path.Join(dir, s)
		sf, err := readShard(fsys, p, maxBytes)
		if err != nil {
			return nil, err
		}
		for k, v := range sf.Metadata {
			if _, ok := out.Metadata[k]; !ok {
				out.Metadata[k] = v
			}
		}
		for _, t := range sf.Tensors {
			if want, ok := ix.WeightMap[t.Name]; !ok {
				return nil, fmt.Errorf("safetensors: shard %s holds tensor %q, which %s does not list", p, t.Name, IndexName)
			} else if want != s {
				return nil, fmt.Errorf("safetensors: shard %s holds tensor %q, which %s puts in %s", p, t.Name, IndexName, want)
			}
			out.Tensors = append(out.Tensors, t)
		}
	}
	if len(out.Tensors) != len(ix.WeightMap) {
		for name, s := range ix.WeightMap {
			if out.Get(name) == nil {
				return nil, fmt.Errorf("safetensors: %s puts tensor %q in %s, which does not hold it", indexPath, name, s)
			}
		}
	}
	return out, nil
}

func dirName(dir string) string {
	if dir == "." || dir == "" {
		return "the folder"
	}
	return dir
}

// readShard reads one safetensors file of fsys, refusing non-regular files
// and files over maxBytes (when positive).
func readShard(fsys fs.FS, name string, maxBytes int64) (*File, error) {
	f, st, err := safeio.OpenFS(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	if maxBytes > 0 && st.Size() > maxBytes {
		return nil, fmt.Errorf("safetensors: %s: %s is more than the %s limit", name, safeio.Human(st.Size()), safeio.Human(maxBytes))
	}
	sf, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sf, nil
}
