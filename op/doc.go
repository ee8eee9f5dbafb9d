// Package op is a JSON-lines runner that lets any tool (a Python script
// with PyTorch, a shell pipeline) check llmparts' numbers: each input line
// is a request {"op":NAME,"id":ID,...}, and each answer is one line
// {"id":ID,...results} or {"id":ID,"error":"..."}. `llmparts op` runs it
// on stdin and stdout.
//
// # Protocol
//
// Blank lines are skipped; every other line gets exactly one response line,
// in order, even when it is not valid JSON (then "id" is null). As in
// Python's json module, the bare tokens NaN, Infinity and -Infinity are
// accepted as numbers outside strings and written for non-finite results.
// Float32 results use the shortest text that round-trips a float32
// (strconv.FormatFloat(v, 'g', -1, 32)). Scalar parameters are read as
// float64 exactly as written; data arrays such as "x" are rounded once from
// their decimal text to float32. A field the op does not read is an error
// ("unknown field"), so typos are caught. Lines may be arbitrarily long.
//
// Example (the RMSNorm of [1,2,3,4] with eps 1e-6):
//
//	{"op":"rms_norm","id":1,"n":4,"rows":1,"eps":1e-6,"x":[1,2,3,4]}
//	{"id":1,"y":[0.36514834,0.7302967,1.095445,1.4605933]}
//
// # Norm ops
//
// "rms_norm": n (row length), rows (optional, default len(x)/n), eps, x
// (rows·n values); optional weight (n), weight_offset (0 or 1), bias (n),
// eps_outside (bool), p (pRMSNorm fraction in (0,1]), arith ("exact";
// "fast", the SIMD kernels; "ggml" or "llama2c", the float32 rounding of
// llama.cpp or llama2.c, bit for bit). "layer_norm": n,
// rows, eps, x; optional weight, bias, arith ("exact" or "fast"). Both accept an optional dy (same
// length as x): the response then also has dx, dweight and dbias, the
// gradients of Σ dy·y.
//
// The position-encoding ops "rope", "rope_freqs", "sinusoidal" and "alibi"
// are documented on their handlers in rope.go, sinusoidal.go and alibi.go; `llmparts op
// -list` prints every registered op.
//
// # Adding an op
//
// In an init function of a file of this package, call Register with a
// Handler. The handler reads its fields with the Request accessors —
// required: Float, FiniteFloat, Int, Bool, String, Float32s, Float64s,
// Ints; optional (absent or null gives the default or nil): FloatOr,
// FiniteFloatOr, IntOr, BoolOr, StringOr, Float32sOr, Float64sOr, IntsOr,
// Object (a nested object, or nil) — and returns the result fields:
//
//	func init() { Register("double", double) }
//
//	func double(req *Request) (map[string]any, error) {
//		x, err := req.Float32s("x")
//		if err != nil {
//			return nil, err
//		}
//		for i := range x {
//			x[i] *= 2
//		}
//		return map[string]any{"y": x}, nil
//	}
//
// Errors returned by accessors already name the field; the runner prefixes
// the op name. A panicking handler is turned into an error line.
package op
