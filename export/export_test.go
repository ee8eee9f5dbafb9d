package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/quant"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// gguTolerance is the largest |Δlogit| accepted against llama.cpp. The
// GELU families get more room: ggml computes GELU by looking x up, rounded
// to float16, in a table (x·2⁻¹¹ relative error in each activation), while
// we compute it in float64; the measured difference is ~3e-3 on logits of
// spread ~5.
var ggufTolerance = map[string]float64{"llama": 1e-4, "stablelm": 1e-4, "gptneox": 1e-2, "gpt2": 1e-2}

// TestGGUFMatchesLlamaCpp compares our logits for each fixture checkpoint
// with those llama.cpp computed from its GGUF export (testdata/gen_golden.sh).
func TestGGUFMatchesLlamaCpp(t *testing.T) {
	checkGoldenLogits(t, "golden_llamacpp.json", "llama.cpp", func(name string) float64 { return ggufTolerance[name] })
}

// TestHFMatchesTorch compares our logits for each fixture checkpoint with
// those of testdata/hf_reference.py (PyTorch, the transformers formulas)
// on its Hugging Face export.
func TestHFMatchesTorch(t *testing.T) {
	checkGoldenLogits(t, "golden_torch.json", "PyTorch", func(string) float64 { return 1e-4 })
}

// checkGoldenLogits compares our logits for each fixture checkpoint with
// those of golden file (computed by who), within tol(fixture name).
func checkGoldenLogits(t *testing.T, file, who string, tol func(name string) float64) {
	t.Helper()
	g := readGolden(t, file)
	dir := t.TempDir()
	for _, f := range fixtures {
		ck := saveFixture(t, f.name, dir)
		d := maxDiff(ourLogits(t, ck), g.Logits[f.name])
		t.Logf("%s: max |Δlogit| ours vs %s = %.3g", f.name, who, d)
		if want := tol(f.name); !(d <= want) {
			t.Errorf("%s: max |Δlogit| = %g, want ≤ %g", f.name, d, want)
		}
	}
}

// TestExportsAreThoseGoldensWereMadeFrom checks that today's exporters
// write byte for byte the files the goldens were computed from (their
// SHA-256 is in the golden files): a change to an exporter must come with
// new goldens.
func TestExportsAreThoseGoldensWereMadeFrom(t *testing.T) {
	dir := t.TempDir()
	sums := map[string]string{}
	for _, gf := range []string{"golden_llamacpp.json", "golden_torch.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", gf))
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			SHA256 map[string]string `json:"sha256"`
		}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatal(err)
		}
		for k, v := range g.SHA256 {
			sums[k] = v
		}
	}
	if len(sums) != 4*3 {
		t.Fatalf("golden files list %d checksums, want 12", len(sums))
	}
	for _, f := range fixtures {
		s := loadFixture(t, f.name, dir)
		if err := WriteGGUF(filepath.Join(dir, f.name+".gguf"), s, quant.F32); err != nil {
			t.Fatal(err)
		}
		if err := WriteHF(filepath.Join(dir, f.name+"-hf"), s, quant.F32); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range sums {
		if got := sha256File(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s: sha256 %s, the goldens were made from %s (re-run testdata/gen_golden.sh)", name, got, want)
		}
	}
}

// loadFixture saves the fixture and loads it back as a Source named as
// TestWriteFixtures names it.
func loadFixture(t *testing.T, name, dir string) *Source {
	t.Helper()
	s, err := Load(saveFixture(t, name, dir))
	if err != nil {
		t.Fatal(err)
	}
	s.Name = "llmparts export fixture " + name
	return s
}

// TestRoundTrip loads every fixture's GGUF and Hugging Face exports (and
// the llama fixture's llama2.c one) with our own loader and checks that
// they give the checkpoint's logits (the llama GGUF also as F16 and Q8_0,
// within their rounding), and that the tokenizer comes back.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, f := range fixtures {
		s := loadFixture(t, f.name, dir)
		want := wide(ourLogits(t, filepath.Join(dir, f.name+"-ckpt")))
		cases := []struct {
			name  string
			write func(string) error
			tol   float64
		}{
			{f.name + ".gguf", func(p string) error { return WriteGGUF(p, s, quant.F32) }, 1e-5},
			{f.name + "-hf", func(p string) error { return WriteHF(p, s, quant.F32) }, 1e-5},
		}
		if f.name == "llama" {
			cases = append(cases, []struct {
				name  string
				write func(string) error
				tol   float64
			}{
				{"llama-f16.gguf", func(p string) error { return WriteGGUF(p, s, quant.F16) }, 0.02},
				{"llama-q8.gguf", func(p string) error { return WriteGGUF(p, s, quant.Q8_0) }, 0.1},
				{"llama.bin", func(p string) error { return WriteLlama2C(p, s) }, 1e-5},
			}...)
		}
		for _, c := range cases {
			p := filepath.Join(dir, c.name)
			if err := c.write(p); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			d := maxDiff(ourLogits(t, p), want)
			t.Logf("%s: max |Δlogit| vs the checkpoint = %.3g", c.name, d)
			if !(d <= c.tol) || d == 0 && c.tol > 1e-5 {
				t.Errorf("%s: max |Δlogit| = %g, want ≤ %g (and > 0 when quantized)", c.name, d, c.tol)
			}
		}
	}
	// The tokenizer comes back from the GGUF and from tokenizer.json.
	s := loadFixture(t, "llama", dir)
	text := "func (a) {\n\tb\\é→ 0}"
	wantIDs, err := s.Tokenizer.Encode(text, tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "llama.gguf"), filepath.Join(dir, "llama-hf", "tokenizer.json")} {
		tok, err := tokenizer.LoadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		ids, err := tok.Encode(text, tokenizer.EncodeOptions{})
		if err != nil || !slices.Equal(ids, wantIDs) || tok.Decode(ids) != text {
			t.Errorf("%s: %q → %v %q (err %v), want %v", p, text, ids, tok.Decode(ids), err, wantIDs)
		}
	}
}

