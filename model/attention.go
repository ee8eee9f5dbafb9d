package model

import (
	"github.com/llmparts/llmparts/kernel"
)

// attention computes the attention of T tokens at positions pos.. for
// block b from its input rows in, and returns the heads' outputs
// [T][heads·hd] (before W_o). The tokens' keys and values join the cache.
func (s *Session) attention(b *Block, in []float32, T, pos int) []float32 {
	c := &s.m.Config
	hd := c.HeadDim
	qd, kvd := c.NHeads*hd, c.NKVHeads*hd
	q, k, v := s.q[:T*qd], s.kk[:T*kvd], s.vv[:T*kvd]
	if T == 1 && s.seqs == nil {
		s.gemv(in, matPart{w: b.WQ, y: q}, matPart{w: b.WK, y: k}, matPart{w: b.WV, y: v})
	} else {
		s.matmul(b.WQ, q, in, T, false)
		s.matmul(b.WK, k, in, T, false)
		s.matmul(b.WV, v, in, T, false)
	}
	addBias(q, b.BQ)
	addBias(k, b.BK)
	addBias(v, b.BV)
	if b.QNorm.Present() {
		b.QNorm.forward(q, q)
	}
	if b.KNorm.Present() {
		b.KNorm.forward(k, k)
	}
	if s.seqs != nil {
		return s.batchAttention(b, T)
	}
	if s.rope != nil {
		// Positions are within the table (checked by pass).
		ps := s.pos[:T]
		s.rope.GGML = s.ropeGGML && s.m.MatchGGML // ggml's float32 rotation: ~3× the float64 one
		_ = s.rope.Apply(q, T, c.NHeads, ps)
		_ = s.rope.Apply(k, T, c.NKVHeads, ps)
	}
	copy(s.k[b.Index][pos*kvd:(pos+T)*kvd], k)
	copy(s.v[b.Index][pos*kvd:(pos+T)*kvd], v)
	return s.attend(b.Index, T, pos)
}

// attend computes the attention of the T queries in s.q at positions
// pos.. of layer l over the cached keys and values 0..pos+T−1 into s.att.
func (s *Session) attend(l, T, pos int) []float32 {
	c := &s.m.Config
	hd := c.HeadDim
	att := s.att[:T*c.NHeads*hd]
	if s.m.MatchGGML && c.AttnSoftcap == 0 && s.alibi == nil {
		s.agg = attnGGMLJob{attnTask{s: s, layer: l, T: T, pos: pos, out: att}}
		s.m.pool.parallel(&s.agg, T*c.NHeads, (pos+T)*hd*20)
	} else if T >= gemmAttnMin {
		if len(s.scores) < s.m.pool.n {
			s.scores = make([][]float32, s.m.pool.n)
		}
		for i := range s.scores {
			if len(s.scores[i]) < tileScratch() {
				s.scores[i] = make([]float32, tileScratch())
			}
		}
		s.at = attnTileJob{attnTask{s: s, layer: l, T: T, pos: pos, out: att}, (T + tileQ - 1) / tileQ}
		s.m.pool.parallel(&s.at, s.at.blocks*c.NHeads, min(tileQ, T)*(pos+T)*hd*2)
	} else {
		s.aj = attnJob{attnTask{s: s, layer: l, T: T, pos: pos, out: att}}
		// A head's cost per position is about four times its 2·hd
		// multiply-adds (two kernel calls on a row of the cache): counted
		// so, a decode step splits its heads over the pool from about
		// position 10 on instead of 42.
		s.m.pool.parallel(&s.aj, T*c.NHeads, (pos+T)*hd*8)
	}
	return att
}

// first returns the first key position a query at position p of layer l
// sees: 0, or p−window+1 with a sliding window.
func (s *Session) first(l, p int) int {
	if w := s.m.Config.window(l); w > 0 {
		return max(0, p-w+1)
	}
	return 0
}

// weights turns the raw scores q·k_j of head h for keys j = j0..p (in
// sc) into attention weights in place: logits, then softmax over j.
func (s *Session) weights(sc []float32, h, p, j0 int) {
	s.attnLogits(sc, h, p, j0)
	kernel.Softmax(sc)
}

// attnLogits turns the raw scores q·k_j of head h for keys j = j0.. (in sc)
// of the query at position p into the softmax's arguments in place:
//
//	s_j = scale·q·k_j,  s_j ← c·tanh(s_j/c) (soft-capping),
//	s_j += m_h·(j−p) (ALiBi, posenc).
func (s *Session) attnLogits(sc []float32, h, p, j0 int) {
	c := &s.m.Config
	scale := c.attnScale()
	if cp := c.AttnSoftcap; cp > 0 {
		kernel.Softcap(sc, float32(cp), scale)
	} else {
		kernel.Scale(scale, sc)
	}
	if s.alibi != nil {
		_ = s.alibi.AddBias(sc, h, p, j0) // h < heads by construction
	}
}

// gemmAttnMin is the fewest tokens whose attention runs tiled, as small
// GEMMs (attntile.go); fewer go token by token (attnJob). A variable so
// that tests can force the per-token path.
var gemmAttnMin = 8

