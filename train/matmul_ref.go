package train

// matMulTRef computes C[m×n] = A[m×k]·B[n×k]ᵀ (or adds it when
// accumulate) with a plain 2×2 register-blocked loop split over
// goroutines by row pairs. It is the reference the kernel-backed linear
// layers are tested against.
func matMulTRef(c, a, b []float32, m, n, k int, accumulate bool) {
	split := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a0 := a[i*k : i*k+k]
			c0 := c[i*n : i*n+n]
			for j := 0; j < n; j++ {
				b0 := b[j*k : j*k+k]
				var s float32
				for p := range a0 {
					s += a0[p] * b0[p]
				}
				if accumulate {
					c0[j] += s
				} else {
					c0[j] = s
				}
			}
		}
	}
	parallelFor(m, split)
}