// wide converts logits to float64 rows.
func wide(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		for _, v := range x[i] {
			out[i] = append(out[i], float64(v))
		}
	}
	return out
}

// TestHFTokenizerGolden checks our encoding of a text against what the
// Hugging Face tokenizers library made of the exported tokenizer.json.
func TestHFTokenizerGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden_hf_tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Text, Decoded string
		IDs           []int `json:"ids"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	_, tok := fixtureModel(t, "llama")
	ids, err := tok.Encode(g.Text, tokenizer.EncodeOptions{})
	if err != nil || !slices.Equal(ids, g.IDs) || g.Decoded != g.Text {
		t.Errorf("%q: ours %v (err %v), Hugging Face tokenizers %v decoding to %q", g.Text, ids, err, g.IDs, g.Decoded)
	}
}

// TestFamilyRefusals checks the variants no architecture computes.
func TestFamilyRefusals(t *testing.T) {
	base := train.Config{Vocab: 10, Dim: 8, Layers: 1, Heads: 2, KVHeads: 2, Hidden: 8, Ctx: 4, Eps: 1e-5, RopeTheta: 10000,
		Norm: train.NormRMS, Pos: train.PosRoPE, MLP: train.MLPSwiGLU}
	for _, c := range []struct {
		edit func(*train.Config)
		want string
	}{
		{func(c *train.Config) { c.Norm, c.NormP = train.NormPRMS, 0.5 }, "pRMSNorm"},
		{func(c *train.Config) { c.Pos = train.PosSinusoidal }, "sinusoidal"},
		{func(c *train.Config) { c.Pos = train.PosNone }, "without any position"},
		{func(c *train.Config) { c.Pos = train.PosLearned }, "no llama.cpp architecture has this combination"},
		{func(c *train.Config) { c.MLP = train.MLPGELU }, "no llama.cpp architecture has this combination"},
		{func(c *train.Config) { c.Norm, c.Pos, c.MLP = train.NormLayer, train.PosLearned, train.MLPSwiGLU }, "no llama.cpp architecture has this combination"},
		{func(c *train.Config) {
			c.Norm, c.Pos, c.MLP, c.KVHeads = train.NormLayer, train.PosLearned, train.MLPGELU, 1
		}, "gpt2 has no grouped-query attention"},
		{func(c *train.Config) { c.EmbedScale = 2 }, "scaled by 2"},
	} {
		cfg := base
		c.edit(&cfg)
		_, err := FamilyOf(cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want one mentioning %q", cfg, err, c.want)
		}
	}
	for _, f := range fixtures {
		cfg := base
		cfg.Norm, cfg.Pos, cfg.MLP = f.norm, f.pos, f.mlp
		fam, err := FamilyOf(cfg)
		if err != nil || fam.Name != f.name {
			t.Errorf("%s + %s + %s: family %q, %v; want %s", f.norm, f.pos, f.mlp, fam.Name, err, f.name)
			continue
		}
		// The runtime's description of the family agrees on what it is.
		m := fam.model()
		if !slices.Contains(m.HFModelTypes, fam.HFModelType) || string(m.Norm) != f.norm || string(m.Pos) != f.pos || string(m.MLP) != f.mlp {
			t.Errorf("%s: model.Family %v %s %s %s", f.name, m.HFModelTypes, m.Norm, m.Pos, m.MLP)
		}
	}
}

// TestHFFiles checks what a Hugging Face folder holds and its permissions.
func TestHFFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range fixtures {
		s := loadFixture(t, f.name, dir)
		out := filepath.Join(dir, f.name+"-hf")
		if err := WriteHF(out, s, quant.F32); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} {
			st, err := os.Stat(filepath.Join(out, n))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o644 {
				t.Errorf("%s/%s: mode %v, want 0644", f.name, n, st.Mode().Perm())
			}
		}
		b, _ := os.ReadFile(filepath.Join(out, "config.json"))
		var cfg struct {
			Architectures []string `json:"architectures"`
			ModelType     string   `json:"model_type"`
			Tie           *bool    `json:"tie_word_embeddings"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		fam, _ := FamilyOf(s.Config)
		if len(cfg.Architectures) != 1 || cfg.Architectures[0] != fam.HFArch || cfg.ModelType != fam.HFModelType || cfg.Tie == nil || *cfg.Tie != f.tied {
			t.Errorf("%s: config.json says %v %q tie %v", f.name, cfg.Architectures, cfg.ModelType, cfg.Tie)
		}
	}
	if err := WriteHF(filepath.Join(dir, "q8"), loadFixture(t, "llama", dir), quant.Q8_0); err == nil {
		t.Error("WriteHF with Q8_0: no error")
	}
}
