package train

// setKernelThreads forwards the thread count to the matrix kernels.
func setKernelThreads(n int) {}

// matMulT computes C[m×n] = A[m×k]·B[n×k]ᵀ (or adds it to C when
// accumulate), splitting rows of C over goroutines. Each C element is one
// dot product summed in a fixed order, so results do not depend on the
// thread count.
func matMulT(c, a, b []float32, m, n, k int, accumulate bool) {
	work := m * n * k
	split := func(lo, hi int) {
		i := lo
		for ; i+2 <= hi; i += 2 {
			a0 := a[i*k : i*k+k]
			a1 := a[(i+1)*k : (i+1)*k+k]
			c0 := c[i*n : i*n+n]
			c1 := c[(i+1)*n : (i+1)*n+n]
			j := 0
			for ; j+2 <= n; j += 2 {
				b0 := b[j*k : j*k+k]
				b1 := b[(j+1)*k : (j+1)*k+k]
				var s00, s01, s10, s11 float32
				for p := range a0 {
					x0, x1 := a0[p], a1[p]
					y0, y1 := b0[p], b1[p]
					s00 += x0 * y0
					s01 += x0 * y1
					s10 += x1 * y0
					s11 += x1 * y1
				}
				if accumulate {
					c0[j] += s00
					c0[j+1] += s01
					c1[j] += s10
					c1[j+1] += s11
				} else {
					c0[j], c0[j+1], c1[j], c1[j+1] = s00, s01, s10, s11
				}
			}
			for ; j < n; j++ {
				b0 := b[j*k : j*k+k]
				var s0, s1 float32
				for p := range a0 {
					s0 += a0[p] * b0[p]
					s1 += a1[p] * b0[p]
				}
				if accumulate {
					c0[j] += s0
					c1[j] += s1
				} else {
					c0[j], c1[j] = s0, s1
				}
			}
		}
		for ; i < hi; i++ {
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
	if work < 1<<16 || m < 4 {
		split(0, m)
		return
	}
	// Split rows in even-sized chunks so the 2-row kernel pairs the same
	// rows whatever the thread count.
	pairs := (m + 1) / 2
	parallelFor(pairs, func(lo, hi int) { split(2*lo, min(2*hi, m)) })
}