// attnTask is the attention of T tokens at positions pos.. in one layer,
// written to out [T][heads·hd]; attnTileJob and attnJob split it over the
// pool by (query block, head) and by (token, head) pairs.
type attnTask struct {
	s      *Session
	layer  int
	T, pos int
	out    []float32
}

// dims returns the head size hd, the widths qd and kvd of a token's query
// and key/value rows, and the number of query heads per key/value head.
func (j *attnTask) dims() (hd, qd, kvd, group int) {
	c := &j.s.m.Config
	hd = c.HeadDim
	return hd, c.NHeads * hd, c.NKVHeads * hd, c.NHeads / c.NKVHeads
}

type attnJob struct{ attnTask }

// run computes the attention output of (token, head) pairs lo..hi.
func (j *attnJob) run(lo, hi, wk int) {
	s := j.s
	c := &s.m.Config
	hd, qd, kvd, group := j.dims()
	kc, vc := s.k[j.layer], s.v[j.layer]
	for idx := lo; idx < hi; idx++ {
		// Pair short and long causal rows (t = 0, T−1, 1, T−2, ...) so that
		// contiguous chunks of indices carry similar work.
		k, h := idx/c.NHeads, idx%c.NHeads
		t := k >> 1
		if k&1 == 1 {
			t = j.T - 1 - k>>1
		}
		p := j.pos + t
		j0 := s.first(j.layer, p)
		q := s.q[t*qd+h*hd : t*qd+(h+1)*hd]
		kvOff := (h / group) * hd
		sc := s.scratch[wk][:p+1-j0]
		if hd >= 32 {
			sc[0] = touchRows(kc, vc, j0, p, kvd, kvOff, hd) // overwritten below; keeps the loads
		}
		switch {
		case hd >= 32:
			for i := range sc {
				r := (j0+i)*kvd + kvOff
				sc[i] = kernel.Dot(q, kc[r:r+hd])
			}
		case hd%8 == 0:
			// Small heads: eight query values stay in registers while the
			// loop runs over positions.
			clear(sc)
			for c := 0; c < hd; c += 8 {
				qc := q[c : c+8]
				q0, q1, q2, q3, q4, q5, q6, q7 := qc[0], qc[1], qc[2], qc[3], qc[4], qc[5], qc[6], qc[7]
				for i := range sc {
					k := kc[(j0+i)*kvd+kvOff+c:]
					k = k[:8]
					sc[i] += q0*k[0] + q1*k[1] + q2*k[2] + q3*k[3] + q4*k[4] + q5*k[5] + q6*k[6] + q7*k[7]
				}
			}
		default:
			for i := range sc {
				k := kc[(j0+i)*kvd+kvOff:]
				k = k[:len(q)]
				var d0, d1 float32
				e := 0
				for ; e+1 < len(q); e += 2 {
					d0 += q[e] * k[e]
					d1 += q[e+1] * k[e+1]
				}
				if e < len(q) {
					d0 += q[e] * k[e]
				}
				sc[i] = d0 + d1
			}
		}
		s.weights(sc, h, p, j0)
		o := j.out[t*qd+h*hd : t*qd+(h+1)*hd]
		clear(o)
		switch {
		case hd >= 32:
			for i, a := range sc {
				r := (j0+i)*kvd + kvOff
				kernel.Axpy(a, vc[r:r+hd], o)
			}
		case hd%8 == 0:
			for c := 0; c < hd; c += 8 {
				var o0, o1, o2, o3, o4, o5, o6, o7 float32
				for i, a := range sc {
					v := vc[(j0+i)*kvd+kvOff+c:]
					v = v[:8]
					o0 += a * v[0]
					o1 += a * v[1]
					o2 += a * v[2]
					o3 += a * v[3]
					o4 += a * v[4]
					o5 += a * v[5]
					o6 += a * v[6]
					o7 += a * v[7]
				}
				oc := o[c : c+8]
				oc[0], oc[1], oc[2], oc[3], oc[4], oc[5], oc[6], oc[7] = o0, o1, o2, o3, o4, o5, o6, o7
			}
		default:
			for i, a := range sc {
				v := vc[(j0+i)*kvd+kvOff:]
				v = v[:len(o)]
				for e := range o {
					o[e] += a * v[e]
				}
			}
		}
	}
}

// touchRows reads one float of every 64-byte line of the head's key and
// value rows for positions j0..p (hd floats at kvOff in rows of kvd)
// before the dot products and the weighted sum use them. Between decode
// steps the weights streamed through the caches evict the cache, and the
// kernel calls of one row after another leave little memory parallelism;
// these loads, a few instructions each, are issued together, so the rows
// come from memory at once instead of one miss per call. It returns the
// sum of the values read, for the caller to store so that the loads stay.
func touchRows(kc, vc []float32, j0, p, kvd, kvOff, hd int) float32 {
	var s float32
	for i := j0; i <= p; i++ {
		r := i*kvd + kvOff
		k, v := kc[r:r+hd], vc[r:r+hd]
		for c := 0; c < hd; c += 16 {
			s += k[c] + v[c]
		}
	}
	return s
}
