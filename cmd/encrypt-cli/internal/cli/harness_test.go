package cli

// An in-process test harness: each test runs the CLI's run function with
// its own temporary directory, stdin, stdout and stderr, the way a
// testscript would run the binary.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type cliEnv struct {
	t   *testing.T
	dir string
}

type cliResult struct {
	code           int
	stdout, stderr string
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func testRSAKey(t *testing.T) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

// aesKeyB64 is the base64 AES-256 key written to aes.key in every env.
var aesKeyB64 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x42}, 32))

func newEnv(t *testing.T) *cliEnv {
	t.Helper()
	e := &cliEnv{t: t, dir: t.TempDir()}
	e.write("aes.key", aesKeyB64+"\n")
	e.write("other.key", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x17}, 32))+"\n")
	return e
}

// path returns the absolute path of a file in the env's directory.
func (e *cliEnv) path(name string) string { return filepath.Join(e.dir, filepath.FromSlash(name)) }

func (e *cliEnv) write(name, content string) string {
	e.t.Helper()
	p := e.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *cliEnv) read(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.path(name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *cliEnv) exists(name string) bool {
	_, err := os.Lstat(e.path(name))
	return err == nil
}

// writeRSA writes the test RSA key as private.pem (PKCS #8),
// private-pkcs1.pem and public.pem.
func (e *cliEnv) writeRSA() {
	k := testRSAKey(e.t)
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	e.write("private.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})))
	e.write("private-pkcs1.pem", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})))
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	e.write("public.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
}

// aesKey returns the -w group of the env's AES key.
func (e *cliEnv) aesKey() []string {
	return []string{"-w", "provider=raw-aes", "key=k1", "namespace=test", "key-file=" + e.path("aes.key")}
}

func (e *cliEnv) rsaKey(file, padding string) []string {
	return []string{"-w", "provider=raw-rsa", "key=r1", "namespace=test-rsa", "key-file=" + e.path(file), "padding=" + padding}
}

// run runs the CLI with args; names in args are used as given.
func (e *cliEnv) run(stdin string, parts ...any) cliResult {
	e.t.Helper()
	args := args(parts...)
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs the CLI and fails the test unless it exits 0.
func (e *cliEnv) ok(stdin string, parts ...any) cliResult {
	e.t.Helper()
	args := args(parts...)
	r := e.run(stdin, args)
	if r.code != 0 {
		e.t.Fatalf("encrypt-cli %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// fails runs the CLI and fails the test unless it exits with code and
// stderr contains want.
func (e *cliEnv) fails(code int, want, stdin string, parts ...any) cliResult {
	e.t.Helper()
	args := args(parts...)
	r := e.run(stdin, args)
	if r.code != code {
		e.t.Fatalf("encrypt-cli %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		e.t.Fatalf("encrypt-cli %s: stderr does not contain %q:\n%s", strings.Join(args, " "), want, r.stderr)
	}
	return r
}

// noTempFiles fails if a temporary output file is left in dir.
func (e *cliEnv) noTempFiles() {
	e.t.Helper()
	filepath.Walk(e.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.Contains(fi.Name(), ".encrypt-cli-") {
			e.t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func args(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case []string:
			out = append(out, p...)
		default:
			panic(p)
		}
	}
	return out
}

// metaLines parses JSON metadata lines.
func metaLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metadata line is not JSON: %v\n%s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// field walks a path of object keys.
func field(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}
