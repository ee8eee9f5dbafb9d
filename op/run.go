package op

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/llmparts/llmparts/internal/safeio"
)

// Handler computes one operation. It reads its inputs from req and returns
// the fields of the response (the runner adds "id"); a returned error
// becomes {"id":…,"error":"…"}. Result values may be nil, bool, string,
// int, int64, float32, float64, []float32, []float64, []int, []any or
// map[string]any; float32 values are written with the shortest text that
// round-trips a float32.
type Handler func(req *Request) (map[string]any, error)

var (
	mu       sync.RWMutex
	handlers = map[string]Handler{}
)

// Register adds the handler for op name. It panics on an empty name, a
// nil handler or a duplicate name: these are programming errors caught
// by any test, and Register is meant to be called from init.
func Register(name string, fn Handler) {
	mu.Lock()
	defer mu.Unlock()
	if name == "" || fn == nil {
		panic("op: Register with empty name or nil handler")
	}
	if _, dup := handlers[name]; dup {
		panic("op: duplicate handler " + name)
	}
	handlers[name] = fn
}

// Names returns the registered op names, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookup(name string) (Handler, bool) {
	mu.RLock()
	defer mu.RUnlock()
	h, ok := handlers[name]
	return h, ok
}

// DefaultMaxLine is the longest request line Run accepts (64 MiB: about
// 8 million float32 values written in full precision).
const DefaultMaxLine = safeio.MaxLine

// Run reads JSON lines from r and writes exactly one JSON line to w for
// every line that is not blank (blank lines are skipped silently). Each
// response echoes the request's "id" (null when the line cannot be read)
// and carries either the handler's fields or "error". Run goes on after a
// bad line; it returns how many lines failed, and a non-nil error only when
// reading r or writing w fails, or a line is longer than DefaultMaxLine
// (see RunLimit).
func Run(r io.Reader, w io.Writer) (failed int, err error) {
	return RunLimit(r, w, DefaultMaxLine)
}

