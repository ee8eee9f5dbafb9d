//go:build openblas && cgo

// `llmparts bench openblas` exists only in a build with -tags openblas
// (cgo and libopenblas-dev needed); see package kernel/openblas:
//
//	go run -tags openblas ./cmd/llmparts bench openblas [--threads N] [--json]

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/kernel/openblas"
)

func init() {
	registerBench(func() *cobra.Command {
		return &cobra.Command{
			Use:                "openblas [--threads N] [--json] [--min-time D] [--runs N] [--quick]",
			Short:              "time our sgemm and sgemv against OpenBLAS with the same thread count",
			DisableFlagParsing: true, // benchOpenBLAS parses its own flags
			RunE: func(cmd *cobra.Command, args []string) error {
				return benchOpenBLAS(args, os.Stdout, os.Stderr)
			},
		}
	})
}

// openBLASResult is one line of `llmparts bench openblas --json`.
type openBLASResult struct {
	Kernel         string  `json:"kernel"`
	Shape          string  `json:"shape"`
	OursGFlops     float64 `json:"ours_gflops"`
	OpenBLASGFlops float64 `json:"openblas_gflops"`
	Ratio          float64 `json:"ratio"` // ours / OpenBLAS: above 1, ours is faster
	Threads        int     `json:"threads"`
}

// openBLASBench is one kernel timed both ways. setup allocates the operands
// and returns the operation for our kernel, the one for OpenBLAS, and the
// two outputs (to check that they agree).
type openBLASBench struct {
	name, shape string
	flops       float64
	k           int // length of each dot product, for the agreement check
	setup       func() (ours, theirs func(), outOurs, outTheirs []float32)
}

func benchOpenBLAS(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("bench openblas", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	threads := fs.Int("threads", 0, "threads for both ours and OpenBLAS (default: $OPENBLAS_NUM_THREADS if set, else all cores)")
	asJSON := fs.Bool("json", false, "print one JSON object per kernel on stdout, nothing else")
	minTime := fs.Duration("min-time", 500*time.Millisecond, "each timed run repeats the kernel for at least this long")
	runs := fs.Int("runs", 3, "timed runs per kernel and side; the best is reported")
	quick := fs.Bool("quick", false, "tiny shapes and times: checks the output format only")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: llmparts bench openblas [--threads N] [--json] [--min-time D] [--runs N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return nil
		}
		return exitCode(2)
	}
	if fs.NArg() != 0 || *runs < 1 {
		fs.Usage()
		return exitCode(2)
	}
	n := *threads
	if n < 1 {
		n = runtime.NumCPU()
		if v, err := strconv.Atoi(os.Getenv("OPENBLAS_NUM_THREADS")); err == nil && v > 0 {
			n = v
		}
	}
	// Both sides get the same count. OpenBLAS read OPENBLAS_NUM_THREADS
	// when it was loaded; set it too so that the environment tells the
	// truth (to child processes and to anyone reading it).
	kernel.SetThreads(n)
	defer kernel.SetThreads(0)
	oldOB := openblas.Threads()
	openblas.SetThreads(n)
	defer openblas.SetThreads(oldOB)
	os.Setenv("OPENBLAS_NUM_THREADS", strconv.Itoa(n))
	if *quick {
		*minTime, *runs = time.Millisecond, 1
	}

	fmt.Fprintf(stderr, "bench openblas: %s\n", openblas.Config())
	fmt.Fprintf(stderr, "bench openblas: OpenBLAS core %s, threads %d; ours %s, threads %d", openblas.CoreName(), openblas.Threads(), kernel.Impl(), kernel.Threads())
	for _, e := range []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"} {
		if v, ok := os.LookupEnv(e); ok {
			fmt.Fprintf(stderr, "; %s=%s", e, v)
		}
	}
	fmt.Fprintln(stderr)
	if !*asJSON {
		fmt.Fprintf(stdout, "%-6s %-16s %12s %16s %8s %8s\n", "kernel", "shape", "ours GFLOP/s", "OpenBLAS GFLOP/s", "ratio", "threads")
	}
	for _, b := range openBLASBenches(*quick) {
		ours, theirs, outOurs, outTheirs := b.setup()
		fmt.Fprintf(stderr, "bench openblas: %s %s ours\n", b.name, b.shape)
		// Idle OpenBLAS threads spin for a while after a call (from setup
		// or the previous kernel); let them go to sleep first.
		time.Sleep(200 * time.Millisecond)
		nsOurs := openBLASTime(ours, *minTime, *runs)
		fmt.Fprintf(stderr, "bench openblas: %s %s OpenBLAS\n", b.name, b.shape)
		nsTheirs := openBLASTime(theirs, *minTime, *runs)
		if d := openBLASMaxRelDiff(outOurs, outTheirs); d > float64(b.k+4)/(1<<24) {
			fmt.Fprintf(stderr, "bench openblas: WARNING: %s outputs differ by %.3g of their largest element\n", b.name, d)
		}
		r := openBLASResult{
			Kernel:         b.name,
			Shape:          b.shape,
			OursGFlops:     b.flops / nsOurs,
			OpenBLASGFlops: b.flops / nsTheirs,
			Threads:        n,
		}
		r.Ratio = r.OursGFlops / r.OpenBLASGFlops
		if *asJSON {
			line, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, string(line))
		} else {
			fmt.Fprintf(stdout, "%-6s %-16s %12.2f %16.2f %8.2f %8d\n", r.Kernel, r.Shape, r.OursGFlops, r.OpenBLASGFlops, r.Ratio, r.Threads)
		}
	}
	return nil
}

