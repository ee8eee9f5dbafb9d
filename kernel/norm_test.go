package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

var normDims = []int{1, 7, 16, 17, 64, 65, 333}

func TestRMSNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const eps = 1e-5
	for _, d := range normDims {
		rows := 3
		x, w := offset(randVec(rng, rows*d)), offset(randVec(rng, d))
		y := make([]float32, rows*d)
		inv := make([]float32, rows)
		RMSNormRows(y, x, w, d, eps, inv)
		want, winv := refRMSNorm(x, w, d, eps)
		for i := range y {
			if !near(y[i], want[i], float64(d+8)*eps32*math.Abs(want[i])+1e-30) {
				t.Fatalf("RMSNormRows d=%d i=%d: got %v want %v", d, i, y[i], want[i])
			}
		}
		for r := range inv {
			if !near(inv[r], winv[r], float64(d+8)*eps32*winv[r]) {
				t.Fatalf("RMSNormRows invRMS d=%d: got %v want %v", d, inv[r], winv[r])
			}
		}
		// In place, no invRMS.
		y2 := append([]float32(nil), x...)
		RMSNormRows(y2, y2, w, d, eps, nil)
		for i := range y2 {
			if y2[i] != y[i] {
				t.Fatalf("RMSNormRows in place differs at %d", i)
			}
		}
		// Backward.
		dy := offset(randVec(rng, rows*d))
		dx := make([]float32, rows*d)
		dw := make([]float32, d)
		RMSNormBackwardRows(dx, dw, dy, x, w, inv, d)
		wdx, wdw := refRMSNormBackward(dy, x, w, d, eps)
		for i := range dx {
			r := i / d
			// Scale of the terms: inv·|g| + inv³·|x|·Σ|g·x|/d.
			var sgx float64
			for j := 0; j < d; j++ {
				sgx += math.Abs(float64(dy[r*d+j] * w[j] * x[r*d+j]))
			}
			iv := float64(inv[r])
			scale := iv*math.Abs(float64(dy[i]*w[i%d])) + iv*iv*iv*math.Abs(float64(x[i]))*sgx/float64(d)
			if !near(dx[i], wdx[i], float64(2*d+16)*eps32*scale+1e-30) {
				t.Fatalf("RMSNormBackwardRows dx d=%d i=%d: got %v want %v", d, i, dx[i], wdx[i])
			}
		}
		for i := range dw {
			var abs float64
			for r := 0; r < rows; r++ {
				abs += math.Abs(float64(dy[r*d+i]*x[r*d+i])) * float64(inv[r])
			}
			if !near(dw[i], wdw[i], float64(d+16)*eps32*abs+1e-30) {
				t.Fatalf("RMSNormBackwardRows dw d=%d i=%d: got %v want %v", d, i, dw[i], wdw[i])
			}
		}
	}
}

func TestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	const eps = 1e-5
	for _, d := range normDims {
		rows := 3
		x, w, b := offset(randVec(rng, rows*d)), offset(randVec(rng, d)), offset(randVec(rng, d))
		for i := range x {
			x[i] += 3 // a non-zero mean
		}
		for _, bias := range [][]float32{b, nil} {
			y := make([]float32, rows*d)
			mean, inv := make([]float32, rows), make([]float32, rows)
			LayerNormRows(y, x, w, bias, d, eps, mean, inv)
			want, wm, wi := refLayerNorm(x, w, bias, d, eps)
			for i := range y {
				r := i / d
				// (x−mean) loses |x|+|mean| worth of ulps when the mean is large.
				scale := math.Abs((float64(x[i])-wm[r])*wi[r]*float64(w[i%d])) + 2*math.Abs(wi[r]*float64(w[i%d]))*(math.Abs(float64(x[i]))+math.Abs(wm[r]))
				if bias != nil {
					scale += math.Abs(float64(bias[i%d]))
				}
				if !near(y[i], want[i], float64(d+8)*eps32*scale+1e-30) {
					t.Fatalf("LayerNormRows d=%d i=%d: got %v want %v", d, i, y[i], want[i])
				}
			}
			for r := range mean {
				if !near(mean[r], wm[r], float64(d+4)*eps32*4) || !near(inv[r], wi[r], float64(d+8)*eps32*wi[r]*4) {
					t.Fatalf("LayerNormRows stats d=%d: got %v %v want %v %v", d, mean[r], inv[r], wm[r], wi[r])
				}
			}
		}
		mean, inv := make([]float32, rows), make([]float32, rows)
		LayerNormRows(make([]float32, rows*d), x, w, b, d, eps, mean, inv)
		dy := offset(randVec(rng, rows*d))
		dx := make([]float32, rows*d)
		dw, db := make([]float32, d), make([]float32, d)
		LayerNormBackwardRows(dx, dw, db, dy, x, w, mean, inv, d)
		wdx, wdw, wdb := refLayerNormBackward(dy, x, w, d, eps)
		for i := range dx {
			r := i / d
			var sg float64
			for j := 0; j < d; j++ {
				sg += math.Abs(float64(dy[r*d+j] * w[j]))
			}
			scale := float64(inv[r]) * (math.Abs(float64(dy[i]*w[i%d])) + 4*sg/float64(d)*(1+math.Abs(float64(x[i]-mean[r])*float64(inv[r]))))
			if !near(dx[i], wdx[i], float64(2*d+16)*eps32*scale+1e-30) {
				t.Fatalf("LayerNormBackwardRows dx d=%d i=%d: got %v want %v", d, i, dx[i], wdx[i])
			}
		}
		for i := range dw {
			var absw, absb float64
			for r := 0; r < rows; r++ {
				absw += math.Abs(float64(dy[r*d+i])) * (math.Abs(float64(x[r*d+i]-mean[r])) + 1) * float64(inv[r])
				absb += math.Abs(float64(dy[r*d+i]))
			}
			if !near(dw[i], wdw[i], float64(d+16)*eps32*absw) || !near(db[i], wdb[i], 8*eps32*absb) {
				t.Fatalf("LayerNormBackwardRows dw/db d=%d i=%d: got %v %v want %v %v", d, i, dw[i], db[i], wdw[i], wdb[i])
			}
		}
	}
}