// RunLimit is Run with a cap of maxLine bytes per line: a longer line
// stops the run with an error that says the cap (input such as /dev/zero
// has no newline at all, so it cannot be skipped). Numbers are parsed
// straight from the line into the result arrays, so memory stays a small
// multiple of the line.
func RunLimit(r io.Reader, w io.Writer, maxLine int) (failed int, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	for n := 1; ; n++ {
		line, rerr := safeio.ReadLine(br, maxLine)
		if rerr == nil && len(bytes.TrimSpace(line)) > 0 {
			out, ok := Do(line)
			if !ok {
				failed++
			}
			if _, werr := bw.Write(append(out, '\n')); werr != nil {
				return failed, fmt.Errorf("op: writing response: %w", werr)
			}
			// Flush when no more input is buffered, so an interactive
			// caller sees each answer as soon as its line is complete.
			if br.Buffered() == 0 {
				if werr := bw.Flush(); werr != nil {
					return failed, fmt.Errorf("op: writing response: %w", werr)
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return failed, errors.Join(fmt.Errorf("op: reading request line %d: %w", n, rerr), bw.Flush())
		}
	}
	if err := bw.Flush(); err != nil {
		return failed, fmt.Errorf("op: writing response: %w", err)
	}
	return failed, nil
}

// Do handles one request line and returns the response line (without a
// newline) and whether it succeeded.
func Do(line []byte) (resp []byte, ok bool) {
	var id any
	fields, err := handle(line, &id)
	b := append([]byte(nil), `{"id":`...)
	b, idErr := appendValue(b, id)
	if idErr != nil {
		b = append(b[:len(`{"id":`)], "null"...)
	}
	if err == nil {
		var body []byte
		body, err = appendFields(fields)
		if err == nil {
			return append(append(b, body...), '}'), true
		}
	}
	b = append(b, `,"error":`...)
	b, _ = appendValue(b, err.Error())
	return append(b, '}'), false
}

// appendFields encodes the response fields (sorted, without braces and
// with a leading comma for each).
func appendFields(fields map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k == "id" || k == "error" {
			return nil, fmt.Errorf("op: handler returned reserved field %q", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	var err error
	for _, k := range keys {
		b = append(b, ',')
		b, _ = appendValue(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, fields[k]); err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
	}
	return b, nil
}

func handle(line []byte, id *any) (fields map[string]any, err error) {
	v, err := parseJSON(line)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("request must be a JSON object")
	}
	*id = obj["id"]
	req := newRequest(obj, "")
	req.used["id"] = true
	name, err := req.String("op")
	if err != nil {
		return nil, err
	}
	h, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown op %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	defer func() {
		if p := recover(); p != nil {
			fields, err = nil, fmt.Errorf("op %s: internal error: %v", name, p)
		}
	}()
	fields, err = h(req)
	if err != nil {
		return nil, fmt.Errorf("op %s: %w", name, err)
	}
	if err := req.checkUsed(); err != nil {
		return nil, fmt.Errorf("op %s: %w", name, err)
	}
	return fields, nil
}

// Request is one parsed request line (or a nested object of one). Its
// accessors read a field by name and mark it as used; after the handler
// returns, any field it did not read is reported as an error ("unknown
// field"), so a typo such as "weigth" is never silently ignored.
// Optional accessors treat an absent field and null alike.
type Request struct {
	path     string
	fields   map[string]any
	used     map[string]bool
	children []*Request
}

func newRequest(fields map[string]any, path string) *Request {
	return &Request{path: path, fields: fields, used: map[string]bool{}}
}

func (r *Request) name(field string) string { return r.path + field }

func (r *Request) checkUsed() error {
	var unknown []string
	for k := range r.fields {
		if !r.used[k] {
			unknown = append(unknown, r.name(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown field(s) %s", strings.Join(unknown, ", "))
	}
	for _, c := range r.children {
		if err := c.checkUsed(); err != nil {
			return err
		}
	}
	return nil
}

// get returns the field, marking it used; ok is false when it is absent
// or null.
func (r *Request) get(field string) (any, bool) {
	r.used[field] = true
	v, ok := r.fields[field]
	return v, ok && v != nil
}

func (r *Request) missing(field string) error {
	return fmt.Errorf("missing field %q", r.name(field))
}

// Has reports whether field is present and not null (without marking it).
func (r *Request) Has(field string) bool {
	v, ok := r.fields[field]
	return ok && v != nil
}

func typeName(v any) string {
	switch v.(type) {
	case number:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any, numList:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func toFloat(v any, bitSize int) (float64, error) {
	n, ok := v.(number)
	if !ok {
		return 0, fmt.Errorf("want a number, got %s", typeName(v))
	}
	return parseFloat([]byte(n), bitSize)
}

// parseFloat parses one number's text at bitSize. NaN, Infinity and
// -Infinity are taken as written; a finite number beyond the range of
// the type is an error (1e39 would otherwise become +Inf in float32
// silently); one too small becomes 0 or a subnormal, as in any cast.
func parseFloat(t []byte, bitSize int) (float64, error) {
	switch string(t) {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(string(t), bitSize)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s is beyond the float%d range (±%g); write Infinity for an infinite value", t, bitSize, maxOf(bitSize))
		}
		if !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("bad number %s: %w", t, err)
		}
	}
	return f, nil
}

func maxOf(bitSize int) float64 {
	if bitSize == 32 {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

func toInt(v any) (int, error) {
	n, ok := v.(number)
	if !ok {
		return 0, fmt.Errorf("want an integer, got %s", typeName(v))
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && i == int64(int(i)) {
		return int(i), nil
	}
	f, err := toFloat(v, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("want an integer, got %s", n)
	}
	return int(f), nil
}

// Float returns the required number field as float64, exactly as written
// (NaN, Infinity and -Infinity are accepted).
func (r *Request) Float(field string) (float64, error) {
	v, ok := r.get(field)
	if !ok {
		return 0, r.missing(field)
	}
	f, err := toFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("field %q: %w", r.name(field), err)
	}
	return f, nil
}

// FloatOr returns the number field, or def when it is absent or null.
func (r *Request) FloatOr(field string, def float64) (float64, error) {
	if _, ok := r.get(field); !ok {
		return def, nil
	}
	return r.Float(field)
}

// FiniteFloat is Float, rejecting NaN and ±Inf: use it for parameters.
func (r *Request) FiniteFloat(field string) (float64, error) {
	f, err := r.Float(field)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		err = fmt.Errorf("field %q = %v, want a finite number", r.name(field), f)
	}
	return f, err
}

// FiniteFloatOr is FloatOr, rejecting NaN and ±Inf.
func (r *Request) FiniteFloatOr(field string, def float64) (float64, error) {
	if _, ok := r.get(field); !ok {
		return def, nil
	}
	return r.FiniteFloat(field)
}

// Int returns the required integer field (3 and 3.0 are accepted, 3.5 is not).
func (r *Request) Int(field string) (int, error) {
	v, ok := r.get(field)
	if !ok {
		return 0, r.missing(field)
	}
	i, err := toInt(v)
	if err != nil {
		return 0, fmt.Errorf("field %q: %w", r.name(field), err)
	}
	return i, nil
}

// IntOr returns the integer field, or def when it is absent or null.
func (r *Request) IntOr(field string, def int) (int, error) {
	if _, ok := r.get(field); !ok {
		return def, nil
	}
	return r.Int(field)
}

// Bool returns the required boolean field.
func (r *Request) Bool(field string) (bool, error) {
	v, ok := r.get(field)
	if !ok {
		return false, r.missing(field)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("field %q: want true or false, got %s", r.name(field), typeName(v))
	}
	return b, nil
}

// BoolOr returns the boolean field, or def when it is absent or null.
func (r *Request) BoolOr(field string, def bool) (bool, error) {
	if _, ok := r.get(field); !ok {
		return def, nil
	}
	return r.Bool(field)
}

// String returns the required string field.
func (r *Request) String(field string) (string, error) {
	v, ok := r.get(field)
	if !ok {
		return "", r.missing(field)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %q: want a string, got %s", r.name(field), typeName(v))
	}
	return s, nil
}

// StringOr returns the string field, or def when it is absent or null.
func (r *Request) StringOr(field string, def string) (string, error) {
	if _, ok := r.get(field); !ok {
		return def, nil
	}
	return r.String(field)
}

// array returns an array field: a numList when it holds only numbers,
// else []any.
func (r *Request) array(field string) (any, bool, error) {
	v, ok := r.get(field)
	if !ok {
		return nil, false, nil
	}
	switch v.(type) {
	case []any, numList:
		return v, true, nil
	}
	return nil, true, fmt.Errorf("field %q: want an array, got %s", r.name(field), typeName(v))
}

// convert converts an array field: conv for the elements of a generic
// array, tok straight from the text of a numList (no allocation per
// number).
func convert[T any](r *Request, field string, a any, conv func(any) (T, error), tok func([]byte) (T, error)) ([]T, error) {
	if l, ok := a.(numList); ok {
		out := make([]T, l.n)
		err := l.each(func(i int, t []byte) error {
			v, err := tok(t)
			if err != nil {
				return fmt.Errorf("field %q[%d]: %w", r.name(field), i, err)
			}
			out[i] = v
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	arr := a.([]any)
	out := make([]T, len(arr))
	for i, e := range arr {
		v, err := conv(e)
		if err != nil {
			return nil, fmt.Errorf("field %q[%d]: %w", r.name(field), i, err)
		}
		out[i] = v
	}
	return out, nil
}

func to32(v any) (float32, error) {
	f, err := toFloat(v, 32)
	return float32(f), err
}

func to64(v any) (float64, error) { return toFloat(v, 64) }

func tok32(t []byte) (float32, error) {
	f, err := parseFloat(t, 32)
	return float32(f), err
}

func tok64(t []byte) (float64, error) { return parseFloat(t, 64) }

func tokInt(t []byte) (int, error) {
	if i, err := strconv.ParseInt(string(t), 10, 64); err == nil && i == int64(int(i)) {
		return int(i), nil
	}
	return toInt(number(t))
}

// Float32s returns the required array of numbers as float32, each rounded
// once from its decimal text (NaN and ±Infinity accepted; values beyond
// the float32 range become ±Inf). An empty array gives an empty slice.
func (r *Request) Float32s(field string) ([]float32, error) {
	a, ok, err := r.array(field)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.missing(field)
	}
	return convert(r, field, a, to32, tok32)
}

// Float32sOr is Float32s for an optional field: nil when absent or null.
func (r *Request) Float32sOr(field string) ([]float32, error) {
	if _, ok := r.get(field); !ok {
		return nil, nil
	}
	return r.Float32s(field)
}

// Float64s returns the required array of numbers as float64.
func (r *Request) Float64s(field string) ([]float64, error) {
	a, ok, err := r.array(field)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.missing(field)
	}
	return convert(r, field, a, to64, tok64)
}

// Float64sOr is Float64s for an optional field: nil when absent or null.
func (r *Request) Float64sOr(field string) ([]float64, error) {
	if _, ok := r.get(field); !ok {
		return nil, nil
	}
	return r.Float64s(field)
}

// Ints returns the required array of integers.
func (r *Request) Ints(field string) ([]int, error) {
	a, ok, err := r.array(field)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.missing(field)
	}
	return convert(r, field, a, toInt, tokInt)
}

// IntsOr is Ints for an optional field: nil when absent or null.
func (r *Request) IntsOr(field string) ([]int, error) {
	if _, ok := r.get(field); !ok {
		return nil, nil
	}
	return r.Ints(field)
}

// Object returns the nested object field as a Request (whose fields are
// also checked for unknown names), or nil when the field is absent or null.
func (r *Request) Object(field string) (*Request, error) {
	v, ok := r.get(field)
	if !ok {
		return nil, nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		return nil, fmt.Errorf("field %q: want an object or null, got %s", r.name(field), typeName(v))
	}
	c := newRequest(m, r.name(field)+".")
	r.children = append(r.children, c)
	return c, nil
}
