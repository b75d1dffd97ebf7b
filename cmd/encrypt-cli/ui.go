package main

// Messages on stderr, in the style of age: "encrypt-cli: error: ...",
// "encrypt-cli: hint: ...", "encrypt-cli: warning: ...", lowercase where
// the text is ours. Nothing secret is ever printed: messages name files,
// key names and namespaces, never key bytes or plaintext.

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

const progName = "encrypt-cli"

type ui struct {
	mu        sync.Mutex
	stderr    io.Writer
	quiet     bool
	verbosity int
	prog      *progress
}

func (u *ui) line(kind, text string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.prog != nil && u.prog.shown.Load() {
		io.WriteString(u.stderr, "\r\x1b[K")
	}
	// One line per message, whatever the text holds.
	text = strings.ReplaceAll(text, "\n", " ")
	fmt.Fprintf(u.stderr, "%s: %s: %s\n", progName, kind, text)
}

func (u *ui) errorf(format string, args ...any) { u.line("error", fmt.Sprintf(format, args...)) }

func (u *ui) hint(text string) {
	if text != "" {
		u.line("hint", text)
	}
}

func (u *ui) warn(text string) {
	if !u.quiet {
		u.line("warning", text)
	}
}

func (u *ui) info(text string) {
	if !u.quiet && u.verbosity >= 1 {
		u.line("info", text)
	}
}

func (u *ui) debug(text string) {
	if !u.quiet && u.verbosity >= 2 {
		u.line("debug", text)
	}
}

// isTerminal reports whether w is a terminal (golang.org/x/term: a
// character device such as /dev/null is not). It is a variable so that
// tests can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressThreshold is the input size from which a progress bar is shown.
var progressThreshold int64 = 64 << 20

// progressInterval is how often the bar is redrawn.
var progressInterval = 200 * time.Millisecond

// progress draws a bar on stderr for the bytes read from every input.
type progress struct {
	total int64
	done  atomic.Int64
	shown atomic.Bool
	u     *ui
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(u *ui, total int64) *progress {
	p := &progress{total: total, u: u, stop: make(chan struct{})}
	u.prog = p
	p.draw() // at once, then every progressInterval
	p.wg.Go(func() {
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	})
	return p
}

func (p *progress) draw() {
	done := min(p.done.Load(), p.total)
	const width = 30
	filled := int(done * width / max(p.total, 1))
	p.u.mu.Lock()
	defer p.u.mu.Unlock()
	fmt.Fprintf(p.u.stderr, "\r\x1b[K%s: [%s%s] %3d%% %s / %s", progName,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done*100/max(p.total, 1), humanBytes(done), humanBytes(p.total))
	p.shown.Store(true)
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.u.mu.Lock()
	if p.shown.Load() {
		io.WriteString(p.u.stderr, "\r\x1b[K")
	}
	p.u.prog = nil
	p.u.mu.Unlock()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// countingReader adds the bytes read to a progress bar.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.done.Add(int64(n))
	return n, err
}

// readLine reads one line from r, a byte at a time so that nothing after
// the line is consumed.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	var c [1]byte
	for {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(c[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
}
