package train

import (
	"fmt"

	"github.com/llmparts/llmparts/internal/sysmem"
)

// maxDimension bounds every size of a model (width, hidden width, layers,
// heads, context, vocabulary, batch): each is far beyond what trains on a
// CPU, and products of a few of them stay inside int64.
const maxDimension = 1 << 24

// ParamCount returns the number of trainable parameters of c, computed
// with overflow checks, and false when it does not fit in an int64 (the
// plain sum in NumParams would wrap: --hidden 2^62 gave "6272 params").
func (c *Config) ParamCount() (int64, bool) {
	D, F, V, L := int64(c.Dim), int64(c.Hidden), int64(c.Vocab), int64(c.Layers)
	if c.Heads <= 0 || c.Dim < 0 {
		return 0, false
	}
	kvd := int64(c.KVHeads) * int64(c.Dim/c.Heads)
	norm := D
	if c.Norm == NormLayer {
		norm = 2 * D
	}
	mats := int64(2)
	if c.MLP == MLPSwiGLU {
		mats = 3
	}
	dd, ok1 := sysmem.Mul(2, D, D)     // q, o
	kv, ok2 := sysmem.Mul(2, kvd, D)   // k, v
	mlp, ok3 := sysmem.Mul(mats, F, D) // gate, up, down
	layer, ok4 := sysmem.Add(dd, kv, mlp, 2*norm)
	layers, ok5 := sysmem.Mul(L, layer)
	emb, ok6 := sysmem.Mul(V, D)
	var pos, head int64
	ok7, ok8 := true, true
	if c.Pos == PosLearned {
		pos, ok7 = sysmem.Mul(int64(c.Ctx), D)
	}
	if !c.Tied {
		head, ok8 = sysmem.Mul(V, D)
	}
	n, ok9 := sysmem.Add(emb, pos, layers, norm, head)
	return n, ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && ok9
}

// MemoryBytes returns an upper estimate of the memory a training run of c
// with micro-batches of B sequences allocates, computed with overflow
// checks (false: it does not fit in an int64):
//
//	parameters, gradients, AdamW m and v, and one gradient per batch chunk
//	    (4 + min(B, 4)) · P · 4 bytes
//	activations kept for the backward pass, per layer, N = B·ctx tokens
//	    (5·D + 2·kv + F·(1+3) + 4)·N + B·heads·ctx² floats
//	plus the residual stream (layers+1)·N·D, the logits N·V and the
//	backward buffers (~8·N·D + 4·N·F), all float32, and the matrix
//	kernels' packing buffers, gemmScratch per thread.
func (c *Config) MemoryBytes(B int) (int64, bool) {
	P, ok := c.ParamCount()
	if !ok || B < 1 || c.Ctx < 1 || c.Heads < 1 {
		return 0, false
	}
	N, ok0 := sysmem.Mul(int64(B), int64(c.Ctx))
	D, F, V, L, T := int64(c.Dim), int64(c.Hidden), int64(c.Vocab), int64(c.Layers), int64(c.Ctx)
	kvd := int64(c.KVHeads) * int64(c.Dim/c.Heads)
	nc := int64(min(B, maxChunks))
	params, ok1 := sysmem.Mul(4+nc, P)
	perTok, ok2 := sysmem.Add(5*D, 2*kvd, 4*F, 4)
	actTok, ok3 := sysmem.Mul(N, perTok)
	att, ok4 := sysmem.Mul(int64(B), int64(c.Heads), T, T)
	layer, ok5 := sysmem.Add(actTok, att)
	acts, ok6 := sysmem.Mul(L, layer)
	resid, ok7 := sysmem.Mul(L+1, N, D)
	logits, ok8 := sysmem.Mul(N, V)
	bwTok, ok9 := sysmem.Add(8*D, 4*F, 4*kvd, 3)
	bw, ok10 := sysmem.Mul(N, bwTok)
	dp, ok11 := sysmem.Mul(nc, T, T)
	tables, ok12 := sysmem.Mul(T, D)
	floats, ok13 := sysmem.Add(params, acts, resid, logits, bw, dp, tables)
	bytes, ok14 := sysmem.Mul(floats, 4)
	ints, ok15 := sysmem.Mul(N, 3*8)
	scratch := int64(max(threads, 1)) * gemmScratch
	total, ok16 := sysmem.Add(bytes, ints, scratch)
	return total, ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && ok9 && ok10 && ok11 && ok12 && ok13 && ok14 && ok15 && ok16
}

// gemmScratch is the packing memory one goroutine of kernel.Sgemm holds
// (its MC×KC and KC×NC float32 panels, 144×512 and 512×1536: about
// 3.4 MB), rounded up.
const gemmScratch = 4 << 20

// checkMemory refuses a run of c that cannot fit: its MemoryBytes (plus
// extra bytes already committed, such as the corpus and its token ids)
// against limit, or the memory available now when limit is 0.
func checkMemory(c *Config, B int, extra, limit int64) error {
	need, ok := c.MemoryBytes(B)
	if ok {
		need, ok = sysmem.Add(need, extra)
	}
	what := fmt.Sprintf("a model of dim %d, hidden %d, %d layers, %d heads, vocab %d, context %d with batch %d",
		c.Dim, c.Hidden, c.Layers, c.Heads, c.Vocab, c.Ctx, B)
	if !ok {
		return fmt.Errorf("%w: %s needs more than 2^63 bytes", ErrConfig, what)
	}
	if err := sysmem.Check(what, need, limit, "choose smaller sizes or set --max-memory"); err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return nil
}

// DefaultMaxData is the largest training text read (a file, or the sum of
// a folder's files) unless Options.MaxData says otherwise.
const DefaultMaxData = 1 << 30
