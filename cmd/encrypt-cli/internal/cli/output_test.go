package cli

// Tests of what reaches the destination when a decryption fails
// (issue 12, defects 1 and 2).

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signedTampered writes a signed message of plain (the default suite)
// whose footer has one byte flipped, and returns its path.
func signedTampered(t *testing.T, e *cliEnv, plain string) string {
	t.Helper()
	e.write("p.txt", plain)
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("signed.enc"), "-S", e.aesKey()))
	e.write("bad.enc", e.read("signed.enc"))
	tamper(t, e.path("bad.enc"), 1) // the last byte of the signature
	return e.path("bad.enc")
}

// readFIFO makes a FIFO and reads everything written to it in the
// background. The returned function waits for the reader and returns what
// it read; call it after the writer is done.
func readFIFO(t *testing.T, path string) func() []byte {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	done := make(chan []byte, 1)
	go func() {
		f, err := os.Open(path) // blocks until a writer opens it
		if err != nil {
			done <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		done <- b
	}()
	return func() []byte {
		// If the CLI never opened the FIFO, open and close it here so that
		// the reader sees end of file.
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		select {
		case b := <-done:
			return b
		case <-time.After(20 * time.Second):
			t.Fatal("the FIFO reader did not finish")
			return nil
		}
	}
}

// Defect 1: --buffer releases nothing before the signature verified, to
// any destination that is not a regular file.
func TestBufferHoldsOutputForAnyDestination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("buffered plaintext. ", 20000) // 400 kB: many frames and bufio flushes
	bad := signedTampered(t, e, plain)

	t.Run("fifo", func(t *testing.T) {
		fifo := e.path("out.fifo")
		wait := readFIFO(t, fifo)
		e.fails(1, "signature", "", args("-d", "--buffer", "-i", bad, "-o", fifo, "-S", e.aesKey()))
		if got := wait(); len(got) != 0 {
			t.Fatalf("--buffer -o FIFO released %d bytes before the signature failed", len(got))
		}
		// The good message still comes through the FIFO.
		wait = readFIFO(t, e.path("good.fifo"))
		e.ok("", args("-d", "--buffer", "-i", e.path("signed.enc"), "-o", e.path("good.fifo"), "-S", e.aesKey()))
		if got := wait(); string(got) != plain {
			t.Fatalf("--buffer -o FIFO of a good message: got %d bytes, want %d", len(got), len(plain))
		}
	})
	t.Run("dev-fd", func(t *testing.T) {
		if _, err := os.Stat("/dev/fd/0"); err != nil {
			t.Skip("no /dev/fd on this system")
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(pr); got <- b }()
		e.fails(1, "signature", "", args("-d", "--buffer", "-i", bad, "-o", "/dev/fd/"+strconv.Itoa(int(pw.Fd())), "-S", e.aesKey()))
		pw.Close()
		if b := <-got; len(b) != 0 {
			t.Fatalf("--buffer -o /dev/fd/N released %d bytes before the signature failed", len(b))
		}
	})
}

// Defect 2: the hint after a failed decryption says whether, and how much,
// output went out.
func TestFailureHintSaysWhatWasWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("unverified? ", 30000) // 360 kB
	bad := signedTampered(t, e, plain)
	e.write("short.enc", e.read("signed.enc")[:len(e.read("signed.enc"))/2])
	short := e.path("short.enc")

	for _, in := range []string{bad, short} {
		name := filepath.Base(in)
		// To stdout without --buffer: frames went out before the failure.
		r := e.run("", args("-d", "-i", in, "-o", "-", "-S", e.aesKey()))
		if r.code != 1 || len(r.stdout) == 0 {
			t.Fatalf("%s to stdout: exit %d with %d bytes out; want exit 1 after some output", name, r.code, len(r.stdout))
		}
		want := fmt.Sprintf("hint: %d bytes of unverified output were written to stdout; discard them", len(r.stdout))
		if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "no output was written") {
			t.Fatalf("%s to stdout: stderr lacks %q or claims no output:\n%s", name, want, r.stderr)
		}
		// With --buffer, and to a regular file, nothing went out: say so.
		r = e.fails(1, "hint: the message", "", args("-d", "--buffer", "-i", in, "-o", "-", "-S", e.aesKey()))
		if r.stdout != "" || !strings.Contains(r.stderr, "no output was written") {
			t.Fatalf("%s --buffer to stdout: %d bytes out, stderr:\n%s", name, len(r.stdout), r.stderr)
		}
		r = e.fails(1, "no output was written", "", args("-d", "-i", in, "-o", e.path("x.out"), "-S", e.aesKey()))
		if e.exists("x.out") || strings.Contains(r.stderr, "unverified output") {
			t.Fatalf("%s to a file: output left, or stderr says it was written:\n%s", name, r.stderr)
		}
		// To a FIFO without --buffer, the hint names it.
		fifo := e.path(name + ".fifo")
		wait := readFIFO(t, fifo)
		r = e.run("", args("-d", "-i", in, "-o", fifo, "-S", e.aesKey()))
		got := wait()
		want = fmt.Sprintf("%d bytes of unverified output were written to %s; discard them", len(got), fifo)
		if r.code != 1 || len(got) == 0 || !strings.Contains(r.stderr, want) {
			t.Fatalf("%s to a FIFO: exit %d, %d bytes read, stderr lacks %q:\n%s", name, r.code, len(got), want, r.stderr)
		}
	}
}
