package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/pkcs11"
	"github.com/go-esdk/esdk/pkcs11/softhsmtest"
)

// These tests build the binary and run it as a user would, against a
// SoftHSM2 token initialised by TestMain (the token store is a directory
// that the child processes find through SOFTHSM2_CONF).

const (
	tokenLabel = "esdk-cli-bin"
	userPIN    = "2468-user"
	pinEnv     = "ESDK_TEST_HSM_PIN"
)

var softhsmLib, skipReason, binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := softhsmtest.Library(); err != nil {
		skipReason = err.Error()
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "esdk-cli-pkcs11")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if softhsmLib, err = softhsmtest.Setup(dir, softhsmtest.Token{Label: tokenLabel, SOPIN: "1357-so", UserPIN: userPIN}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binary = filepath.Join(dir, "encrypt-cli-pkcs11")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building encrypt-cli-pkcs11:", err)
		return 1
	}
	return m.Run()
}

var bg = context.Background()

// token opens the test token for provisioning keys.
func token(t *testing.T) *pkcs11.Token {
	t.Helper()
	if softhsmLib == "" {
		t.Skip(skipReason)
	}
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: tokenLabel, PIN: userPIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return tok
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the binary in dir with the PIN variable set to pin.
func runCLI(t *testing.T, dir, pin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), pinEnv+"="+pin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s: %v", binary, err)
		}
		code = ee.ExitCode()
	}
	return result{code, out.String(), errb.String()}
}

func hsmGroup(key, name string, extra ...string) []string {
	return append([]string{"-w", "provider=pkcs11", "module=" + softhsmLib, "token=" + tokenLabel, "key=" + key, "pin-env=" + pinEnv, "namespace=hsm", "name=" + name}, extra...)
}

