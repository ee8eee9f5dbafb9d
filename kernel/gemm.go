package kernel

import (
	"fmt"
	"sync"
)

// Sgemv computes y = A·x for a row-major m×n matrix A (len(a) == m·n,
// len(x) == n, len(y) == m). Rows are split over Threads() goroutines when
// A is larger than about 1 MiB. It panics on a shape mismatch.
func Sgemv(y, a, x []float32, m, n int) {
	checkGemv("Sgemv", y, a, x, m, n)
	if Threads() <= 1 || 4*m*n < parallelMinBytes {
		sgemvRowsImpl(y, a, x, n) // no closure: no allocation
		return
	}
	parallelFor(m, 16, 4*m*n, func(lo, hi int) {
		sgemvRowsImpl(y[lo:hi], a[lo*n:hi*n], x, n)
	})
}

// SgemvStream computes y = A·x like Sgemv, for a block of rows of a
// matrix too large to stay in the caches (the weights of a model's decode
// step), on the calling goroutine: the caller splits the rows over cores.
// It takes one row at a time, reading A front to back as a single stream,
// where Sgemv's kernel reads several rows side by side (eight with
// AVX-512, four with AVX2) to share the loads of x (faster when A is in
// cache, and on rows of 4096 floats). With other processes sharing the memory
// bus, the 134M F32 model decoded 40–60 % more tokens per second this way.
// It allocates nothing and panics on a shape mismatch.
func SgemvStream(y, a, x []float32, m, n int) {
	checkGemv("SgemvStream", y, a, x, m, n)
	sgemvStreamImpl(y, a, x, n)
}

// SgemvImpl names Sgemv's kernel chosen at start-up and the rows × floats
// it takes per step: "avx512 8x32" (AVX-512F), "avx2 4x8" (AVX2 + FMA) or
// "generic" (pure Go, row dots).
func SgemvImpl() string { return sgemvName }

func checkGemv(fn string, y, a, x []float32, m, n int) {
	if m < 0 || n < 0 || len(a) != m*n || len(x) != n || len(y) != m {
		panic(fmt.Sprintf("kernel: %s: m=%d n=%d needs len(a)=m·n, len(x)=n, len(y)=m; got %d, %d, %d", fn, m, n, len(a), len(x), len(y)))
	}
}

// SgemvMulti computes y_t = A·x_t (y_t += A·x_t when accumulate is true)
// for T vectors at once, A row-major m×n: x_t is x[t·ldx : t·ldx+n] and
// y_t is y[t·ldy : t·ldy+m]. It is the batched decode of a server (one
// vector per sequence): each weight vector loaded is multiplied into up to
// four activation vectors with AVX2 and up to eight with AVX-512 (16 lanes,
// the weights prefetched ahead), so the weights stream from memory once per
// four (eight) sequences instead of once per sequence.
//
// Batch invariance: y_t is bit-identical whatever T and the other vectors
// are (every vector is summed in the same order in every position of the
// kernel), though it may differ in the last bits from Sgemv. It runs on the
// calling goroutine and allocates nothing; it panics on a shape mismatch.
func SgemvMulti(y []float32, ldy int, a []float32, x []float32, ldx int, T, m, n int, accumulate bool) {
	if T < 0 || m < 0 || n < 0 || ldy < m || ldx < n || len(a) < m*n ||
		(T > 0 && (len(x) < (T-1)*ldx+n || len(y) < (T-1)*ldy+m)) {
		panic(fmt.Sprintf("kernel: SgemvMulti: T=%d m=%d n=%d ldy=%d ldx=%d needs ldy≥m, ldx≥n, len(a)≥m·n, len(x)≥(T-1)·ldx+n, len(y)≥(T-1)·ldy+m; got %d, %d, %d", T, m, n, ldy, ldx, len(a), len(x), len(y)))
	}
	if T == 0 || m == 0 {
		return
	}
	sgemvMultiImpl(y, ldy, a, x, ldx, T, m, n, accumulate)
}

