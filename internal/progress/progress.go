// Package progress draws a command's progress on standard error in a way
// that suits where it goes. On a terminal, one status line is rewritten in
// place ("\r", erase to end of line) at most every 100 ms; in a file or a
// pipe there are no control codes: each update is a plain line, at most one
// every few seconds, so that a log keeps a readable history.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// Line is a status line. It is not safe for concurrent use.
type Line struct {
	w       io.Writer
	tty     bool
	every   time.Duration
	last    time.Time
	pending bool // a status is drawn on the terminal without a newline
	now     func() time.Time
}

// New returns a Line writing to w, which is treated as a terminal when it
// is an *os.File connected to one.
func New(w io.Writer) *Line {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return NewMode(w, tty)
}

// NewMode returns a Line that redraws in place when tty is true and writes
// plain lines otherwise.
func NewMode(w io.Writer, tty bool) *Line {
	l := &Line{w: w, tty: tty, every: 5 * time.Second, now: time.Now}
	if tty {
		l.every = 100 * time.Millisecond
	}
	return l
}

// Terminal reports whether the line is redrawn in place.
func (l *Line) Terminal() bool { return l.tty }

// Update shows a new status, unless the previous one was shown less than
// the redraw interval ago (the first update is always shown).
func (l *Line) Update(format string, a ...any) {
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		return
	}
	l.last = now
	l.show(fmt.Sprintf(format, a...))
}

// Final shows a status whatever the interval (the last one of a task).
func (l *Line) Final(format string, a ...any) {
	l.last = l.now()
	l.show(fmt.Sprintf(format, a...))
}

func (l *Line) show(s string) {
	if l.tty {
		fmt.Fprintf(l.w, "\r\033[K%s", s)
		l.pending = true
		return
	}
	fmt.Fprintln(l.w, s)
}

// Println writes a permanent line (clearing the status on a terminal; the
// next Update draws below it).
func (l *Line) Println(format string, a ...any) {
	if l.tty && l.pending {
		fmt.Fprint(l.w, "\r\033[K")
		l.pending = false
	}
	fmt.Fprintf(l.w, format+"\n", a...)
}

// Done ends the status line: on a terminal the last status stays visible
// and the cursor moves to the next line.
func (l *Line) Done() {
	if l.tty && l.pending {
		fmt.Fprintln(l.w)
		l.pending = false
	}
}
