package op

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
)

// number is a JSON number kept as written ("1.5e-3", "NaN", "-Infinity"),
// so each field can be parsed at the precision it needs (float32 data is
// rounded once, straight from the decimal).
type number string

// maxDepth bounds the nesting of arrays and objects in one line.
const maxDepth = 64

var errSyntax = errors.New("invalid JSON")

// parser reads one JSON value, extended (as Python's json module) with
// the bare tokens NaN, Infinity and -Infinity outside strings.
type parser struct {
	s     []byte
	i     int
	depth int
}

// numList is an array holding only numbers, kept as its text (from "["
// to "]") and parsed straight into []float32, []float64 or []int by the
// accessor that reads it: a 100 MB line of numbers then costs the line and
// the result, not a string and an interface per number (which peaked at
// ~40× the line).
type numList struct {
	raw []byte
	n   int
}

// each calls fn with the text of every number of l in order.
func (l numList) each(fn func(i int, tok []byte) error) error {
	b := l.raw[1 : len(l.raw)-1]
	i, k := 0, 0
	for i < len(b) {
		c := b[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] != ',' && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\n' {
			j++
		}
		if err := fn(k, b[i:j]); err != nil {
			return err
		}
		k++
		i = j
	}
	return nil
}

// parseJSON parses b as a single JSON value. Objects become
// map[string]any (a key given twice is an error), arrays of numbers
// numList, other arrays []any, numbers number, strings string,
// true/false bool, null nil.
func parseJSON(b []byte) (any, error) {
	p := &parser{s: b}
	p.ws()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected %q after the value", p.s[p.i])
	}
	return v, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, p.i, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) literal(word string, v any) (any, error) {
	if len(p.s)-p.i < len(word) || string(p.s[p.i:p.i+len(word)]) != word {
		return nil, p.errorf("unknown token (want %s)", word)
	}
	p.i += len(word)
	return v, nil
}

func (p *parser) value() (any, error) {
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end of line")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == 'N':
		return p.literal("NaN", number("NaN"))
	case c == 'I':
		return p.literal("Infinity", number("Infinity"))
	case c == '-' && p.i+1 < len(p.s) && p.s[p.i+1] == 'I':
		return p.literal("-Infinity", number("-Infinity"))
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errorf("unexpected %q", c)
	}
}

func (p *parser) digits() int {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// number scans -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() (any, error) {
	start := p.i
	if err := p.scanNumber(); err != nil {
		return nil, err
	}
	return number(p.s[start:p.i]), nil
}

// scanNumber moves past one number without allocating.
func (p *parser) scanNumber() error {
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if p.digits() == 0 {
		return p.errorf("malformed number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return p.errorf("malformed number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return p.errorf("malformed number")
		}
	}
	return nil
}

func (p *parser) str() (any, error) {
	start := p.i
	p.i++
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\\':
			p.i += 2
			continue
		case '"':
			p.i++
			var s string
			if err := json.Unmarshal(p.s[start:p.i], &s); err != nil {
				p.i = start
				return nil, p.errorf("bad string: %v", err)
			}
			return s, nil
		}
		p.i++
	}
	p.i = start
	return nil, p.errorf("unterminated string")
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nested deeper than %d", maxDepth)
	}
	return nil
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	open := p.i
	p.i++ // [
	if l, ok := p.numbers(open); ok {
		p.depth--
		return l, nil
	}
	p.i = open + 1
	out := []any{}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return out, nil
	}
	for {
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return out, nil
		default:
			return nil, p.errorf("want , or ] in array, got %q", p.s[p.i])
		}
	}
}

// numbers scans an array of plain numbers (and NaN, Infinity, -Infinity)
// starting after the "[" at open; ok is false (p.i then undefined) when an
// element is anything else, and the caller parses the array generically.
func (p *parser) numbers(open int) (numList, bool) {
	n := 0
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return numList{raw: p.s[open:p.i]}, true
	}
	for {
		p.ws()
		if p.i >= len(p.s) {
			return numList{}, false
		}
		switch c := p.s[p.i]; {
		case c == 'N':
			if _, err := p.literal("NaN", nil); err != nil {
				return numList{}, false
			}
		case c == 'I':
			if _, err := p.literal("Infinity", nil); err != nil {
				return numList{}, false
			}
		case c == '-' && p.i+1 < len(p.s) && p.s[p.i+1] == 'I':
			if _, err := p.literal("-Infinity", nil); err != nil {
				return numList{}, false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if err := p.scanNumber(); err != nil {
				return numList{}, false
			}
		default:
			return numList{}, false
		}
		n++
		p.ws()
		if p.i >= len(p.s) {
			return numList{}, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return numList{raw: p.s[open:p.i], n: n}, true
		default:
			return numList{}, false
		}
	}
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // {
	out := map[string]any{}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return out, nil
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.errorf("want a quoted key in object")
		}
		keyAt := p.i
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := out[k.(string)]; dup {
			p.i = keyAt
			return nil, p.errorf("key %q given twice", k)
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("want : after key")
		}
		p.i++
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[k.(string)] = v
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return out, nil
		default:
			return nil, p.errorf("want , or } in object, got %q", p.s[p.i])
		}
	}
}

// appendFloat writes f with the shortest representation that round-trips
// at bitSize, and NaN, Infinity, -Infinity as bare tokens.
func appendFloat(b []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bitSize)
}

// appendValue encodes v. Maps are written with sorted keys, except that a
// top-level response's "id" is written first by the caller.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		s, err := json.Marshal(v) // escapes; invalid UTF-8 becomes U+FFFD
		if err != nil {
			return b, err
		}
		return append(b, s...), nil
	case number:
		return append(b, v...), nil
	case numList:
		return append(b, v.raw...), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float32:
		return appendFloat(b, float64(v), 32), nil
	case float64:
		return appendFloat(b, v, 64), nil
	case []float32:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = slices.Grow(b, 2+len(v)*12)
		b = append(b, '[')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, float64(f), 32)
		}
		return append(b, ']'), nil
	case []float64:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = slices.Grow(b, 2+len(v)*20)
		b = append(b, '[')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, f, 64)
		}
		return append(b, ']'), nil
	case []int:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, n := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		return append(b, ']'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, k); err != nil {
				return b, err
			}
			b = append(b, ':')
			if b, err = appendValue(b, v[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	default:
		return b, fmt.Errorf("op: cannot encode a result of type %T", v)
	}
}
