package model

import (
	"math"

	"github.com/llmparts/llmparts/kernel"
)

// Tiled attention of a prompt (flash-attention style). The queries of a
// head go in blocks of tileQ rows, the keys a block sees (causal, within
// the window) in blocks of tileK; for each key block
//
//	S   = Q_b·K_bᵀ, then the logits of each row (scale, soft-cap, ALiBi),
//	m'  = max(m, max_j s_j),   α = exp(m − m'),   P = exp(S − m') (masked: 0)
//	l   ← α·l + Σ_j P_j,       O ← α·O + P·V_b,   m ← m'
//
// and O/l is the output: the softmax of the whole row, computed with a
// running maximum m and sum l (online softmax), so that the score matrix
// in flight is tileQ×tileK floats however long the prompt, and key blocks
// that the causal mask or the window hide entirely are never computed.
var (
	tileQ = 64
	tileK = 256
)

// attnTileJob is the attention of T tokens split over the pool by (query
// block, head) pairs.
type attnTileJob struct {
	attnTask
	blocks int // query blocks: ⌈T/tileQ⌉
}

// tileScratch returns the floats a worker needs for one (block, head)
// pair: the tileQ×tileK scores and the running maximum and sum per row.
func tileScratch() int { return tileQ*tileK + 2*tileQ }

// run computes the (query block, head) pairs lo..hi.
func (j *attnTileJob) run(lo, hi, wk int) {
	s := j.s
	H := s.m.Config.NHeads
	hd, qd, kvd, group := j.dims()
	kc, vc := s.k[j.layer], s.v[j.layer]
	buf := s.scores[wk][:tileScratch()]
	sc, m, l := buf[:tileQ*tileK], buf[tileQ*tileK:tileQ*tileK+tileQ], buf[tileQ*tileK+tileQ:]
	for idx := lo; idx < hi; idx++ {
		// Pair short and long causal blocks (0, last, 1, last−1, ...) so
		// that contiguous chunks of indices carry similar work.
		k, h := idx/H, idx%H
		qb := k >> 1
		if k&1 == 1 {
			qb = j.blocks - 1 - k>>1
		}
		t0 := qb * tileQ
		n := min(tileQ, j.T-t0)
		p0 := j.pos + t0 // positions p0..p0+n−1
		kvOff := (h / group) * hd
		q := s.q[t0*qd+h*hd:]
		o := j.out[t0*qd+h*hd:]
		for r := range n {
			clear(o[r*qd : r*qd+hd])
			m[r] = float32(math.Inf(-1))
			l[r] = 0
		}
		for kb := s.first(j.layer, p0); kb < p0+n; kb += tileK {
			nk := min(tileK, p0+n-kb)
			S := sc[:n*nk]
			kernel.Sgemm(false, true, n, nk, hd, 1, q, qd, kc[kb*kvd+kvOff:], kvd, 0, S, nk)
			for r := range n {
				p := p0 + r
				row := S[r*nk : (r+1)*nk]
				a, b := max(s.first(j.layer, p), kb)-kb, min(p+1, kb+nk)-kb // keys kb+a..kb+b−1
				if a >= b {
					clear(row)
					continue
				}
				clear(row[:a])
				clear(row[b:])
				x := row[a:b]
				s.attnLogits(x, h, p, kb+a)
				mx := max(m[r], kernel.Max(x))
				sum := kernel.ExpSub(x, mx)
				if alpha := float32(math.Exp(float64(m[r] - mx))); alpha != 1 {
					// m[r] = −∞ on the first block: α = 0, and O, l are 0.
					l[r] *= alpha
					kernel.Scale(alpha, o[r*qd:r*qd+hd])
				}
				l[r] += sum
				m[r] = mx
			}
			kernel.Sgemm(false, false, n, hd, nk, 1, S, nk, vc[kb*kvd+kvOff:], kvd, 1, o, qd)
		}
		for r := range n {
			kernel.Scale(1/l[r], o[r*qd:r*qd+hd])
		}
	}
}
