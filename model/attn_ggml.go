package model

import "github.com/llmparts/llmparts/kernel"

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
