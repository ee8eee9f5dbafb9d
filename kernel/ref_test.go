package kernel

import "math"

// Plain, obviously correct references: float64 accumulation, no
// unrolling, no tricks. Every fast kernel is tested against these.

func refDot(x, y []float32) (sum, abs float64) {
	for i := range x {
		p := float64(x[i]) * float64(y[i])
		sum += p
		abs += math.Abs(p)
	}
	return
}

func refSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (out, bound []float64) {
	out = make([]float64, m*n)
	bound = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = v
			bound[i*n+j] = math.Abs(float64(alpha))*abs + math.Abs(float64(beta)*float64(c[i*ldc+j]))
		}
	}
	return
}

func refExp(x float32) float64 { return math.Exp(float64(x)) }

func refRMSNorm(x, w []float32, d int, eps float32) ([]float64, []float64) {
	rows := len(x) / d
	y := make([]float64, len(x))
	inv := make([]float64, rows)
	for r := 0; r < rows; r++ {
		var ss float64
		for _, v := range x[r*d : r*d+d] {
			ss += float64(v) * float64(v)
		}
		inv[r] = 1 / math.Sqrt(ss/float64(d)+float64(eps))
		for i := 0; i < d; i++ {
			y[r*d+i] = float64(x[r*d+i]) * inv[r] * float64(w[i])
		}
	}
	return y, inv
}

// refRMSNormBackward differentiates refRMSNorm exactly (float64).
func refRMSNormBackward(dy, x, w []float32, d int, eps float32) (dx, dw []float64) {
	rows := len(x) / d
	dx = make([]float64, len(x))
	dw = make([]float64, d)
	for r := 0; r < rows; r++ {
		var ss float64
		for _, v := range x[r*d : r*d+d] {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(ss/float64(d)+float64(eps))
		var gx float64
		for i := 0; i < d; i++ {
			gx += float64(dy[r*d+i]) * float64(w[i]) * float64(x[r*d+i])
		}
		for i := 0; i < d; i++ {
			g := float64(dy[r*d+i]) * float64(w[i])
			dx[r*d+i] = inv*g - float64(x[r*d+i])*inv*inv*inv*gx/float64(d)
			dw[i] += float64(dy[r*d+i]) * float64(x[r*d+i]) * inv
		}
	}
	return
}

func refLayerNorm(x, w, b []float32, d int, eps float32) (y, mean, inv []float64) {
	rows := len(x) / d
	y = make([]float64, len(x))
	mean = make([]float64, rows)
	inv = make([]float64, rows)
	for r := 0; r < rows; r++ {
		var s float64
		for _, v := range x[r*d : r*d+d] {
			s += float64(v)
		}
		mu := s / float64(d)
		var vs float64
		for _, v := range x[r*d : r*d+d] {
			vs += (float64(v) - mu) * (float64(v) - mu)
		}
		iv := 1 / math.Sqrt(vs/float64(d)+float64(eps))
		mean[r], inv[r] = mu, iv
		for i := 0; i < d; i++ {
			v := (float64(x[r*d+i]) - mu) * iv * float64(w[i])
			if b != nil {
				v += float64(b[i])
			}
			y[r*d+i] = v
		}
	}
	return
}

func refLayerNormBackward(dy, x, w []float32, d int, eps float32) (dx, dw, db []float64) {
	rows := len(x) / d
	_, mean, inv := refLayerNorm(x, w, nil, d, eps)
	dx = make([]float64, len(x))
	dw = make([]float64, d)
	db = make([]float64, d)
	for r := 0; r < rows; r++ {
		var mg, mgx float64
		for i := 0; i < d; i++ {
			g := float64(dy[r*d+i]) * float64(w[i])
			xh := (float64(x[r*d+i]) - mean[r]) * inv[r]
			mg += g
			mgx += g * xh
			dw[i] += float64(dy[r*d+i]) * xh
			db[i] += float64(dy[r*d+i])
		}
		mg /= float64(d)
		mgx /= float64(d)
		for i := 0; i < d; i++ {
			g := float64(dy[r*d+i]) * float64(w[i])
			xh := (float64(x[r*d+i]) - mean[r]) * inv[r]
			dx[r*d+i] = inv[r] * (g - mg - xh*mgx)
		}
	}
	return
}

func refRoPE(x []float32, nTokens, nHeads, headDim, nDims int, cos, sin []float32, halfSplit, inverse bool) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	h := nDims / 2
	for t := 0; t < nTokens; t++ {
		for hd := 0; hd < nHeads; hd++ {
			base := (t*nHeads + hd) * headDim
			for i := 0; i < h; i++ {
				ia, ib := base+2*i, base+2*i+1
				if halfSplit {
					ia, ib = base+i, base+i+h
				}
				c, s := float64(cos[t*h+i]), float64(sin[t*h+i])
				if inverse {
					s = -s
				}
				a, b := float64(x[ia]), float64(x[ib])
				out[ia] = a*c - b*s
				out[ib] = a*s + b*c
			}
		}
	}
	return out
}

func refGemvQ8(w []byte, x []float32, m, n int) []float64 {
	y := make([]float64, m)
	nb := n / 32
	for r := 0; r < m; r++ {
		for b := 0; b < nb; b++ {
			blk := w[(r*nb+b)*34:]
			d := float64(f16ToF32(uint16(blk[0]) | uint16(blk[1])<<8))
			for j := 0; j < 32; j++ {
				y[r] += d * float64(int8(blk[2+j])) * float64(x[b*32+j])
			}
		}
	}
	return y
}

func refGemvQ4(w []byte, x []float32, m, n int) []float64 {
	y := make([]float64, m)
	nb := n / 32
	for r := 0; r < m; r++ {
		for b := 0; b < nb; b++ {
			blk := w[(r*nb+b)*18:]
			d := float64(f16ToF32(uint16(blk[0]) | uint16(blk[1])<<8))
			for j := 0; j < 32; j++ {
				var q int
				if j < 16 {
					q = int(blk[2+j] & 15)
				} else {
					q = int(blk[2+j-16] >> 4)
				}
				y[r] += d * float64(q-8) * float64(x[b*32+j])
			}
		}
	}
	return y
}
