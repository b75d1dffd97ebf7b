// Package cli holds encrypt-cli's user-visible behaviour as testscript
// transcripts (testdata/*.txtar): the README's examples with local keys,
// errors and their hints, and exit statuses. TestMain builds the CLI once
// and puts it on PATH.
package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// binDir holds the encrypt-cli binary built by TestMain.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "encrypt-cli-testscript-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Built in the library's module (the repository root), as a user
	// builds it.
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "encrypt-cli"), "./cmd/encrypt-cli")
	build.Dir = filepath.Join("..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building encrypt-cli:", err)
		return 1
	}
	binDir = dir
	return m.Run()
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", binDir+string(os.PathListSeparator)+e.Getenv("PATH"))
			e.Setenv("HOME", e.WorkDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":    cmdExits,
			"rsakey":   cmdRSAKey,
			"genfile":  cmdGenFile,
			"flipbyte": cmdFlipByte,
			"truncate": cmdTruncate,
		},
	})
}

// exits N PROGRAM [ARGS...] runs PROGRAM (with the stdin set by "stdin")
// and fails unless it exits with status N; stdout and stderr are then
// checked with "stdout" and "stderr" as after "exec".
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// rsakey PRIVATE PUBLIC writes a new 2048-bit RSA key pair as PEM
// (PKCS #8 and PKIX).
func cmdRSAKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: rsakey private.pem public.pem")
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	ts.Check(err)
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	ts.Check(err)
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644))
}

// genfile NAME SIZE writes SIZE bytes of text.
func cmdGenFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: genfile name size")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdef\n"[i%17]
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// flipbyte FILE OFFSET flips the low bit of one byte; a negative OFFSET
// counts from the end (-1 is the last byte).
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte file offset")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(b)
	}
	if off < 0 || off >= len(b) {
		ts.Fatalf("flipbyte: offset %s outside %d bytes", args[1], len(b))
	}
	b[off] ^= 1
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// truncate FILE N keeps the first N bytes; a negative N drops -N bytes
// from the end.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate file n")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	if n < 0 {
		n += len(b)
	}
	if n < 0 || n > len(b) {
		ts.Fatalf("truncate: %s outside %d bytes", args[1], len(b))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b[:n], 0o644))
}
