package cli

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
	"time"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/progress"
	"golang.org/x/term"
)

const progName = "encrypt-cli"

type ui struct {
	mu        sync.Mutex
	stderr    io.Writer
	quiet     bool
	verbosity int
	prog      *progress.Bar
}

func (u *ui) line(kind, text string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.prog.Clear()
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

// startProgress shows a progress bar for total input bytes on stderr.
func startProgress(u *ui, total int64) *progress.Bar {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.prog = progress.Start(u.stderr, &u.mu, progName, total, progressInterval)
	return u.prog
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
