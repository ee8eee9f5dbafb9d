package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/internal/chart"
	"github.com/llmparts/llmparts/kernel"
	"github.com/llmparts/llmparts/quant"
	"gonum.org/v1/plot/vg"
)

func init() { registerBench(newBenchKernelsCmd) }

// kernelResult is one line of `llmparts bench kernels --json`.
type kernelResult struct {
	Kernel      string  `json:"kernel"`
	Shape       string  `json:"shape"`
	NsPerOp     float64 `json:"ns_per_op"`
	GBps        float64 `json:"gbps"`
	GFlops      float64 `json:"gflops"`
	Threads     int     `json:"threads"`
	RatioToCopy float64 `json:"ratio_to_copy"`
	Variant     string  `json:"variant"` // the implementation that ran ("avx2", "generic", ...)
}

// kernelBench describes one benchmark: setup allocates and returns the
// operation to time; bytes and flops are per operation (0 if not
// meaningful); memBound says the GB/s figure is compared with copy.
type kernelBench struct {
	name, shape string
	bytes       float64
	flops       float64
	memBound    bool
	variant     string // "" means kernel.Impl()
	setup       func(threads int) func()
}

func newBenchKernelsCmd() *cobra.Command {
	var o benchKernelsOpts
	c := &cobra.Command{
		Use:   "kernels [--threads N] [--json] [--plot FILE.png]",
		Short: "time the numeric kernels against this machine's memory copy speed",
		Long: `Time each numeric kernel (best of --runs runs of at least --min-time) and compare
its bytes per second with a plain memory copy's on this machine.`,
		Example: `  llmparts bench kernels --threads 1 --json
  llmparts bench kernels --plot kernels.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBenchKernels(o) },
	}
	fs := c.Flags()
	fs.IntVarP(&o.threads, "threads", "t", 0, "goroutines to use (default: all cores)")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per kernel on stdout, nothing else")
	fs.StringVar(&o.plot, "plot", "", "draw each kernel's ratio to memory copy speed into `FILE.png`")
	fs.DurationVar(&o.minTime, "min-time", 500*time.Millisecond, "time each kernel for at least this long")
	fs.IntVar(&o.runs, "runs", 3, "timed runs per kernel; the best is reported")
	fs.BoolVar(&o.quick, "quick", false, "tiny shapes and times: checks the output format only")
	fs.StringVar(&o.only, "only", "", "run only the kernel with this name (copy always runs)")
	return c
}

type benchKernelsOpts struct {
	threads, runs int
	asJSON, quick bool
	plot, only    string
	minTime       time.Duration
}

func runBenchKernels(o benchKernelsOpts) error {
	threads, asJSON, plot, minTime, runs, quick, only := &o.threads, &o.asJSON, &o.plot, &o.minTime, &o.runs, &o.quick, &o.only
	switch {
	case *threads < 0:
		return fmt.Errorf("--threads %d: want 0 (all cores) or more", *threads)
	case *runs < 1:
		return fmt.Errorf("--runs %d: want at least 1", *runs)
	case *minTime < 0:
		return fmt.Errorf("--min-time %v is negative", *minTime)
	}
	if *threads > 0 {
		kernel.SetThreads(*threads)
		defer kernel.SetThreads(0)
	}
	t := kernel.Threads()
	if *quick {
		*minTime = time.Millisecond
		*runs = 1
	}
	benches := kernelBenches(*quick)
	if *only != "" {
		known := false
		var names []string
		for _, b := range benches {
			names = append(names, b.name)
			known = known || b.name == *only
		}
		if !known {
			return fmt.Errorf("--only %q: unknown kernel (have %s)", *only, strings.Join(names, ", "))
		}
	}
	var results []kernelResult
	var copyGBps float64
	out := io.Writer(os.Stdout)
	if !*asJSON {
		fmt.Fprintf(out, "kernel impl %s, %d threads\n", kernel.Impl(), t)
		fmt.Fprintf(out, "%-18s %-16s %14s %10s %10s %8s  %s\n", "kernel", "shape", "ns/op", "GB/s", "GFLOP/s", "x copy", "variant")
	}
	for _, b := range benches {
		if *only != "" && b.name != "copy" && b.name != *only {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench kernels: %s %s\n", b.name, b.shape)
		op := b.setup(t)
		ns := timeOp(op, *minTime, *runs)
		r := kernelResult{Kernel: b.name, Shape: b.shape, NsPerOp: ns, Threads: t, Variant: b.variant}
		if r.Variant == "" {
			r.Variant = kernel.Impl()
		}
		if b.bytes > 0 {
			r.GBps = b.bytes / ns
		}
		if b.flops > 0 {
			r.GFlops = b.flops / ns
		}
		if b.name == "copy" {
			copyGBps = r.GBps
		}
		if b.memBound && copyGBps > 0 {
			r.RatioToCopy = r.GBps / copyGBps
		}
		results = append(results, r)
		if *asJSON {
			line, _ := json.Marshal(r)
			fmt.Fprintln(out, string(line))
		} else {
			fmt.Fprintf(out, "%-18s %-16s %14.0f %10.2f %10.2f %8.2f  %s\n", r.Kernel, r.Shape, r.NsPerOp, r.GBps, r.GFlops, r.RatioToCopy, r.Variant)
		}
	}
	if *plot != "" {
		var labels []string
		var vals []float64
		for _, r := range results {
			if r.RatioToCopy > 0 {
				labels = append(labels, r.Kernel)
				vals = append(vals, r.RatioToCopy)
			}
		}
		c := chart.Bar{
			Title:   fmt.Sprintf("llmparts kernels (%s, %d threads): GB/s relative to memory copy", kernel.Impl(), t),
			YLabel:  "ratio to copy GB/s",
			Labels:  labels,
			Values:  vals,
			RefLine: 1,
		}
		if err := c.Save(*plot, vg.Length(len(labels)+2)*vg.Inch, 5*vg.Inch); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench kernels: wrote %s\n", *plot)
	}
	return nil
}

// timeOp runs op repeatedly: it finds a count that takes at least
// minTime/runs, then reports the best ns/op of `runs` such batches.
func timeOp(op func(), minTime time.Duration, runs int) float64 {
	if runs < 1 {
		runs = 1
	}
	op() // warm up (page faults, pools)
	per := minTime / time.Duration(runs)
	n := 1
	for {
		start := time.Now()
		for i := 0; i < n; i++ {
			op()
		}
		el := time.Since(start)
		if el >= per || n >= 1<<30 {
			best := float64(el.Nanoseconds()) / float64(n)
			for r := 1; r < runs; r++ {
				start := time.Now()
				for i := 0; i < n; i++ {
					op()
				}
				best = min(best, float64(time.Since(start).Nanoseconds())/float64(n))
			}
			return best
		}
		if el <= 0 {
			n *= 100
		} else {
			n = int(float64(n)*1.2*float64(per)/float64(el)) + 1
		}
	}
}

func randFloats(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// splitRows runs fn on contiguous row ranges, one per goroutine.
func splitRows(rows, threads int, fn func(lo, hi int)) {
	if threads <= 1 || rows < 2 {
		fn(0, rows)
		return
	}
	threads = min(threads, rows)
	var wg sync.WaitGroup
	per := (rows + threads - 1) / threads
	for lo := 0; lo < rows; lo += per {
		hi := min(lo+per, rows)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

func kernelBenches(quick bool) []kernelBench {
	copyMiB, nd, nt, gemv, gemm, small := 256, 4096, 4096, 4096, 1024, 16
	if quick {
		copyMiB, nd, nt, gemv, gemm, small = 1, 64, 8, 256, 32, 2
	}
	// sgemm_packed: a 128-token prompt through the 134M model's gate
	// projection (768 inputs, 2048 outputs).
	pm, pn, pk := 128, 2048, 768
	if quick {
		pm, pn, pk = 9, 40, 24
	}
	shape2 := func(a, b int) string { return fmt.Sprintf("%dx%d", a, b) }
	const d = 4096
	bs := []kernelBench{
		{name: "copy", shape: fmt.Sprintf("%dMiB", copyMiB), bytes: 2 * float64(copyMiB<<20), memBound: true,
			setup: func(t int) func() {
				n := copyMiB << 20 / 4
				src, dst := randFloats(n), make([]float32, n)
				return func() {
					splitRows(n/1024, t, func(lo, hi int) { copy(dst[lo*1024:hi*1024], src[lo*1024:hi*1024]) })
				}
			}},
		{name: "rmsnorm_fwd", shape: shape2(nd, d), bytes: 2 * 4 * float64(nd*d), memBound: true,
			setup: func(t int) func() {
				x, w, y := randFloats(nd*d), randFloats(d), make([]float32, nd*d)
				return func() {
					splitRows(nd, t, func(lo, hi int) { kernel.RMSNormRows(y[lo*d:hi*d], x[lo*d:hi*d], w, d, 1e-5, nil) })
				}
			}},
		{name: "layernorm_fwd", shape: shape2(nd, d), bytes: 2 * 4 * float64(nd*d), memBound: true,
			setup: func(t int) func() {
				x, w, b, y := randFloats(nd*d), randFloats(d), randFloats(d), make([]float32, nd*d)
				return func() {
					splitRows(nd, t, func(lo, hi int) { kernel.LayerNormRows(y[lo*d:hi*d], x[lo*d:hi*d], w, b, d, 1e-5, nil, nil) })
				}
			}},
		{name: "rmsnorm_fwd_bwd", shape: shape2(small, d),
			setup: func(t int) func() {
				x, w, y, dy, dx, dw := randFloats(small*d), randFloats(d), make([]float32, small*d), randFloats(small*d), make([]float32, small*d), make([]float32, d)
				inv := make([]float32, small)
				return func() {
					kernel.RMSNormRows(y, x, w, d, 1e-5, inv)
					kernel.RMSNormBackwardRows(dx, dw, dy, x, w, inv, d)
				}
			}},
		{name: "layernorm_fwd_bwd", shape: shape2(small, d),
			setup: func(t int) func() {
				x, w, b, y, dy, dx, dw, db := randFloats(small*d), randFloats(d), randFloats(d), make([]float32, small*d), randFloats(small*d), make([]float32, small*d), make([]float32, d), make([]float32, d)
				mean, inv := make([]float32, small), make([]float32, small)
				return func() {
					kernel.LayerNormRows(y, x, w, b, d, 1e-5, mean, inv)
					kernel.LayerNormBackwardRows(dx, dw, db, dy, x, w, mean, inv, d)
				}
			}},
		{name: "rope_fwd", shape: fmt.Sprintf("%dx32x128", nt), bytes: 2 * 4 * float64(nt*32*128), memBound: true,
			setup: func(t int) func() {
				const nh, hd = 32, 128
				x := randFloats(nt * nh * hd)
				cos, sin := make([]float32, nt*hd/2), make([]float32, nt*hd/2)
				for i := range cos {
					// Unit-length rotations keep x bounded over repeated calls.
					cos[i], sin[i] = float32(math.Cos(float64(i))), float32(math.Sin(float64(i)))
				}
				return func() {
					splitRows(nt, t, func(lo, hi int) {
						kernel.RoPERows(x[lo*nh*hd:hi*nh*hd], hi-lo, nh, hd, hd, cos[lo*hd/2:hi*hd/2], sin[lo*hd/2:hi*hd/2], true)
					})
				}
			}},
		{name: "sgemv", shape: shape2(gemv, gemv), bytes: 4 * float64(gemv*gemv), flops: 2 * float64(gemv*gemv), memBound: true, variant: kernel.SgemvImpl(),
			setup: func(t int) func() {
				a, x, y := randFloats(gemv*gemv), randFloats(gemv), make([]float32, gemv)
				return func() { kernel.Sgemv(y, a, x, gemv, gemv) }
			}},
		{name: "sgemm", shape: fmt.Sprintf("%dx%dx%d", gemm, gemm, gemm), flops: 2 * float64(gemm*gemm*gemm), variant: kernel.GemmImpl(),
			setup: func(t int) func() {
				a, b, c := randFloats(gemm*gemm), randFloats(gemm*gemm), make([]float32, gemm*gemm)
				return func() { kernel.Sgemm(false, false, gemm, gemm, gemm, 1, a, gemm, b, gemm, 0, c, gemm) }
			}},
		// A prompt's product: tokens × inputs times packed weights [outputs][inputs].
		{name: "sgemm_packed", shape: fmt.Sprintf("%dx%dx%d", pm, pn, pk), flops: 2 * float64(pm*pn*pk), variant: kernel.GemmImpl(),
			setup: func(t int) func() {
				x, w, c := randFloats(pm*pk), kernel.PackB(randFloats(pn*pk), pn, pk), make([]float32, pm*pn)
				return func() { kernel.MatMulPacked(c, x, w, pm, false) }
			}},
		{name: "f16_gemv", shape: shape2(gemv, gemv), bytes: 2 * float64(gemv*gemv), flops: 2 * float64(gemv*gemv), memBound: true,
			setup: func(t int) func() {
				w, x, y := make([]uint16, gemv*gemv), randFloats(gemv), make([]float32, gemv)
				kernel.F32ToF16(w, randFloats(gemv*gemv))
				return func() { kernel.GemvF16(y, w, x, gemv, gemv) }
			}},
	}
	for _, t := range benchQuantTypes {
		bs = append(bs, quantBench(t, gemv, false), quantBench(t, gemv, true))
	}
	return bs
}

// benchQuantTypes are the weight types whose GEMVs bench kernels times,
// in both paths: float activations ("q4_k_gemv") and activations quantized
// per block ("q4_k_q8_gemv").
var benchQuantTypes = []quant.Type{quant.Q8_0, quant.Q4_0, quant.Q4_1, quant.Q5_0, quant.Q5_1, quant.Q2_K,
	quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.IQ4_NL, quant.IQ4_XS}

// quantBench times an n×n GEMV of type t through quant's table, with
// float activations or (intPath) activations quantized per call as
// llama.cpp does per token.
func quantBench(t quant.Type, n int, intPath bool) kernelBench {
	wb := n / t.BlockSize() * t.BlockBytes() * n
	k := t.Kernels()
	name := strings.ToLower(t.String()) + "_gemv"
	if intPath {
		name = strings.ToLower(t.String()) + "_q8_gemv"
	}
	return kernelBench{name: name, shape: fmt.Sprintf("%dx%d", n, n), bytes: float64(wb), flops: 2 * float64(n*n), memBound: true,
		variant: k.Variant,
		setup: func(int) func() {
			rng := rand.New(rand.NewPCG(2, 3))
			x := randFloats(n * n)
			for i := range x {
				x[i] *= float32(rng.NormFloat64())
			}
			w, err := quant.Quantize(t, x)
			if err != nil {
				panic(err) // every type in benchQuantTypes has an encoder
			}
			x, y := randFloats(n), make([]float32, n)
			if !intPath {
				return func() { k.Gemv(y, w, x, n, n) }
			}
			xq := make([]byte, t.VecDot().MustRowBytes(n))
			return func() {
				kernel.QuantizeActivations(t, xq, x)
				k.GemvQ(y, w, xq, n, n)
			}
		}}
}

// sortedKernelNames lists the benchmark names (for tests and help).
func sortedKernelNames() []string {
	var names []string
	for _, b := range kernelBenches(true) {
		names = append(names, b.name)
	}
	sort.Strings(names)
	return names
}