// sgemvMultiGeneric is one row dot per (vector, row): the same code for
// every vector, hence batch-invariant.
func sgemvMultiGeneric(y []float32, ldy int, a []float32, x []float32, ldx int, T, m, n int, accumulate bool) {
	for t := 0; t < T; t++ {
		xt := x[t*ldx : t*ldx+n]
		yt := y[t*ldy : t*ldy+m]
		for r := range yt {
			s := dotImpl(a[r*n:r*n+n], xt)
			if accumulate {
				yt[r] += s
			} else {
				yt[r] = s
			}
		}
	}
}

func sgemvRowsGeneric(y, a, x []float32, n int) {
	for i := range y {
		y[i] = dotImpl(a[i*n:i*n+n], x)
	}
}

// MatMulT computes C = A·Bᵀ (or C += A·Bᵀ when accumulate is true) for
// row-major A (m×k), B (n×k) and C (m×n): a Linear layer with PyTorch's
// [out, in] weight layout, B being the weight. It is Sgemm(false, true,
// ...), except that a single row without accumulation is an Sgemv. It
// panics on a shape mismatch.
func MatMulT(c, a, b []float32, m, n, k int, accumulate bool) {
	if m < 0 || n < 0 || k < 0 || len(a) != m*k || len(b) != n*k || len(c) != m*n {
		panic(fmt.Sprintf("kernel: MatMulT: m=%d n=%d k=%d needs len(a)=m·k, len(b)=n·k, len(c)=m·n; got %d, %d, %d", m, n, k, len(a), len(b), len(c)))
	}
	beta := float32(0)
	if accumulate {
		beta = 1
	}
	if m == 1 {
		// A single row: a matrix-vector product with B, which streams best
		// row by row.
		if !accumulate {
			Sgemv(c, b, a, n, k)
			return
		}
	}
	sgemm(false, true, m, n, k, 1, a, k, b, k, beta, c, n)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ as transA/transB say, op(A) is m×k, op(B) is k×n
// and C is m×n. lda, ldb and ldc are the row strides (elements between
// rows) of A, B and C as stored: A is stored m×k (k×m if transA) and so
// lda ≥ k (≥ m if transA), and so on. When beta is 0, C is not read (NaN in
// C does not propagate). It panics if a slice is too short for its shape.
//
// Products of about 8 MFLOP (m·n·k ≥ 2²²) or more are split over Threads()
// goroutines; below that nothing is allocated (packing buffers are pooled),
// above it the hand-off allocates a few small closures per call.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("Sgemm", "A", len(a), ar, ac, lda)
	checkMat("Sgemm", "B", len(b), br, bc, ldb)
	checkMat("Sgemm", "C", len(c), m, n, ldc)
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkMat(fn, name string, l, rows, cols, ld int) {
	if rows < 0 || cols < 0 || ld < max(cols, 1) || (rows > 0 && cols > 0 && l < (rows-1)*ld+cols) {
		panic(fmt.Sprintf("kernel: %s: %s is %d×%d with stride %d but has %d elements", fn, name, rows, cols, ld, l))
	}
}

// Blocking parameters (BLIS notation). The micro-kernel computes an MR×NR
// tile of C from an MR-row sliver of packed A and an NR-column sliver of
// packed B, both KC long; MR and NR belong to the kernel family
// (gemmFamily: 6×16 for AVX2 and pure Go, 8×32 for AVX-512). KC·NR
// floats of B (32 or 64 KiB) stream from L2 (prefetched), MC·KC of A
// (288 KiB) stay in L2, KC·NC of B (3 MiB) in L3. KC is the same for every
// family: each element of C is then the same chain of fused multiply-adds
// whichever kernel runs. KC 512 against 256 (samples taken in turn in one
// process, 2 threads): Sgemm 1024³ +4–5 % (90th percentile and median),
// the packed 128×2048×768 prompt product +2–5 %, MatMulT of that shape
// +2–4 %; 384 in between. MC 96 to 264 and 1 to 4 row chunks per thread
// made no difference at 1024³.
const (
	gemmKC = 512
	gemmMC = 144  // a multiple of every family's MR (6 and 8)
	gemmNC = 1536 // KC·NC floats: 3 MiB per goroutine of sgemmSerial
	// gemmMaxTile bounds MR·NR over the families (the edge-tile buffer).
	gemmMaxTile = 8 * 32
)

// gemmFamily is one SGEMM micro-kernel with the tile it computes: kernel
// adds alpha·(MR×kc sliver of A)·(kc×NR sliver of B) to the MR×NR tile of
// c with row stride ldc (a sliver of A holds, for each p, MR values; of B,
// NR values); set stores that product into the tile instead, without
// reading it, with the bits kernel gives on a tile of zeros (the first KC
// block when beta is 0: C is neither cleared first nor read); packRows
// copies ns whole slivers (kc rows of ns·NR floats, row stride ldb) into
// ns slivers one after another.
type gemmFamily struct {
	name        string
	mr, nr      int
	kernel, set func(kc int, a, b, c []float32, ldc int, alpha float32)
	packRows    func(dst, src []float32, ldb, kc, ns int)
}

// gemmGeneric is the pure-Go family; dispatch_amd64.go sets gemmFam to an
// assembly one at start-up.
var gemmGeneric = &gemmFamily{name: "generic", mr: 6, nr: 16, kernel: gemmKernelGeneric, set: gemmKernelGenericSet, packRows: packB16Generic}

// gemmFam is the family the SGEMMs use (GemmImpl names it).
var gemmFam = gemmGeneric

// GemmImpl names the SGEMM micro-kernel chosen at start-up and its tile:
// "avx512 8x32" (AVX-512F), "avx2 6x16" (AVX2 + FMA), or "generic 6x16"
// (pure Go).
func GemmImpl() string { return fmt.Sprintf("%s %dx%d", gemmFam.name, gemmFam.mr, gemmFam.nr) }

// gemmBuf holds the packing buffers of one goroutine.
type gemmBuf struct {
	a []float32 // MC×KC, as MC/MR slivers of MR×KC (column-major within)
	b []float32 // KC×NC, as NC/NR slivers of KC×NR (row-major within); only sgemmSerial packs B here
	c [gemmMaxTile]float32
}

var gemmPool = sync.Pool{New: func() any {
	return &gemmBuf{a: make([]float32, gemmMC*gemmKC)} // b: on first use
}}

// roundUp rounds n up to a multiple of q.
func roundUp(n, q int) int { return (n + q - 1) / q * q }

// sgemm is Sgemm without argument checks.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	// C = beta·C first; afterwards every block adds alpha·A·B into C.
	// With beta = 0 the first KC block stores its product instead (set).
	set := beta == 0 && k > 0 && alpha != 0
	if beta != 1 && !set {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				scaleImpl(beta, row)
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	f := gemmFam
	// Large products: all goroutines first pack one KC×NC panel of B
	// together, then each multiplies its own rows of A with it. Products
	// with few rows split the columns instead, each goroutine packing its
	// own panels. 2·m·n·k flops: parallelise when there are enough.
	t := Threads()
	if m*n*k < 1<<22 { // below ~8 MFLOP a hand-off costs more than it saves
		t = 1
	}
	if t <= 1 || (n <= f.nr && m < t*f.mr*4) {
		sgemmSerial(f, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, set)
		return
	}
	if m >= t*f.mr*4 {
		sgemmRows(f, t, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, set)
		return
	}
	parallelForT(t, n, f.nr, func(lo, hi int) {
		sgemmSerial(f, transA, transB, m, hi-lo, k, alpha, a, lda, b[offB(transB, lo, ldb):], ldb, c[lo:], ldc, set)
	})
}

// sgemmRows is the multi-goroutine driver for products with many rows:
// the goroutines first pack a panel of B together (all of k when it fits
// in sgemmSharedMax floats, so there are only two hand-offs per panel),
// then each multiplies its own rows of A with it. set: the first KC block
// stores into C instead of adding (beta = 0).
func sgemmRows(f *gemmFamily, t int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, set bool) {
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		ncPad := roundUp(nc, f.nr)
		kAll := k
		if k*ncPad > sgemmSharedMax {
			kAll = gemmKC
		}
		bufp := sharedPool.Get().(*[]float32)
		if cap(*bufp) < kAll*ncPad {
			*bufp = make([]float32, kAll*ncPad)
		}
		shared := (*bufp)[:kAll*ncPad]
		for p0 := 0; p0 < k; p0 += kAll {
			kk := min(kAll, k-p0)
			// Pack blocks pc = p0, p0+KC, ... of B: block q at q·KC·ncPad.
			parallelForT(t, nc, f.nr, func(lo, hi int) {
				for pc := p0; pc < p0+kk; pc += gemmKC {
					kc := min(gemmKC, p0+kk-pc)
					off := (pc - p0) * ncPad
					packB(f, shared[off+lo*kc:], transB, b, ldb, pc, jc+lo, kc, hi-lo)
				}
			})
			// 2·t equal row chunks: balanced when all cores are free,
			// still dynamic enough when one is busy.
			parallelChunks(t, m, f.mr, 2*t, func(lo, hi int) {
				buf := gemmPool.Get().(*gemmBuf)
				for pc := p0; pc < p0+kk; pc += gemmKC {
					kc := min(gemmKC, p0+kk-pc)
					gemmMacro(f, buf, shared[(pc-p0)*ncPad:], transA, a, lda, lo, hi-lo, pc, kc, jc, nc, c, ldc, alpha, set && pc == 0)
				}
				gemmPool.Put(buf)
			})
		}
		sharedPool.Put(bufp)
	}
}

