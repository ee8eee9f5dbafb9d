package train

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/internal/checksum"
)

// TestHostileTrainSizes (issue 14 item 3): absurd sizes are refused before
// anything is allocated, with what they would need.
func TestHostileTrainSizes(t *testing.T) {
	for name, tc := range map[string]struct {
		set  func(*Options)
		want string
	}{
		"hidden 2^62":  {func(o *Options) { o.Hidden = 4611686018427387904 }, "hidden 4611686018427387904 must be in [0, 16777216]"},
		"dim 100000":   {func(o *Options) { o.Dim, o.Heads = 100000, 4 }, "needs "},
		"batch 1e9":    {func(o *Options) { o.Batch = 1000000000 }, "batch 1000000000 must be in [1, 16777216]"},
		"layers 1e8":   {func(o *Options) { o.Layers = 100000000 }, "layers 100000000 must be in [1, 16777216]"},
		"layers 1e6":   {func(o *Options) { o.Layers = 1000000 }, "needs "},
		"hidden -5":    {func(o *Options) { o.Hidden = -5 }, "hidden -5 must be in [0, 16777216]"},
		"kv-heads -1":  {func(o *Options) { o.KVHeads = -1 }, "kv-heads -1 must be in [0, 16777216]"},
		"save-every":   {func(o *Options) { o.SaveEvery = -1 }, "save-every -1 must be ≥ 0"},
		"eval-every":   {func(o *Options) { o.EvalEvery = -5 }, "eval-every -5"},
		"warmup>steps": {func(o *Options) { o.Warmup = 41 }, "warmup 41 is longer than steps 40"},
		"p 1":          {func(o *Options) { o.Norm, o.P = NormPRMS, 1 }, "pRMSNorm p = 1 must be in (0, 1)"},
		"threads":      {func(o *Options) { o.Threads = 100000 }, "threads 100000 must be in [0, 1024]"},
		"max-memory":   {func(o *Options) { o.MaxMemory = 1 << 20 }, "but 1 MiB of memory is available (the limit); choose smaller sizes or set --max-memory"},
	} {
		o := tinyOptions("")
		tc.set(&o)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := NewTrainer(o, testCorpus())
		runtime.ReadMemStats(&m1)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrConfig containing %q", name, err, tc.want)
		}
		if d := m1.TotalAlloc - m0.TotalAlloc; d > 64<<20 {
			t.Errorf("%s: allocated %d bytes before refusing", name, d)
		}
	}
}

