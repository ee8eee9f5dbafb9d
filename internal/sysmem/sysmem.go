// Package sysmem tells how much memory a large allocation may take: the
// kernel's estimate of memory available without swapping (MemAvailable in
// /proc/meminfo on Linux), and byte sizes written by people ("8GiB",
// "512M"). Callers compare what a KV cache or a training run needs,
// computed with overflow checks, against that figure before allocating,
// so a request that cannot fit is a one-line error instead of an
// out-of-memory kill.
package sysmem

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/llmparts/llmparts/internal/safeio"
)

// MaxThreads is the most worker goroutines a model or a training run
// uses (each costs a goroutine and scratch memory; beyond the core count
// they only add switching).
const MaxThreads = 1024

// meminfo is the file Available reads (a variable for tests).
var meminfo = "/proc/meminfo"

// Available returns the bytes of memory available for new allocations
// (MemAvailable from /proc/meminfo) and true, or 0 and false where that is
// unknown (not Linux, or an old kernel).
func Available() (int64, bool) {
	b, err := safeio.ReadFile(meminfo, 1<<20, "")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb < 0 || kb > math.MaxInt64/1024 {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// Mul returns the product of non-negative factors, and false if it
// overflows int64 (or a factor is negative).
func Mul(factors ...int64) (int64, bool) {
	p := uint64(1)
	for _, f := range factors {
		if f < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(p, uint64(f))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		p = lo
	}
	return int64(p), true
}

// Add returns the sum of non-negative terms, and false on overflow.
func Add(terms ...int64) (int64, bool) {
	var s int64
	for _, t := range terms {
		if t < 0 || s > math.MaxInt64-t {
			return 0, false
		}
		s += t
	}
	return s, true
}

// ParseSize parses a byte count: a plain number of bytes, or a number
// followed by K, M, G, T (powers of 1024, optionally written KiB, KB, k…).
// "0" is allowed and means "no explicit limit" to the callers.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	u := strings.ToUpper(t)
	u = strings.TrimSuffix(strings.TrimSuffix(u, "IB"), "B")
	mult := int64(1)
	if n := len(u); n > 0 {
		switch u[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			u = u[:n-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || !(v >= 0) || v*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q: want a number of bytes ≥ 0, optionally with K, M, G or T (e.g. 8G)", s)
	}
	return int64(v * float64(mult)), nil
}

// Check returns nil if need bytes fit in limit, or, when limit is 0, in
// the memory available now (no check when that is unknown). The error
// says what needs how much against what, and how to change the limit:
//
//	KV cache: needs 256 GiB but 3.1 GiB of memory is available (MemAvailable); use a smaller context or --max-kv-memory
func Check(what string, need, limit int64, hint string) error {
	src := "the limit"
	if limit == 0 {
		avail, ok := Available()
		if !ok {
			return nil
		}
		limit, src = avail, "MemAvailable"
	}
	if need <= limit {
		return nil
	}
	msg := fmt.Sprintf("%s: needs %s but %s of memory is available (%s)", what, safeio.Human(need), safeio.Human(limit), src)
	if hint != "" {
		msg += "; " + hint
	}
	return fmt.Errorf("%s", msg)
}
