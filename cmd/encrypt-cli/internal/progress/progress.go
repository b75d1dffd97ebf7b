// Package progress draws encrypt-cli's progress bar: one line on a
// terminal, redrawn at an interval, for the bytes read from every input.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bar is a progress bar. Its writer is shared with other lines: every
// write holds mu, and a writer of another line calls Clear first (with mu
// held) so that the line does not run into the bar.
type Bar struct {
	total  int64
	done   atomic.Int64
	shown  atomic.Bool
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	stop   chan struct{}
	wg     sync.WaitGroup
}

// Start draws the bar for total bytes on w, at once and then every
// interval, until Finish. The caller holds mu.
func Start(w io.Writer, mu *sync.Mutex, prefix string, total int64, interval time.Duration) *Bar {
	p := &Bar{total: total, mu: mu, w: w, prefix: prefix, stop: make(chan struct{})}
	p.drawLocked()
	p.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.drawLocked()
				p.mu.Unlock()
			}
		}
	})
	return p
}

func (p *Bar) drawLocked() {
	done := min(p.done.Load(), p.total)
	const width = 30
	filled := int(done * width / max(p.total, 1))
	fmt.Fprintf(p.w, "\r\x1b[K%s: [%s%s] %3d%% %s / %s", p.prefix,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done*100/max(p.total, 1), HumanBytes(done), HumanBytes(p.total))
	p.shown.Store(true)
}

// Clear erases the bar's line, if drawn, so that the caller can write
// another line; the bar is drawn again at the next interval. The caller
// holds mu. A nil Bar does nothing.
func (p *Bar) Clear() {
	if p != nil && p.shown.Load() {
		io.WriteString(p.w, "\r\x1b[K")
	}
}

// Finish stops the bar and erases it. A nil Bar does nothing.
func (p *Bar) Finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	p.Clear()
	p.shown.Store(false)
	p.mu.Unlock()
}

// Reader returns a reader that adds what it reads from r to the bar.
func (p *Bar) Reader(r io.Reader) io.Reader { return &countingReader{r: r, p: p} }

type countingReader struct {
	r io.Reader
	p *Bar
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.done.Add(int64(n))
	return n, err
}

// HumanBytes writes n in binary units: "512 B", "1.5 KiB", "3.0 GiB".
func HumanBytes(n int64) string {
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
