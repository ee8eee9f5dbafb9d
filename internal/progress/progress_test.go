package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source advanced by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestPlainLines(t *testing.T) {
	var b bytes.Buffer
	l := New(&b) // a buffer is not a terminal
	c := &clock{t: time.Unix(0, 0)}
	l.now = c.now
	l.Update("step %d", 1)
	c.t = c.t.Add(time.Second)
	l.Update("step %d", 2) // within 5 s: dropped
	c.t = c.t.Add(5 * time.Second)
	l.Update("step %d", 3)
	l.Println("val %d", 4)
	l.Final("step %d", 5)
	l.Done()
	want := "step 1\nstep 3\nval 4\nstep 5\n"
	if b.String() != want || strings.Contains(b.String(), "\033") || strings.Contains(b.String(), "\r") {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

func TestTerminal(t *testing.T) {
	var b bytes.Buffer
	l := NewMode(&b, true)
	c := &clock{t: time.Unix(0, 0)}
	l.now = c.now
	l.Update("a")
	c.t = c.t.Add(50 * time.Millisecond)
	l.Update("b") // within 100 ms: dropped
	c.t = c.t.Add(100 * time.Millisecond)
	l.Update("c")
	l.Println("line")
	l.Final("d")
	l.Done()
	want := "\r\033[Ka\r\033[Kc\r\033[Kline\n\r\033[Kd\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}
