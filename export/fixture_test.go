package export

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/quant"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// fixtureCorpus gives the fixtures' character vocabulary: letters, digits,
// punctuation, space, newline, tab, a backslash and two non-ASCII
// characters (41 ids).
const fixtureCorpus = "abcdefghijklmnopqrstuvwxyz0123 \n\t\\{}();é→"

// fixtureIDs are the token ids the golden logits were computed for.
var fixtureIDs = []int{3, 17, 0, 39, 31, 30, 8, 22, 35, 12, 5, 38, 26, 1, 33, 19, 7, 36, 14, 29}

// fixtures are the variants with a family: one per architecture, with
// grouped-query attention and tied heads where the family allows them.
var fixtures = []struct {
	name           string
	norm, pos, mlp string
	kvHeads        int
	tied           bool
}{
	{"llama", train.NormRMS, train.PosRoPE, train.MLPSwiGLU, 2, false},
	{"stablelm", train.NormLayer, train.PosRoPE, train.MLPSwiGLU, 2, true},
	{"gptneox", train.NormLayer, train.PosRoPE, train.MLPGELU, 4, false},
	{"gpt2", train.NormLayer, train.PosLearned, train.MLPGELU, 4, true},
}

// fixtureModel returns a small model of the named variant with
// deterministic weights large enough that the logits spread over several
// units (random initialisation alone gives nearly uniform ones): matrices
// ~ N(0, 1/cols), embeddings ~ N(0, 0.5²), norm gains 1 + N(0, 0.2²),
// biases N(0, 0.1²).
func fixtureModel(t testing.TB, name string) (*train.Model, tokenizer.Tokenizer) {
	t.Helper()
	tok := tokenizer.NewChar(fixtureCorpus)
	for i, f := range fixtures {
		if f.name != name {
			continue
		}
		cfg := train.Config{Vocab: tok.VocabSize(), Dim: 32, Layers: 2, Heads: 4, KVHeads: f.kvHeads, Hidden: 64, Ctx: 32,
			Norm: f.norm, Eps: 1e-5, Pos: f.pos, RopeTheta: 10000, MLP: f.mlp, Tied: f.tied}
		m, err := train.NewModel(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(uint64(i)+1, 42))
		for _, p := range m.Tensors {
			d := m.Params[p.Offset : p.Offset+p.Size]
			for j := range d {
				z := r.NormFloat64()
				switch {
				case strings.HasSuffix(p.Name, "norm.weight"):
					d[j] = float32(1 + 0.2*z)
				case strings.HasSuffix(p.Name, ".bias"):
					d[j] = float32(0.1 * z)
				case strings.HasPrefix(p.Name, "model.embed"):
					d[j] = float32(0.5 * z)
				default:
					d[j] = float32(z / math.Sqrt(float64(p.Shape[1])))
				}
			}
		}
		return m, tok
	}
	t.Fatalf("no fixture %q", name)
	return nil, nil
}

// saveFixture writes the fixture as a trainer checkpoint folder.
func saveFixture(t testing.TB, name, dir string) string {
	t.Helper()
	m, tok := fixtureModel(t, name)
	out := filepath.Join(dir, name+"-ckpt")
	if _, err := train.SaveCheckpoint(out, m, nil, tok, train.State{}, 1); err != nil {
		t.Fatal(err)
	}
	return out
}

// ourLogits returns model's logits (the inference runtime, not the
// trainer) at every position of fixtureIDs for the checkpoint or file at
// path.
func ourLogits(t testing.TB, path string) [][]float32 {
	t.Helper()
	// Float activations: a quantized export is judged by its weights, not by
	// the integer path's activation rounding (prompts of a Q8_0 file take
	// the integer GEMM by default where the CPU has AVX-512 VNNI).
	m, err := model.Load(path, model.Options{Threads: 1, KeepMapped: true, FloatActivations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := m.NewSession(len(fixtureIDs))
	all, err := s.ForwardAll(fixtureIDs, 0)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	out := make([][]float32, len(fixtureIDs))
	for i := range out {
		out[i] = all[i*V : (i+1)*V]
	}
	return out
}

// golden is a file of reference logits: per fixture, [position][vocab].
type golden struct {
	Source string                 `json:"source"`
	IDs    []int                  `json:"ids"`
	Logits map[string][][]float64 `json:"logits"`
}

func readGolden(t *testing.T, file string) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.IDs) != len(fixtureIDs) {
		t.Fatalf("%s: %d ids, want %d", file, len(g.IDs), len(fixtureIDs))
	}
	for i := range g.IDs {
		if g.IDs[i] != fixtureIDs[i] {
			t.Fatalf("%s: ids %v, want %v", file, g.IDs, fixtureIDs)
		}
	}
	return g
}

// maxDiff returns max |a − b| over all positions and ids (+Inf on a shape
// mismatch).
func maxDiff(a [][]float32, b [][]float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return math.Inf(1)
		}
		for j := range a[i] {
			d = max(d, math.Abs(float64(a[i][j])-b[i][j]))
		}
	}
	return d
}

// TestWriteFixtures writes the fixtures and their exports for the golden
// scripts (testdata/gen_golden.sh) when LLMPARTS_EXPORT_FIXTURES names a
// folder; it is skipped otherwise.
func TestWriteFixtures(t *testing.T) {
	dir := os.Getenv("LLMPARTS_EXPORT_FIXTURES")
	if dir == "" {
		t.Skip("LLMPARTS_EXPORT_FIXTURES not set (testdata/gen_golden.sh sets it)")
	}
	ids, _ := json.Marshal(fixtureIDs)
	if err := os.WriteFile(filepath.Join(dir, "ids.json"), ids, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		ck := saveFixture(t, f.name, dir)
		s, err := Load(ck)
		if err != nil {
			t.Fatal(err)
		}
		s.Name = "llmparts export fixture " + f.name
		if err := WriteGGUF(filepath.Join(dir, f.name+".gguf"), s, quant.F32); err != nil {
			t.Fatal(err)
		}
		if err := WriteHF(filepath.Join(dir, f.name+"-hf"), s, quant.F32); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}
