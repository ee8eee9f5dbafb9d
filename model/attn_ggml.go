package model

import (
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/quant"
)

// attnGGMLJob is the attention of MatchGGML: every (token, head) pair in
// llama.cpp's float32 arithmetic (kernel.DotGGML for the scores, the
// scale, kernel.SoftmaxGGML, kernel.WeightedSumGGML for the values), the
// same for a prompt and for one token at a time.
type attnGGMLJob struct{ attnTask }

func (j *attnGGMLJob) run(lo, hi, wk int) {
	s := j.s
	c := &s.m.Config
	hd, qd, kvd, group := j.dims()
	kc, vc := s.k[j.layer], s.v[j.layer]
	scale := c.attnScale()
	for idx := lo; idx < hi; idx++ {
		t, h := idx/c.NHeads, idx%c.NHeads
		p := j.pos + t
		j0 := s.first(j.layer, p)
		q := s.q[t*qd+h*hd : t*qd+(h+1)*hd]
		kvOff := (h / group) * hd
		sc := s.scratch[wk][:p+1-j0]
		for i := range sc {
			r := (j0+i)*kvd + kvOff
			sc[i] = kernel.DotGGML(q, kc[r:r+hd]) * scale
		}
		kernel.SoftmaxGGML(sc, j0)
		kernel.WeightedSumGGML(j.out[t*qd+h*hd:t*qd+(h+1)*hd], sc, vc[j0*kvd+kvOff:], kvd, j0)
	}
}

// matmulF16GGML is the integer path of F16 weights with MatchGGML:
// y[t] = W·x_t (or +=) as llama.cpp's F16 GEMM computes it, x_t rounded
// to F16 and every output kernel.Dot16GGML of the float32 row and x_t.
func (s *Session) matmulF16GGML(w *Tensor, y, x []float32, T int, add bool) {
	rows, cols := w.Rows, w.Cols
	xr := make([]float32, cols)
	wr := make([]float32, cols)
	for t := 0; t < T; t++ {
		for i, v := range x[t*cols : (t+1)*cols] {
			xr[i] = quant.F16ToF32(quant.F32ToF16(v))
		}
		yt := y[t*rows : (t+1)*rows]
		for r := range yt {
			w.Row(r, wr)
			d := kernel.Dot16GGML(wr, xr)
			if add {
				yt[r] += d
			} else {
				yt[r] = d
			}
		}
	}
}

// f16GGML reports whether weights w take matmulF16GGML.
func (s *Session) f16GGML(w *Tensor) bool {
	return s.m.MatchGGML && w.Type == quant.F16 && w.Cols%16 == 0 && s.m.intPath(w.Type)
}
