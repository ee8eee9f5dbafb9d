package export

import (
	"fmt"
	"slices"

	"github.com/llmparts/llmparts/model"
	"github.com/llmparts/llmparts/model/spec"
	"github.com/llmparts/llmparts/posenc"
	"github.com/llmparts/llmparts/train"
)

// A weight of the exported model: its role (model.Role: the runtime's
// one description of tensor names per family), layer (-1 for global
// ones), whether it is a bias, and its values as the trainer holds them
// ([out][in] rows, q/k rows half-split, fused q|k|v as [Q;K;V] rows).
type weight struct {
	role  model.Role
	layer int
	bias  bool
	t     tensor
}

// zeroBiases are the biases llama.cpp requires of a family and the
// trainer does not have: written as zeros (the same function).
var zeroBiases = map[string][]model.Role{
	"gpt2":    {model.AttnQKV, model.AttnOut, model.FFNUp, model.FFNDown},
	"gptneox": {model.AttnQKV, model.AttnOut, model.FFNUp, model.FFNDown},
}

// weights lists the trainer's tensors as the roles of family fam: q, k and
// v fused when the family has a fused projection, LayerNorm biases,
// zero biases where llama.cpp needs them; the LM head only when untied.
func (s *Source) weights(fam *model.Family) ([]weight, error) {
	c := s.Config
	name := spec.TrainerName // the trainer's tensor names
	var out []weight
	add := func(r model.Role, l int) {
		out = append(out, weight{role: r, layer: l, t: s.get(name(r, l) + ".weight")})
		if (r == model.AttnNorm || r == model.FFNNorm || r == model.OutputNorm) && c.Norm == train.NormLayer {
			out = append(out, weight{role: r, layer: l, bias: true, t: s.get(name(r, l) + ".bias")})
		}
	}
	add(model.TokenEmbd, -1)
	if c.Pos == train.PosLearned {
		add(model.PosEmbd, -1)
	}
	fused := fam.HF[model.AttnQKV] != ""
	for l := 0; l < c.Layers; l++ {
		add(model.AttnNorm, l)
		if fused {
			q, k, v := s.get(name(model.AttnQ, l)+".weight"), s.get(name(model.AttnK, l)+".weight"), s.get(name(model.AttnV, l)+".weight")
			out = append(out, weight{role: model.AttnQKV, layer: l, t: stack(q, k, v)})
		} else {
			add(model.AttnQ, l)
			add(model.AttnK, l)
			add(model.AttnV, l)
		}
		add(model.AttnOut, l)
		add(model.FFNNorm, l)
		if c.MLP == train.MLPSwiGLU {
			add(model.FFNGate, l)
		}
		add(model.FFNUp, l)
		add(model.FFNDown, l)
	}
	add(model.OutputNorm, -1)
	if !c.Tied {
		add(model.Output, -1)
	}
	for i := 0; i < len(out); i++ {
		w := out[i]
		if !w.bias && slices.Contains(zeroBiases[fam.Arch], w.role) {
			out = slices.Insert(out, i+1, weight{role: w.role, layer: w.layer, bias: true, t: zeros(w.t.rows)})
			i++
		}
	}
	for _, w := range out {
		if fam.HFName(w.role, max(w.layer, 0)) == "" {
			return nil, fmt.Errorf("export: family %s has no Hugging Face name for role %d", fam.Arch, w.role)
		}
	}
	return out, nil
}

// suffix is ".weight" or ".bias".
func (w weight) suffix() string {
	if w.bias {
		return ".bias"
	}
	return ".weight"
}

// ggufName returns llama.cpp's name of w.
func (w weight) ggufName() string { return w.role.GGUFName(max(w.layer, 0)) + w.suffix() }

// hfName returns family fam's Hugging Face name of w.
func (w weight) hfName(fam *model.Family) string {
	return fam.HFName(w.role, max(w.layer, 0)) + w.suffix()
}

// halfSplitToInterleaved permutes the q or k rows of w (heads of hd rows)
// from the trainer's half-split RoPE pairs to interleaved ones.
func halfSplitToInterleaved(w tensor, heads, hd int) (tensor, error) {
	d, err := posenc.PermuteHalfToInterleaved(w.data, heads, hd, w.cols)
	return tensor{rows: w.rows, cols: w.cols, data: d, vector: w.vector}, err
}

// qkvPerHead reorders fused [Q;K;V] rows (or a bias of that length) into
// per-head groups [q_h; k_h; v_h] (equal query and kv heads).
func qkvPerHead(w tensor, heads, hd int) tensor {
	per := len(w.data) / (3 * heads * hd) // values per row
	out := make([]float32, 0, len(w.data))
	block := hd * per
	for h := 0; h < heads; h++ {
		for part := 0; part < 3; part++ {
			off := (part*heads + h) * block
			out = append(out, w.data[off:off+block]...)
		}
	}
	return tensor{rows: w.rows, cols: w.cols, data: out, vector: w.vector}
}
