package export

import (
	"fmt"
	"math"

	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/tokenizer"
	"github.com/llmparts/llmparts/train"
)

// Source is a trained checkpoint as the writers see it: the trainer's
// configuration, its tensors by (Hugging Face Llama) name and its
// tokenizer.
type Source struct {
	Config    train.Config
	Tokenizer tokenizer.Tokenizer
	Name      string // general.name / a description; may be empty
	tensors   map[string]tensor
	names     []string // in the trainer's layout order
}

// tensor is a row-major matrix (rows = 1 for a vector).
type tensor struct {
	rows, cols int
	data       []float32
	vector     bool
}

// Load reads a training output folder (through its "current" pointer) or a
// checkpoint folder.
func Load(dir string) (*Source, error) {
	ck, err := train.LoadCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	return FromModel(ck.Model, ck.Tokenizer, dir)
}

// FromModel wraps a trainer model and its tokenizer.
func FromModel(m *train.Model, tok tokenizer.Tokenizer, name string) (*Source, error) {
	if tok == nil || tok.VocabSize() != m.Config.Vocab {
		return nil, fmt.Errorf("export: the tokenizer does not match the model's vocabulary of %d", m.Config.Vocab)
	}
	s := &Source{Config: m.Config, Tokenizer: tok, Name: name, tensors: map[string]tensor{}}
	for _, p := range m.Tensors {
		d := m.Params[p.Offset : p.Offset+p.Size]
		for _, v := range d {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("export: tensor %s holds %v: refusing to export a diverged model", p.Name, v)
			}
		}
		t := tensor{rows: 1, cols: p.Shape[len(p.Shape)-1], data: d, vector: len(p.Shape) == 1}
		if len(p.Shape) == 2 {
			t.rows = p.Shape[0]
		}
		s.tensors[p.Name] = t
		s.names = append(s.names, p.Name)
	}
	return s, nil
}

// weight returns the trainer's weight of role r in layer l (spec.TrainerName).
func (s *Source) weight(r spec.Role, l int) tensor { return s.get(spec.TrainerName(r, l) + ".weight") }

// get returns the tensor called name (which the layout guarantees exists).
func (s *Source) get(name string) tensor {
	t, ok := s.tensors[name]
	if !ok {
		panic("export: no tensor " + name) // the trainer's layout always has it
	}
	return t
}

// order returns the tensor names in the trainer's layout order.
func (s *Source) order() []string { return s.names }

// output returns the LM head (the embedding when tied).
func (s *Source) output() tensor {
	if s.Config.Tied {
		return s.weight(spec.TokenEmbd, 0)
	}
	return s.weight(spec.Output, 0)
}

// zeros returns a zero vector of n elements (the biases GPT-2 and GPT-NeoX
// files must have).
func zeros(n int) tensor { return tensor{rows: 1, cols: n, data: make([]float32, n), vector: true} }

// transpose returns tᵀ.
func (t tensor) transpose() tensor {
	out := make([]float32, len(t.data))
	for r := 0; r < t.rows; r++ {
		for c := 0; c < t.cols; c++ {
			out[c*t.rows+r] = t.data[r*t.cols+c]
		}
	}
	return tensor{rows: t.cols, cols: t.rows, data: out}
}

// stack returns the rows of ts one after another (same column count).
func stack(ts ...tensor) tensor {
	out := tensor{cols: ts[0].cols}
	for _, t := range ts {
		out.rows += t.rows
		out.data = append(out.data, t.data...)
	}
	return out
}
