//go:build amd64 && !purego

package kernel

// sgemvRowsVec wraps an SGEMV kernel that takes P rows at a time over
// whole vectors of W floats (sgemv4Asm: 4 rows × 8; sgemv1x32Asm: 1 × 32): the columns past the last multiple of W
// and the rows past the last multiple of P are finished in Go.
func sgemvRowsVec(kern func(y, a, x []float32, lda int), P, W int) func(y, a, x []float32, n int) {
	return func(y, a, x []float32, n int) {
		mP := len(y) / P * P
		nW := n / W * W
		if mP > 0 && nW > 0 {
			kern(y[:mP], a, x[:nW], n)
		} else {
			clear(y[:mP])
		}
		if nW < n {
			for i := 0; i < mP; i++ {
				y[i] += dotGeneric(a[i*n+nW:i*n+n], x[nW:])
			}
		}
		for i := mP; i < len(y); i++ {
			y[i] = dotImpl(a[i*n:i*n+n], x)
		}
	}
}
