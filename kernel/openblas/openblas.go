//go:build openblas && cgo

// Package openblas is an optional comparison of the kernel package's Sgemm
// and Sgemv with OpenBLAS. It is never part of the default build: every file
// carries the build constraint "openblas && cgo", so `go build ./...`,
// `go vet ./...` and `go test ./...` (with or without cgo) skip it and
// llmparts itself stays pure Go.
//
// It needs OpenBLAS's library and headers (Debian: apt-get install
// libopenblas-dev) and a C compiler. Then:
//
//	go test -tags openblas ./kernel/openblas/                      # our kernels against OpenBLAS
//	go test -tags openblas -run '^$' -bench . ./kernel/openblas/   # side by side, GFLOP/s
//	go test -tags openblas -run '^$' -bench . -cpu 1,2 ./kernel/openblas/  # both sides get GOMAXPROCS threads
//	go run -tags openblas ./cmd/llmparts bench openblas            # table of our ratio to OpenBLAS
//	go run -tags openblas ./cmd/llmparts bench openblas --threads 1 --json
//
// Sgemm and Sgemv have the same signatures, semantics and argument checks as
// kernel.Sgemm and kernel.Sgemv (row-major, CblasRowMajor), so either can
// stand in for the other in a test or a benchmark. The tests check that the
// two agree on odd shapes, transposes and strides, which also checks our
// kernels against an independent implementation.
//
// # Threads
//
// OpenBLAS runs its own threads (pthreads, outside the Go scheduler). At
// load it takes their number from OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS),
// else the number of cores; SetThreads changes it at run time. A fair
// comparison gives both sides the same count: kernel.SetThreads(n) and
// openblas.SetThreads(n), as `llmparts bench openblas` and this package's
// benchmarks do. After a call, idle OpenBLAS threads spin for a while
// before they sleep, stealing cycles from whatever runs next; the
// benchmarks therefore pause briefly before timing our kernels.
//
// On some processors the environment sets OPENBLAS_CORETYPE (and
// OPENBLAS_L2_SIZE) because older OpenBLAS builds compute wrong results or
// crash there; this package never changes them. Config and CoreName say
// which OpenBLAS build and which kernel actually run.
package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

// Declared again in case cblas.h is another CBLAS's header (same
// prototypes as OpenBLAS's own cblas.h).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices with
// cblas_sgemm, where op(X) is X or Xᵀ as transA/transB say, op(A) is m×k,
// op(B) is k×n and C is m×n. lda, ldb and ldc are the row strides of A, B
// and C as stored (A is stored m×k, or k×m if transA). When beta is 0, C is
// not read. It panics if a slice is too short for its shape, exactly like
// kernel.Sgemm, so OpenBLAS never reads or writes out of bounds.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ar, ac := m, k
	var ta C.enum_CBLAS_TRANSPOSE = C.CblasNoTrans
	if transA {
		ar, ac = k, m
		ta = C.CblasTrans
	}
	br, bc := k, n
	var tb C.enum_CBLAS_TRANSPOSE = C.CblasNoTrans
	if transB {
		br, bc = n, k
		tb = C.CblasTrans
	}
	checkMat("Sgemm", "A", len(a), ar, ac, lda)
	checkMat("Sgemm", "B", len(b), br, bc, ldb)
	checkMat("Sgemm", "C", len(c), m, n, ldc)
	checkInt("Sgemm", m, n, k, lda, ldb, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// C = beta·C, as kernel.Sgemm does; A and B may be empty here, and
		// with beta = 0 C is cleared without being read.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if beta == 0 {
					row[j] = 0
				} else {
					row[j] *= beta
				}
			}
		}
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb,
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

// Sgemv computes y = A·x for a row-major m×n matrix A (len(a) == m·n,
// len(x) == n, len(y) == m) with cblas_sgemv. It panics on a shape
// mismatch, exactly like kernel.Sgemv.
func Sgemv(y, a, x []float32, m, n int) {
	if m < 0 || n < 0 || len(a) != m*n || len(x) != n || len(y) != m {
		panic(fmt.Sprintf("kernel/openblas: Sgemv: m=%d n=%d needs len(a)=m·n, len(x)=n, len(y)=m; got %d, %d, %d", m, n, len(a), len(x), len(y)))
	}
	checkInt("Sgemv", m, n)
	if m == 0 {
		return
	}
	if n == 0 {
		clear(y)
		return
	}
	C.cblas_sgemv(C.CblasRowMajor, C.CblasNoTrans, C.blasint(m), C.blasint(n),
		1, (*C.float)(unsafe.Pointer(&a[0])), C.blasint(n),
		(*C.float)(unsafe.Pointer(&x[0])), 1,
		0, (*C.float)(unsafe.Pointer(&y[0])), 1)
}

// SetThreads sets the number of threads OpenBLAS uses
// (openblas_set_num_threads). n < 1 leaves it unchanged.
func SetThreads(n int) {
	if n < 1 {
		return
	}
	C.openblas_set_num_threads(C.int(n))
}

// Threads reports the number of threads OpenBLAS uses
// (openblas_get_num_threads).
func Threads() int { return int(C.openblas_get_num_threads()) }

// Config returns OpenBLAS's build configuration (openblas_get_config), for
// example "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
// With DYNAMIC_ARCH the kernel named is the one chosen for this processor.
func Config() string { return C.GoString(C.openblas_get_config()) }

// CoreName returns the name of the processor kernel OpenBLAS runs
// (openblas_get_corename), for example "Haswell" or "SkylakeX".
func CoreName() string { return C.GoString(C.openblas_get_corename()) }

func checkMat(fn, name string, l, rows, cols, ld int) {
	if rows < 0 || cols < 0 || ld < max(cols, 1) || (rows > 0 && cols > 0 && l < (rows-1)*ld+cols) {
		panic(fmt.Sprintf("kernel/openblas: %s: %s is %d×%d with stride %d but has %d elements", fn, name, rows, cols, ld, l))
	}
}

// checkInt panics if a size does not fit OpenBLAS's integer (blasint, 32
// bits unless OpenBLAS was built with INTERFACE64).
func checkInt(fn string, v ...int) {
	for _, x := range v {
		if int64(C.blasint(x)) != int64(x) {
			panic(fmt.Sprintf("kernel/openblas: %s: size %d does not fit OpenBLAS's %d-bit integer", fn, x, 8*unsafe.Sizeof(C.blasint(0))))
		}
	}
}
