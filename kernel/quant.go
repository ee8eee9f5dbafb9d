package kernel

import (
	"fmt"

	"github.com/llmparts/llmparts/quant"
)

// QK is the number of values per block of the 32-element formats.
const QK = quant.QK

// Bytes per block of Q8_0 (float16 scale + 32 int8) and Q4_0 (float16
// scale + 16 bytes of nibbles), from quant's table of types.
var (
	q8BlockSize = quant.Q8_0.BlockBytes()
	q4BlockSize = quant.Q4_0.BlockBytes()
)

func checkQ(fn string, bs int, y []float32, w []byte, x []float32, m, n int) {
	if m < 0 || n < 0 || n%QK != 0 {
		panic(fmt.Sprintf("kernel: %s: n=%d must be a non-negative multiple of %d (m=%d)", fn, n, QK, m))
	}
	if len(y) != m || len(x) != n || len(w) != m*(n/QK)*bs {
		panic(fmt.Sprintf("kernel: %s: m=%d n=%d needs len(y)=m, len(x)=n, len(w)=%d; got %d, %d, %d", fn, m, n, m*(n/QK)*bs, len(y), len(x), len(w)))
	}
}

// GemvQ8_0 computes y = W·x where W (m×n, n a multiple of 32) is stored as
// m rows of n/32 Q8_0 blocks of 34 bytes: a little-endian binary16 scale d
// and 32 int8 values q; element j of the block is d·q[j]. x stays float32
// (no activation quantization): the result differs from the float32
// product of the dequantised matrix only by summation order. Rows are
// split over Threads() goroutines above 1 MiB of weights.
func GemvQ8_0(y []float32, w []byte, x []float32, m, n int) {
	checkQ("GemvQ8_0", q8BlockSize, y, w, x, m, n)
	rb := n / QK * q8BlockSize
	if Threads() <= 1 || m*rb < parallelMinBytes {
		gemvQ8Impl(y, w, x)
		return
	}
	parallelFor(m, 8, m*rb, func(lo, hi int) {
		gemvQ8Impl(y[lo:hi], w[lo*rb:hi*rb], x)
	})
}

// GemvQ4_0 computes y = W·x where W (m×n, n a multiple of 32) is stored as
// m rows of n/32 Q4_0 blocks of 18 bytes: a little-endian binary16 scale d
// and 16 bytes of 4-bit values; element j < 16 is the low nibble of byte j,
// element j ≥ 16 the high nibble of byte j−16, and its value is d·(q−8).
// x stays float32, as in GemvQ8_0; the assembly version computes each block
// as d·(Σq·x − 8·Σx) with the block sums of x computed once per call, which
// rounds differently from d·Σ(q−8)·x but within the same kind of bound.
func GemvQ4_0(y []float32, w []byte, x []float32, m, n int) {
	checkQ("GemvQ4_0", q4BlockSize, y, w, x, m, n)
	rb := n / QK * q4BlockSize
	if gemvQ4SumImpl != nil {
		// Block sums of x, shared by all rows: Σ(q−8)·x = Σq·x − 8·Σx.
		nb := n / QK
		p := scalePool.Get().(*[]float32)
		if cap(*p) < nb {
			*p = make([]float32, nb)
		}
		sx := (*p)[:nb]
		for b := range sx {
			sx[b] = sumImpl(x[b*QK : b*QK+QK])
		}
		if Threads() <= 1 || m*rb < parallelMinBytes {
			gemvQ4SumImpl(y, w, x, sx)
		} else {
			parallelFor(m, 8, m*rb, func(lo, hi int) {
				gemvQ4SumImpl(y[lo:hi], w[lo*rb:hi*rb], x, sx)
			})
		}
		scalePool.Put(p)
		return
	}
	if Threads() <= 1 || m*rb < parallelMinBytes {
		gemvQ4Impl(y, w, x)
		return
	}
	parallelFor(m, 8, m*rb, func(lo, hi int) {
		gemvQ4Impl(y[lo:hi], w[lo*rb:hi*rb], x)
	})
}

func gemvQ8Generic(y []float32, w []byte, x []float32) {
	n := len(x)
	rb := n / QK * q8BlockSize
	for r := range y {
		row := w[r*rb : r*rb+rb]
		var sum float32
		for b := 0; b < n/QK; b++ {
			blk := row[b*q8BlockSize : b*q8BlockSize+q8BlockSize]
			d := f16Table[uint16(blk[0])|uint16(blk[1])<<8]
			q := blk[2:q8BlockSize]
			xb := x[b*QK : b*QK+QK]
			var s0, s1, s2, s3 float32
			for j := 0; j < QK; j += 4 {
				s0 += float32(int8(q[j])) * xb[j]
				s1 += float32(int8(q[j+1])) * xb[j+1]
				s2 += float32(int8(q[j+2])) * xb[j+2]
				s3 += float32(int8(q[j+3])) * xb[j+3]
			}
			sum += d * ((s0 + s1) + (s2 + s3))
		}
		y[r] = sum
	}
}

func gemvQ4Generic(y []float32, w []byte, x []float32) {
	n := len(x)
	rb := n / QK * q4BlockSize
	for r := range y {
		row := w[r*rb : r*rb+rb]
		var sum float32
		for b := 0; b < n/QK; b++ {
			blk := row[b*q4BlockSize : b*q4BlockSize+q4BlockSize]
			d := f16Table[uint16(blk[0])|uint16(blk[1])<<8]
			q := blk[2:q4BlockSize]
			xb := x[b*QK : b*QK+QK]
			var s0, s1, s2, s3 float32
			for j := 0; j < 16; j += 2 {
				s0 += float32(int(q[j]&15)-8) * xb[j]
				s1 += float32(int(q[j]>>4)-8) * xb[j+16]
				s2 += float32(int(q[j+1]&15)-8) * xb[j+1]
				s3 += float32(int(q[j+1]>>4)-8) * xb[j+17]
			}
			sum += d * ((s0 + s1) + (s2 + s3))
		}
		y[r] = sum
	}
}