func args(parts ...any) []string {
	var a []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			a = append(a, p)
		case []string:
			a = append(a, p...)
		}
	}
	return a
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTripMultiKeyring encrypts a file to a token AES key (imported
// from known bytes, non-extractable) and a raw AES key in one multi-keyring,
// and decrypts it with either alone; the raw AES key holding the token
// key's bytes decrypts the token key's data key too.
func TestRoundTripMultiKeyring(t *testing.T) {
	tok := token(t)
	tokenKey := make([]byte, 32)
	rand.Read(tokenKey)
	ref := pkcs11.KeyRef{Label: "bin-aes"}
	if err := tok.ImportAESKey(bg, ref, tokenKey); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.DestroyKeys(bg, ref) })

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := make([]byte, 32)
	rand.Read(other)
	otherFile := write("other.b64", []byte(base64.StdEncoding.EncodeToString(other)+"\n"))
	sameFile := write("same.b64", []byte(base64.StdEncoding.EncodeToString(tokenKey)+"\n"))
	pt := []byte("wrapped by a key that never leaves the token\n")
	write("plain.txt", pt)
	rawOther := []string{"-w", "provider=raw-aes", "key=local", "namespace=disk", "key-file=" + otherFile}

	r := runCLI(t, dir, userPIN, args("-e", "-i", "plain.txt", "-o", "msg.enc", "-S", "-c", "purpose=hsm-test", hsmGroup("bin-aes", "k1"), rawOther)...)
	if r.code != 0 {
		t.Fatalf("encrypt: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, c := range []struct {
		what string
		keys []string
	}{
		{"the token key", hsmGroup("bin-aes", "k1")},
		{"the other raw AES key", rawOther},
		{"a raw AES key with the token key's bytes", []string{"-w", "provider=raw-aes", "key=k1", "namespace=hsm", "key-file=" + sameFile}},
	} {
		os.Remove(filepath.Join(dir, "msg.dec"))
		r := runCLI(t, dir, userPIN, args("-d", "-i", "msg.enc", "-o", "msg.dec", "-S", "-c", "purpose=hsm-test", c.keys)...)
		if r.code != 0 {
			t.Fatalf("decrypt with %s: exit %d, stderr %q", c.what, r.code, r.stderr)
		}
		if got := readFile(t, filepath.Join(dir, "msg.dec")); !bytes.Equal(got, pt) {
			t.Fatalf("decrypt with %s: %q, want %q", c.what, got, pt)
		}
	}

	// The reverse: a message wrapped by the raw AES keyring with the same
	// bytes decrypts with the token key.
	r = runCLI(t, dir, userPIN, "-e", "-i", "plain.txt", "-o", "raw.enc", "-S", "-w", "provider=raw-aes", "key=k1", "namespace=hsm", "key-file="+sameFile)
	if r.code != 0 {
		t.Fatalf("encrypt with raw AES: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, dir, userPIN, args("-d", "-i", "raw.enc", "-o", "raw.dec", "-S", hsmGroup("bin-aes", "k1"))...)
	if r.code != 0 || !bytes.Equal(readFile(t, filepath.Join(dir, "raw.dec")), pt) {
		t.Fatalf("decrypt raw AES message with the token key: exit %d, stderr %q", r.code, r.stderr)
	}

	// A key that wrapped nothing in the message does not decrypt it.
	r = runCLI(t, dir, userPIN, args("-d", "-i", "raw.enc", "-o", "wrong.dec", "-S", rawOther)...)
	if r.code != 1 {
		t.Errorf("decrypt with an unrelated key: exit %d, want 1; stderr %q", r.code, r.stderr)
	}
}

// TestRSARoundTrip encrypts to an RSA key pair generated on the token
// (OAEP-SHA1, which SoftHSM2 offers) and decrypts with it.
func TestRSARoundTrip(t *testing.T) {
	tok := token(t)
	ref := pkcs11.KeyRef{Label: "bin-rsa"}
	if err := tok.GenerateRSAKeyPair(bg, ref, 2048); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.DestroyKeys(bg, ref) })
	dir := t.TempDir()
	pt := []byte("RSA on the token\n")
	if err := os.WriteFile(filepath.Join(dir, "p.txt"), pt, 0o600); err != nil {
		t.Fatal(err)
	}
	key := hsmGroup("bin-rsa", "r1", "padding=oaep-sha1")
	if r := runCLI(t, dir, userPIN, args("-e", "-i", "p.txt", "-o", "p.enc", "-S", key)...); r.code != 0 {
		t.Fatalf("encrypt: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, userPIN, args("-d", "-i", "p.enc", "-o", "p.dec", "-S", key)...); r.code != 0 {
		t.Fatalf("decrypt: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "p.dec")); !bytes.Equal(got, pt) {
		t.Fatalf("decrypted %q, want %q", got, pt)
	}
}

// TestErrors checks that a wrong PIN and a missing module path each end
// the command with exit status 1 and a message saying what is wrong,
// without the PIN in it.
func TestErrors(t *testing.T) {
	tok := token(t)
	ref := pkcs11.KeyRef{Label: "bin-aes-err"}
	if err := tok.GenerateAESKey(bg, ref, 256); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.DestroyKeys(bg, ref) })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	const wrongPIN = "0000-wrong"
	missing := filepath.Join(dir, "no-such-pkcs11.so")
	for _, c := range []struct {
		what, pin string
		key       []string
		want      []string
	}{
		{"wrong PIN", wrongPIN, hsmGroup("bin-aes-err", "n"), []string{"wrong PIN"}},
		{"missing module", userPIN, []string{"-w", "provider=pkcs11", "module=" + missing, "token=" + tokenLabel, "key=bin-aes-err", "pin-env=" + pinEnv, "namespace=hsm", "name=n"},
			[]string{"PKCS #11 module not available", missing, "hint: module="}},
		{"missing key", userPIN, hsmGroup("no-such-key", "n"), []string{"key not found"}},
	} {
		r := runCLI(t, dir, c.pin, args("-e", "-i", "p.txt", "-o", "p.enc", "-S", c.key)...)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1; stderr %q", c.what, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q does not say %q", c.what, r.stderr, w)
			}
		}
		if strings.Contains(r.stderr+r.stdout, c.pin) {
			t.Errorf("%s: the PIN is in the output: %q", c.what, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "p.enc")); err == nil {
			t.Errorf("%s: an output file was written", c.what)
		}
	}
}
