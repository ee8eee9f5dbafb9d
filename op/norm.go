package op

import (
	"fmt"

	"github.com/llmparts/llmparts/norm"
)

func init() {
	Register("rms_norm", rmsNorm)
	Register("layer_norm", layerNorm)
}

// normInput holds the fields both norm ops share.
type normInput struct {
	n, rows      int
	eps          float64
	x, dy        []float32
	weight, bias []float32
}

func readNormInput(req *Request) (*normInput, error) {
	in := &normInput{}
	var err error
	if in.n, err = req.Int("n"); err != nil {
		return nil, err
	}
	if in.n <= 0 {
		return nil, fmt.Errorf("n = %d, want > 0", in.n)
	}
	if in.eps, err = req.FiniteFloat("eps"); err != nil {
		return nil, err
	}
	if in.x, err = req.Float32s("x"); err != nil {
		return nil, err
	}
	if !req.Has("rows") && len(in.x)%in.n != 0 {
		return nil, fmt.Errorf("len(x) = %d is not a multiple of n = %d", len(in.x), in.n)
	}
	if in.rows, err = req.IntOr("rows", len(in.x)/in.n); err != nil {
		return nil, err
	}
	if in.rows < 0 || in.rows > len(in.x) || (in.rows > 0 && in.n > len(in.x)/in.rows) || in.rows*in.n != len(in.x) {
		return nil, fmt.Errorf("len(x) = %d, want n·rows = %d·%d", len(in.x), in.n, in.rows)
	}
	if in.weight, err = req.Float32sOr("weight"); err != nil {
		return nil, err
	}
	if in.weight != nil && len(in.weight) != in.n {
		return nil, fmt.Errorf("len(weight) = %d, want n = %d", len(in.weight), in.n)
	}
	if in.bias, err = req.Float32sOr("bias"); err != nil {
		return nil, err
	}
	if in.bias != nil && len(in.bias) != in.n {
		return nil, fmt.Errorf("len(bias) = %d, want n = %d", len(in.bias), in.n)
	}
	if in.dy, err = req.Float32sOr("dy"); err != nil {
		return nil, err
	}
	if in.dy != nil && len(in.dy) != len(in.x) {
		return nil, fmt.Errorf("len(dy) = %d, want len(x) = %d", len(in.dy), len(in.x))
	}
	return in, nil
}

// runNorm runs forward (and backward when dy is given) on l.
func runNorm(l norm.Layer, in *normInput) (map[string]any, error) {
	y := make([]float32, len(in.x))
	stats := make([]float32, in.rows*l.StatsPerRow())
	if err := l.Forward(y, in.x, stats); err != nil {
		return nil, err
	}
	out := map[string]any{"y": y}
	if in.dy != nil {
		dx := make([]float32, len(in.x))
		dw := make([]float32, in.n)
		db := make([]float32, in.n)
		if err := l.Backward(dx, dw, db, in.dy, in.x, stats); err != nil {
			return nil, err
		}
		out["dx"], out["dweight"], out["dbias"] = dx, dw, db
	}
	return out, nil
}

func rmsNorm(req *Request) (map[string]any, error) {
	in, err := readNormInput(req)
	if err != nil {
		return nil, err
	}
	l := &norm.RMSNorm{Dim: in.n, Weight: in.weight, Bias: in.bias, Eps: in.eps}
	off, err := req.FiniteFloatOr("weight_offset", 0)
	if err != nil {
		return nil, err
	}
	if off != 0 && off != 1 {
		return nil, fmt.Errorf("weight_offset = %v, want 0 or 1", off)
	}
	l.WeightOffset = float32(off)
	if l.EpsOutside, err = req.BoolOr("eps_outside", false); err != nil {
		return nil, err
	}
	if req.Has("p") {
		if l.P, err = req.Float("p"); err != nil {
			return nil, err
		}
		if !(l.P > 0 && l.P <= 1) {
			return nil, fmt.Errorf("p = %v, want p in (0, 1]", l.P)
		}
	} else {
		req.get("p") // mark: null is allowed
	}
	arith, err := req.StringOr("arith", "exact")
	if err != nil {
		return nil, err
	}
	switch arith {
	case "exact":
	case "ggml":
		l.Arith = norm.ArithGGML
	case "llama2c":
		l.Arith = norm.ArithLlama2C
	case "fast":
		l.Arith = norm.ArithFast
	default:
		return nil, fmt.Errorf("arith = %q, want \"exact\", \"fast\", \"ggml\" or \"llama2c\"", arith)
	}
	return runNorm(l, in)
}

func layerNorm(req *Request) (map[string]any, error) {
	in, err := readNormInput(req)
	if err != nil {
		return nil, err
	}
	l := &norm.LayerNorm{Dim: in.n, Weight: in.weight, Bias: in.bias, Eps: in.eps}
	arith, err := req.StringOr("arith", "exact")
	if err != nil {
		return nil, err
	}
	switch arith {
	case "exact":
	case "fast":
		l.Arith = norm.ArithFast
	default:
		return nil, fmt.Errorf("arith = %q, want \"exact\" or \"fast\"", arith)
	}
	return runNorm(l, in)
}