// sgemmSharedMax bounds the shared packed panel of B (floats): 32 MiB.
var sgemmSharedMax = 8 << 20 // a variable so tests can exercise the per-KC path

var sharedPool = sync.Pool{New: func() any { return new([]float32) }}

// offA is the offset of row i of op(A) in a.
func offA(transA bool, i, lda int) int {
	if transA {
		return i
	}
	return i * lda
}

// offB is the offset of column j of op(B) in b.
func offB(transB bool, j, ldb int) int {
	if transB {
		return j * ldb
	}
	return j
}

func sgemmSerial(f *gemmFamily, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, set bool) {
	buf := gemmPool.Get().(*gemmBuf)
	defer gemmPool.Put(buf)
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			if buf.b == nil {
				buf.b = make([]float32, gemmKC*gemmNC)
			}
			packB(f, buf.b, transB, b, ldb, pc, jc, kc, nc)
			gemmMacro(f, buf, buf.b, transA, a, lda, 0, m, pc, kc, jc, nc, c, ldc, alpha, set && pc == 0)
		}
	}
}

// gemmMacro multiplies rows [i0, i0+m) of op(A), columns [pc, pc+kc), by
// the packed kc×nc panel bp of op(B) (columns jc..jc+nc of C), adding
// alpha times the product into C (storing it there when set). It packs A
// block by block into buf.a.
func gemmMacro(f *gemmFamily, buf *gemmBuf, bp []float32, transA bool, a []float32, lda, i0, m, pc, kc, jc, nc int, c []float32, ldc int, alpha float32, set bool) {
	mr, nr := f.mr, f.nr
	for ic := i0; ic < i0+m; ic += gemmMC {
		mc := min(gemmMC, i0+m-ic)
		packA(f, buf.a, transA, a, lda, ic, pc, mc, kc)
		for jr := 0; jr < nc; jr += nr {
			bs := bp[jr*kc : jr*kc+kc*nr]
			for ir := 0; ir < mc; ir += mr {
				as := buf.a[ir*kc : ir*kc+kc*mr]
				gemmTile(f, buf, kc, as, bs, c, (ic+ir)*ldc+jc+jr, ldc, min(mr, mc-ir), min(nr, nc-jr), alpha, set)
			}
		}
	}
}