func TestRoPE(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range [][4]int{{1, 1, 2, 2}, {3, 2, 8, 8}, {5, 3, 64, 64}, {2, 2, 40, 34}, {4, 2, 128, 96}, {2, 1, 6, 0}, {3, 2, 34, 34}} {
		nt, nh, hd, nd := s[0], s[1], s[2], s[3]
		h := nd / 2
		cos, sin := make([]float32, nt*h), make([]float32, nt*h)
		for t := 0; t < nt; t++ {
			for i := 0; i < h; i++ {
				ang := float64(t) * math.Pow(10000, -float64(2*i)/float64(nd))
				cos[t*h+i], sin[t*h+i] = float32(math.Cos(ang)), float32(math.Sin(ang))
			}
		}
		for _, half := range []bool{true, false} {
			for _, inverse := range []bool{false, true} {
				x := offset(randVec(rng, nt*nh*hd))
				want := refRoPE(x, nt, nh, hd, nd, cos, sin, half, inverse)
				orig := append([]float32(nil), x...)
				if inverse {
					RoPEBackwardRows(x, nt, nh, hd, nd, cos, sin, half)
				} else {
					RoPERows(x, nt, nh, hd, nd, cos, sin, half)
				}
				for i := range x {
					if !near(x[i], want[i], 4*eps32*(math.Abs(want[i])+2*math.Abs(float64(orig[i])))+1e-30) {
						// Loose per-element scale: the pair partner can be
						// larger; use the pair-independent bound below.
						var mx float64
						for _, v := range orig {
							mx = math.Max(mx, math.Abs(float64(v)))
						}
						if !near(x[i], want[i], 6*eps32*mx) {
							t.Fatalf("RoPE %v half=%v inverse=%v i=%d: got %v want %v", s, half, inverse, i, x[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestNormNonTemporal checks the large-output path (non-temporal stores)
// against row-by-row calls, which use ordinary stores: results must be
// bit-identical.
func TestNormNonTemporal(t *testing.T) {
	const rows, d = 1024, 4096 // 16 MiB of output
	rng := rand.New(rand.NewPCG(27, 28))
	x, w, b := randVec(rng, rows*d), randVec(rng, d), randVec(rng, d)
	big, small := make([]float32, rows*d), make([]float32, rows*d)
	for _, bias := range [][]float32{b, nil} {
		RMSNormRows(big, x, w, d, 1e-5, nil)
		for r := 0; r < rows; r++ {
			RMSNormRows(small[r*d:r*d+d], x[r*d:r*d+d], w, d, 1e-5, nil)
		}
		for i := range big {
			if math.Float32bits(big[i]) != math.Float32bits(small[i]) {
				t.Fatalf("RMSNormRows large output differs at %d: %v vs %v", i, big[i], small[i])
			}
		}
		LayerNormRows(big, x, w, bias, d, 1e-5, nil, nil)
		for r := 0; r < rows; r++ {
			LayerNormRows(small[r*d:r*d+d], x[r*d:r*d+d], w, bias, d, 1e-5, nil, nil)
		}
		for i := range big {
			if math.Float32bits(big[i]) != math.Float32bits(small[i]) {
				t.Fatalf("LayerNormRows large output differs at %d: %v vs %v", i, big[i], small[i])
			}
		}
	}
	t.Logf("non-temporal path used: %v", useNT(big, d))
}

// TestNormBackwardInPlace checks that dx may alias dy.
func TestNormBackwardInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	const rows, d = 3, 37
	x, w, dy := randVec(rng, rows*d), randVec(rng, d), randVec(rng, rows*d)
	inv, mean := make([]float32, rows), make([]float32, rows)
	RMSNormRows(make([]float32, rows*d), x, w, d, 1e-5, inv)
	dx := make([]float32, rows*d)
	dw1, dw2 := make([]float32, d), make([]float32, d)
	RMSNormBackwardRows(dx, dw1, dy, x, w, inv, d)
	g := append([]float32(nil), dy...)
	RMSNormBackwardRows(g, dw2, g, x, w, inv, d)
	for i := range g {
		if g[i] != dx[i] {
			t.Fatalf("RMSNormBackwardRows in place differs at %d", i)
		}
	}
	LayerNormRows(make([]float32, rows*d), x, w, nil, d, 1e-5, mean, inv)
	LayerNormBackwardRows(dx, dw1, nil, dy, x, w, mean, inv, d)
	g = append(g[:0], dy...)
	LayerNormBackwardRows(g, dw2, nil, g, x, w, mean, inv, d)
	for i := range g {
		if g[i] != dx[i] {
			t.Fatalf("LayerNormBackwardRows in place differs at %d", i)
		}
	}
}
