// Package safetensors reads and writes the safetensors tensor file format
// used by Hugging Face checkpoints.
//
// A file is three parts laid end to end:
//
//	[ N: uint64 little-endian ][ N bytes of JSON header ][ data ... ]
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets"},
// where data_offsets = [begin, end) are byte offsets relative to the start
// of the data section; an optional "__metadata__" entry maps strings to
// strings. A tensor of shape [d0, d1, ..., dk] and element size s occupies
// exactly s·d0·d1·…·dk bytes, stored row-major and little-endian.
//
// Read validates everything against the actual file size before it
// allocates: the header length must fit in the file, every offset pair
// must lie inside the data section, and its length must equal the
// element count times the dtype size (computed without overflow). F32,
// F16 and BF16 tensors convert to float32 with Float32s; other dtypes
// keep their raw bytes.
//
// Large Hugging Face checkpoints are sharded: model.safetensors.index.json
// holds {"metadata": {...}, "weight_map": {tensor name: shard file}}, and
// each shard (model-00001-of-00004.safetensors, ...) is an ordinary
// safetensors file. ReadDirFS reads a folder as transformers does
// (model.safetensors first, else the index and its shards), checks that the
// index and the shards agree tensor by tensor, that shards are plain file
// names in the same folder, and that the total stays under a size limit.
//
// Write is atomic: it writes a temporary file beside the target, fsyncs
// it, renames it over the target and fsyncs the directory, so a reader
// sees either the old file or the complete new one, never a torn write.
package safetensors
