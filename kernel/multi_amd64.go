//go:build amd64 && !purego

package kernel

// multiStride is the distance in floats between sgemvMulti*Asm's output
// vectors (asm/main.go has the same constant): a block of up to 64 rows
// plus the repeats of a lone row (lda 0) by a kernel of up to 4 rows.
const multiStride = 68

// multiKernels is one family of sgemvMulti kernels: fn[V] takes V ≤ maxV
// vectors and rows[V] weight rows per pass over whole groups of lanes
// columns. Every kernel of a family computes a (row, vector) pair the same
// way, so a vector's result does not depend on V.
type multiKernels struct {
	fn    [9]func(y *float32, a *float32, lda int, xs *[8]*float32, passes, n int)
	rows  [9]int
	maxV  int
	lanes int
}

var (
	// AVX2: up to four vectors per pass (16 YMM registers).
	multiAVX2 = multiKernels{
		fn:    [9]func(y *float32, a *float32, lda int, xs *[8]*float32, passes, n int){nil, sgemvMulti1Asm, sgemvMulti2Asm, sgemvMulti3Asm, sgemvMulti4Asm},
		rows:  [9]int{0, 4, 4, 3, 3}, // asm/main.go's multiRows
		maxV:  4,
		lanes: 8,
	}
	// AVX-512: up to eight vectors per pass (32 ZMM registers), so a batch
	// of eight sequences reads every weight row once per step.
	multiAVX512 = multiKernels{
		fn: [9]func(y *float32, a *float32, lda int, xs *[8]*float32, passes, n int){nil,
			sgemvMulti1x16Asm, sgemvMulti2x16Asm, sgemvMulti3x16Asm, sgemvMulti4x16Asm,
			sgemvMulti5x16Asm, sgemvMulti6x16Asm, sgemvMulti7x16Asm, sgemvMulti8x16Asm},
		rows:  [9]int{0, 4, 4, 4, 4, 4, 4, 3, 3}, // asm/multi8.go's multi8Rows
		maxV:  8,
		lanes: 16,
	}
)

// run runs the family over groups of up to maxV vectors and blocks of 64
// rows (a block stays in cache for all groups), then adds the columns past
// the last multiple of lanes and stores or accumulates. Rows left over by
// a kernel's pass are recomputed by an overlapping pass, or, in a block
// of fewer rows than a pass, one row at a time (lda 0).
func (mk *multiKernels) run(y []float32, ldy int, a []float32, x []float32, ldx int, T, m, n int, accumulate bool) {
	nl := n / mk.lanes * mk.lanes
	if nl == 0 {
		sgemvMultiGeneric(y, ldy, a, x, ldx, T, m, n, accumulate)
		return
	}
	var buf [8 * multiStride]float32
	var xs [8]*float32
	for c0 := 0; c0 < m; c0 += 64 {
		c := min(64, m-c0)
		for g := 0; g < T; g += mk.maxV {
			V := min(mk.maxV, T-g)
			for v := range xs {
				xs[v] = &x[(g+min(v, V-1))*ldx]
			}
			f, P := mk.fn[V], mk.rows[V]
			if c >= P {
				f(&buf[0], &a[c0*n], n, &xs, c/P, nl)
				if c%P != 0 {
					f(&buf[c-P], &a[(c0+c-P)*n], n, &xs, 1, nl)
				}
			} else {
				for k := 0; k < c; k++ {
					f(&buf[k], &a[(c0+k)*n], 0, &xs, 1, nl)
				}
			}
			for v := 0; v < V; v++ {
				t := g + v
				yt := y[t*ldy+c0 : t*ldy+c0+c]
				bv := buf[v*multiStride : v*multiStride+c]
				if nl < n {
					xt := x[t*ldx+nl : t*ldx+n]
					for k := range bv {
						r := (c0 + k) * n
						bv[k] += dotGeneric(a[r+nl:r+n], xt)
					}
				}
				// One float32 add or copy per element, as vectors.
				if accumulate {
					addImpl(yt, yt, bv)
				} else {
					copy(yt, bv)
				}
			}
		}
	}
}