// openBLASTime runs op once to warm up, then `runs` times repeats it until
// at least minTime has passed, and returns the best ns per call.
func openBLASTime(op func(), minTime time.Duration, runs int) float64 {
	op()
	best := math.Inf(1)
	for r := 0; r < runs; r++ {
		calls := 0
		start := time.Now()
		var el time.Duration
		for el < minTime || calls == 0 {
			op()
			calls++
			el = time.Since(start)
		}
		best = min(best, float64(el.Nanoseconds())/float64(calls))
	}
	return best
}

// openBLASMaxRelDiff is max|x-y| / max|x|.
func openBLASMaxRelDiff(x, y []float32) float64 {
	var d, m float64
	for i := range x {
		d = max(d, math.Abs(float64(x[i])-float64(y[i])))
		m = max(m, math.Abs(float64(x[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}

func openBLASRand(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func openBLASBenches(quick bool) []openBLASBench {
	gemm, gemv := 1024, 4096
	if quick {
		gemm, gemv = 33, 65
	}
	return []openBLASBench{
		{name: "sgemm", shape: fmt.Sprintf("%dx%dx%d", gemm, gemm, gemm), flops: 2 * float64(gemm) * float64(gemm) * float64(gemm), k: gemm,
			setup: func() (func(), func(), []float32, []float32) {
				n := gemm
				a, b := openBLASRand(n*n, 1), openBLASRand(n*n, 2)
				c1, c2 := make([]float32, n*n), make([]float32, n*n)
				return func() { kernel.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c1, n) },
					func() { openblas.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c2, n) },
					c1, c2
			}},
		{name: "sgemv", shape: fmt.Sprintf("%dx%d", gemv, gemv), flops: 2 * float64(gemv) * float64(gemv), k: gemv,
			setup: func() (func(), func(), []float32, []float32) {
				n := gemv
				a, x := openBLASRand(n*n, 3), openBLASRand(n, 4)
				y1, y2 := make([]float32, n), make([]float32, n)
				return func() { kernel.Sgemv(y1, a, x, n, n) },
					func() { openblas.Sgemv(y2, a, x, n, n) },
					y1, y2
			}},
	}
}