// TestMemoryBytesBound: the estimate covers what a run really allocates
// (model, AdamW and the first forward/backward) without overstating it
// more than 2×.
func TestMemoryBytesBound(t *testing.T) {
	for _, c := range []Config{
		{Vocab: 64, Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, Hidden: 128, Ctx: 32, Norm: NormRMS, Eps: 1e-5, Pos: PosRoPE, RopeTheta: 1e4, MLP: MLPSwiGLU, Tied: true},
		{Vocab: 300, Dim: 32, Layers: 3, Heads: 2, KVHeads: 2, Hidden: 96, Ctx: 64, Norm: NormLayer, Eps: 1e-5, Pos: PosLearned, MLP: MLPGELU},
	} {
		const B = 8
		est, ok := c.MemoryBytes(B)
		if !ok {
			t.Fatal("overflow")
		}
		runtime.GC()
		runtime.GC()                 // two collections empty the kernel's sync.Pool of packing buffers
		gc := debug.SetGCPercent(-1) // no collection (and pool refills) while measuring
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		m, err := NewModel(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		opt := NewAdamW(len(m.Params), 0.9, 0.99, 1e-8, 0)
		tok := make([]int, B*c.Ctx)
		tgt := make([]int, B*c.Ctx)
		if _, err := m.Forward(tok, tgt, B); err != nil {
			t.Fatal(err)
		}
		m.Backward(1)
		runtime.ReadMemStats(&m1)
		debug.SetGCPercent(gc)
		runtime.KeepAlive(opt)
		got := int64(m1.TotalAlloc - m0.TotalAlloc)
		if est < got*9/10 || est > 2*got {
			t.Errorf("%+v: estimate %d bytes, allocated %d", c, est, got)
		}
		t.Logf("estimate %d, allocated %d (%.2f×)", est, got, float64(est)/float64(got))
	}
	c := Config{Vocab: 2, Dim: 4, Layers: 1, Heads: 1, KVHeads: 1, Hidden: 1 << 62, Ctx: 4, Norm: NormRMS, MLP: MLPSwiGLU}
	if _, ok := c.ParamCount(); ok {
		t.Error("hidden 2^62: parameter count did not overflow")
	}
}

// TestHostileOut (items 10, 12): a fresh run into a folder holding an
// earlier run, a file, or an empty --out is refused before step 1.
func TestHostileOut(t *testing.T) {
	dir := t.TempDir()
	o := tinyOptions(dir)
	o.Steps, o.Until, o.SaveEvery, o.Warmup = 40, 10, 10, 5
	run(t, o)
	before, _ := os.ReadFile(filepath.Join(dir, "step-000010", "model.safetensors"))

	o.Until = 0
	_, err := NewTrainer(o, testCorpus())
	if err == nil || !strings.Contains(err.Error(), "holds an earlier run (current, step-000010); use --resume to continue it, --overwrite to replace it") {
		t.Fatalf("fresh run over an earlier one: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "step-000010", "model.safetensors"))
	if string(before) != string(after) {
		t.Fatal("earlier checkpoint changed")
	}
	o.Overwrite = true
	o.Steps, o.Until, o.SaveEvery, o.Warmup = 5, 0, 5, 1
	run(t, o)
	if _, err := os.Stat(filepath.Join(dir, "step-000010")); !os.IsNotExist(err) {
		t.Errorf("--overwrite kept the earlier step-000010: %v", err)
	}
	if ck, err := LoadCheckpoint(dir); err != nil || ck.State.Step != 5 {
		t.Fatalf("after --overwrite: %v", err)
	}

	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	o = tinyOptions(file)
	if _, err := NewTrainer(o, testCorpus()); err == nil || !strings.Contains(err.Error(), "is a file, not a folder") {
		t.Errorf("--out FILE: %v", err)
	}
	if err := PrepareOut(tinyOptions("")); err == nil || !strings.Contains(err.Error(), "--out is empty") {
		t.Errorf("empty --out: %v", err)
	}
	if os.Getuid() != 0 {
		ro := filepath.Join(t.TempDir(), "ro")
		os.Mkdir(ro, 0o555)
		if _, err := NewTrainer(tinyOptions(ro), testCorpus()); err == nil || !strings.Contains(err.Error(), "is not writable") {
			t.Errorf("read-only --out: %v", err)
		}
	}
}

// TestHostileResume (items 11, 13, 16): resuming needs a valid state.json
// and files whose checksums match; checkpoint files are 0644.
func TestHostileResume(t *testing.T) {
	dir := t.TempDir()
	o := tinyOptions(dir)
	o.Steps, o.Until, o.SaveEvery = 40, 10, 10
	run(t, o)
	step := filepath.Join(dir, "step-000010")
	for _, n := range []string{"config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "state.json", checksum.File} {
		st, err := os.Stat(filepath.Join(step, n))
		if err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644", n, st.Mode().Perm(), err)
		}
	}
	o.Resume, o.Until = true, 20
	resume := func() error { _, err := NewTrainer(o, testCorpus()); return err }
	if err := resume(); err != nil {
		t.Fatalf("intact checkpoint: %v", err)
	}

	// A flipped bit in the weights.
	p := filepath.Join(step, "model.safetensors")
	b, _ := os.ReadFile(p)
	b[len(b)-3] ^= 0x10
	os.WriteFile(p, b, 0o644)
	if err := resume(); err == nil || !strings.Contains(err.Error(), "model.safetensors: SHA-256 mismatch") {
		t.Fatalf("flipped bit: %v", err)
	}
	if _, err := LoadCheckpoint(dir); err == nil {
		t.Fatal("LoadCheckpoint accepted the flipped bit")
	}
	b[len(b)-3] ^= 0x10
	os.WriteFile(p, b, 0o644)

	// Without the checksum list (older checkpoints), state.json is still
	// checked.
	os.Remove(filepath.Join(step, checksum.File))
	sp := filepath.Join(step, "state.json")
	sb, _ := os.ReadFile(sp)
	var st map[string]any
	json.Unmarshal(sb, &st)
	st["step"] = -5
	bad, _ := json.Marshal(st)
	os.WriteFile(sp, bad, 0o644)
	if err := resume(); err == nil || !strings.Contains(err.Error(), "state.json: step -5 is negative") {
		t.Fatalf("step -5: %v", err)
	}
	os.Remove(sp)
	if err := resume(); err == nil || !strings.Contains(err.Error(), filepath.Join(step, "state.json")+" is missing") {
		t.Fatalf("state.json deleted: %v", err)
	}
}

// TestHostileData (item 6): the training text must be regular files within
// the size cap.
func TestHostileData(t *testing.T) {
	if _, err := LoadCorpus("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero: not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte(strings.Repeat("a", 600)), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte(strings.Repeat("b", 600)), 0o644)
	if _, err := LoadCorpusLimit(filepath.Join(dir, "a.txt"), 500); err == nil || !strings.Contains(err.Error(), "600 bytes is more than the 500 bytes limit for training text (--max-data)") {
		t.Errorf("file over the cap: %v", err)
	}
	if _, err := LoadCorpusLimit(dir, 1000); err == nil || !strings.Contains(err.Error(), "add up to more than") {
		t.Errorf("folder over the cap: %v", err)
	}
	if s, err := LoadCorpusLimit(dir, 2000); err != nil || len(s) != 1202 {
		t.Errorf("folder within the cap: %d bytes, %v", len(s), err)
	}
}

// TestTokenizerMessagePrefix (item 17): "train: tokenizer: tokenizer: …"
// no longer repeats the prefix.
func TestTokenizerMessagePrefix(t *testing.T) {
	_, err := ParseTokenizer([]byte(`{"model":{"type":"Unigram"}}`))
	if err == nil || strings.Count(err.Error(), "tokenizer:") != 1 {
		t.Errorf("message %q", err)
	}
}