// gemmTile adds alpha times the product of an MR sliver of packed A and
// an NR sliver of packed B to the mr×nr tile of c at offset co (stores it
// there when set): directly for a whole tile, through buf.c at an edge.
func gemmTile(f *gemmFamily, buf *gemmBuf, kc int, as, bs, c []float32, co, ldc, mr, nr int, alpha float32, set bool) {
	if mr == f.mr && nr == f.nr {
		if set {
			f.set(kc, as, bs, c[co:], ldc, alpha)
		} else {
			f.kernel(kc, as, bs, c[co:], ldc, alpha)
		}
		return
	}
	// Edge tile: compute a full tile into a scratch buffer, then add (or
	// copy) the valid part. set never yields −0, so copying gives the
	// bits of adding to a cleared C.
	t := buf.c[:f.mr*f.nr]
	f.set(kc, as, bs, t, f.nr, alpha)
	for i := 0; i < mr; i++ {
		crow := c[co+i*ldc : co+i*ldc+nr]
		trow := t[i*f.nr : i*f.nr+nr]
		if set {
			copy(crow, trow)
			continue
		}
		for j := range crow {
			crow[j] += trow[j]
		}
	}
}

// packA copies the mc×kc block of op(A) starting at (ic, pc) into dst as
// slivers of MR rows: sliver s holds, for p = 0..kc-1, the MR values
// op(A)[ic+s·MR+r][pc+p] at dst[s·MR·kc + p·MR + r]. Rows past mc are 0.
func packA(f *gemmFamily, dst []float32, transA bool, a []float32, lda, ic, pc, mc, kc int) {
	mr := f.mr
	for s := 0; s < mc; s += mr {
		d := dst[s*kc : s*kc+kc*mr]
		rows := min(mr, mc-s)
		if !transA {
			// Read eight or six rows in lockstep, write them interleaved.
			o := (ic+s)*lda + pc
			r := 0
			for ; r+8 <= rows; r += 8 {
				interleave8(d, mr, r, a, o+r*lda, lda, kc)
			}
			for ; r+6 <= rows; r += 6 {
				r0 := a[o+r*lda : o+r*lda+kc]
				r1 := a[o+(r+1)*lda : o+(r+1)*lda+kc]
				r2 := a[o+(r+2)*lda : o+(r+2)*lda+kc]
				r3 := a[o+(r+3)*lda : o+(r+3)*lda+kc]
				r4 := a[o+(r+4)*lda : o+(r+4)*lda+kc]
				r5 := a[o+(r+5)*lda : o+(r+5)*lda+kc]
				for p := range r0 {
					q := p*mr + r
					dd := d[q : q+6 : q+6]
					dd[0], dd[1], dd[2], dd[3], dd[4], dd[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
				}
			}
			for ; r < mr; r++ {
				if r >= rows {
					for p := 0; p < kc; p++ {
						d[p*mr+r] = 0
					}
					continue
				}
				src := a[o+r*lda : o+r*lda+kc]
				for p, v := range src {
					d[p*mr+r] = v
				}
			}
			continue
		}
		// op(A)[i][p] = a[p*lda+i]: rows of a hold MR consecutive values.
		for p := 0; p < kc; p++ {
			src := a[(pc+p)*lda+ic+s:]
			dd := d[p*mr : p*mr+mr]
			for r := range dd {
				if r < rows {
					dd[r] = src[r]
				} else {
					dd[r] = 0
				}
			}
		}
	}
}

// packB copies the kc×nc block of op(B) starting at (pc, jc) into dst as
// slivers of NR columns: sliver s holds, for p = 0..kc-1, the NR values
// op(B)[pc+p][jc+s·NR+j] at dst[s·kc·NR + p·NR + j]. Columns past nc are 0.
func packB(f *gemmFamily, dst []float32, transB bool, b []float32, ldb, pc, jc, kc, nc int) {
	nr := f.nr
	s0 := 0
	if !transB {
		// Whole slivers, up to four at a time: kc rows of 4·NR floats
		// read front to back, copied by an assembly loop (a memmove call
		// per 64 bytes cost 5% of Sgemm).
		for ; s0+nr <= nc; s0 += packBGroup * nr {
			ns := min(packBGroup, (nc-s0)/nr)
			o := pc*ldb + jc + s0
			f.packRows(dst[s0*kc:s0*kc+ns*kc*nr], b[o:o+(kc-1)*ldb+ns*nr], ldb, kc, ns)
		}
		s0 = nc / nr * nr
	}
	for s := s0; s < nc; s += nr {
		d := dst[s*kc : s*kc+kc*nr]
		cols := min(nr, nc-s)
		if !transB {
			for p := 0; p < kc; p++ {
				dd := d[p*nr : p*nr+nr]
				src := b[(pc+p)*ldb+jc+s:]
				copy(dd[:cols], src[:cols])
				clear(dd[cols:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: each row of b is one column of op(B).
		// Eight rows in lockstep, written eight floats at a time.
		j := 0
		for ; j+8 <= cols; j += 8 {
			interleave8(d, nr, j, b, (jc+s+j)*ldb+pc, ldb, kc)
		}
		for ; j < nr; j++ {
			if j >= cols {
				for p := 0; p < kc; p++ {
					d[p*nr+j] = 0
				}
				continue
			}
			src := b[(jc+s+j)*ldb+pc : (jc+s+j)*ldb+pc+kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
	}
}

// interleave8 reads eight rows of kc floats in lockstep (row i at
// src[o+i·ld:]) and writes value p of row i to d[p·stride + off + i]: a
// transposition of 8-row strips, written eight floats at a time.
func interleave8(d []float32, stride, off int, src []float32, o, ld, kc int) {
	p0 := 0
	if transpose8Impl != nil && kc >= 8 {
		// Whole 8×8 blocks in assembly (bounds checked here).
		k8 := kc &^ 7
		_ = d[(k8-1)*stride+off+7]
		_ = src[o+7*ld+k8-1]
		transpose8Impl(d[off:], stride, src[o:], ld, k8)
		p0 = k8
	}
	r0 := src[o : o+kc]
	r1 := src[o+ld : o+ld+kc]
	r2 := src[o+2*ld : o+2*ld+kc]
	r3 := src[o+3*ld : o+3*ld+kc]
	r4 := src[o+4*ld : o+4*ld+kc]
	r5 := src[o+5*ld : o+5*ld+kc]
	r6 := src[o+6*ld : o+6*ld+kc]
	r7 := src[o+7*ld : o+7*ld+kc]
	for p := p0; p < kc; p++ {
		q := p*stride + off
		dd := d[q : q+8 : q+8]
		dd[0], dd[1], dd[2], dd[3] = r0[p], r1[p], r2[p], r3[p]
		dd[4], dd[5], dd[6], dd[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// packBGroup is how many whole slivers of B packRows copies per pass over
// the rows.
const packBGroup = 4

// packB16Generic copies ns slivers of 16 columns and kc rows (row stride
// ldb) from src into dst, one after another.
func packB16Generic(dst, src []float32, ldb, kc, ns int) {
	for s := 0; s < ns; s++ {
		d := dst[s*kc*16 : (s+1)*kc*16]
		for p := 0; p < kc; p++ {
			copy(d[p*16:p*16+16], src[p*ldb+s*16:p*ldb+s*16+16])
		}
	}
}

// gemmKernelGeneric adds alpha·(6×kc sliver of A)·(kc×16 sliver of B) to
// the 6×16 tile of c with row stride ldc.
func gemmKernelGeneric(kc int, a, b, c []float32, ldc int, alpha float32) {
	gemmGeneric6x16(kc, a, b, c, ldc, alpha, false)
}

// gemmKernelGenericSet stores that product in the tile (C not read).
func gemmKernelGenericSet(kc int, a, b, c []float32, ldc int, alpha float32) {
	gemmGeneric6x16(kc, a, b, c, ldc, alpha, true)
}

func gemmGeneric6x16(kc int, a, b, c []float32, ldc int, alpha float32, set bool) {
	const mr, nr = 6, 16
	var acc [mr][nr]float32
	a = a[:kc*mr]
	b = b[:kc*nr]
	for p := 0; p < kc; p++ {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for r := 0; r < mr; r++ {
			ar := ap[r]
			row := &acc[r]
			for j := 0; j < nr; j += 4 {
				row[j] += ar * bp[j]
				row[j+1] += ar * bp[j+1]
				row[j+2] += ar * bp[j+2]
				row[j+3] += ar * bp[j+3]
			}
		}
	}
	for r := 0; r < mr; r++ {
		crow := c[r*ldc : r*ldc+nr]
		for j := range crow {
			if set {
				// 0 + x: the sum with a cleared C, which turns −0 into +0.
				v := alpha * acc[r][j]
				if v == 0 {
					v = 0
				}
				crow[j] = v
			} else {
				crow[j] += alpha * acc[r][j]
			}
		}
	}
}
