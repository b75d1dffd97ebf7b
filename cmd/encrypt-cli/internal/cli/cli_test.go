package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
)

func TestRoundTripRawAES(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("attack at dawn\n", 1000)
	e.write("msg.txt", plain)
	e.ok("", args("-e", "-i", e.path("msg.txt"), "-o", e.path("msg.enc"), "-S", e.aesKey()))
	if strings.Contains(e.read("msg.enc"), "attack") {
		t.Fatal("ciphertext contains plaintext")
	}
	e.ok("", args("-d", "-i", e.path("msg.enc"), "-o", e.path("msg.out"), "-S", e.aesKey()))
	if e.read("msg.out") != plain {
		t.Fatal("round trip changed the plaintext")
	}
	// The wrong key fails, with a hint, and writes nothing.
	other := []string{"-w", "provider=raw-aes", "key=k1", "namespace=test", "key-file=" + e.path("other.key")}
	e.fails(1, "hint:", "", args("-d", "-i", e.path("msg.enc"), "-o", e.path("wrong.out"), "-S", other))
	if e.exists("wrong.out") {
		t.Fatal("a failed decryption left an output file")
	}
	// The wrong key name or namespace finds no key.
	e.fails(1, "no encrypted data key could be decrypted", "", args("-d", "-i", e.path("msg.enc"), "-o", e.path("wrong.out"), "-S",
		"-w", "provider=raw-aes", "key=k2", "namespace=test", "key-file="+e.path("aes.key")))
	e.noTempFiles()
}

func TestAESKeyFileFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "hello")
	for _, n := range []int{16, 24, 32} {
		key := bytes.Repeat([]byte{0xa5}, n) // not base64 text: raw
		raw := e.write(fmt.Sprintf("raw%d.key", n), string(key))
		b64 := e.write(fmt.Sprintf("b64-%d.key", n), base64.StdEncoding.EncodeToString(key)+"\n")
		b64NoNL := e.write(fmt.Sprintf("b64nonl-%d.key", n), base64.RawStdEncoding.EncodeToString(key))
		w := func(f string) []string {
			return []string{"-w", "provider=raw-aes", "key=k", "namespace=n", "key-file=" + f}
		}
		e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", w(raw)))
		// The same key in base64 decrypts what the raw key encrypted.
		e.ok("", args("-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", w(b64)))
		if n != 24 { // unpadded base64 of 24 bytes is 32 characters: ambiguous, see below
			e.ok("", args("-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", w(b64NoNL)))
		}
	}
	// 24 characters of base64 text with no newline is both a raw AES-192 key
	// and the base64 of an AES-128 key: refused, not guessed.
	amb := e.write("amb.key", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16)))
	r := e.fails(1, "ambiguous", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "-S",
		"-w", "provider=raw-aes", "key=k", "namespace=n", "key-file="+amb))
	if strings.Contains(r.stderr, e.read("amb.key")) {
		t.Fatal("error message prints key material")
	}
	e.fails(1, "neither a 16, 24 or 32-byte AES key", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "-S",
		"-w", "provider=raw-aes", "key=k", "namespace=n", "key-file="+e.write("bad.key", "short")))
	e.fails(1, "no such file", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "-S",
		"-w", "provider=raw-aes", "key=k", "namespace=n", "key-file="+e.path("missing.key")))
}

func TestRoundTripRawRSA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeRSA()
	plain := strings.Repeat("rsa wrapped\n", 300)
	e.write("msg.txt", plain)
	for _, pad := range []string{"pkcs1", "oaep-sha1", "oaep-sha256", "oaep-sha384", "oaep-sha512"} {
		t.Run(pad, func(t *testing.T) {
			enc, out := "msg."+pad+".enc", "msg."+pad+".out"
			// A public key encrypts; the private key (PKCS #8 or PKCS #1) decrypts.
			e.ok("", args("-e", "-i", e.path("msg.txt"), "-o", e.path(enc), "-S", e.rsaKey("public.pem", pad)))
			e.ok("", args("-d", "-i", e.path(enc), "-o", e.path(out), "-S", e.rsaKey("private.pem", pad)))
			if e.read(out) != plain {
				t.Fatal("round trip changed the plaintext")
			}
			e.ok("", args("-d", "-i", e.path(enc), "-o", e.path(out), "-S", e.rsaKey("private-pkcs1.pem", pad)))
		})
	}
	// A private key encrypts too.
	e.ok("", args("-e", "-i", e.path("msg.txt"), "-o", e.path("priv.enc"), "-S", e.rsaKey("private.pem", "oaep-sha256")))
	// A public key cannot decrypt.
	r := e.fails(1, "only a public key", "", args("-d", "-i", e.path("priv.enc"), "-o", e.path("pub.out"), "-S", e.rsaKey("public.pem", "oaep-sha256")))
	if e.exists("pub.out") {
		t.Fatal("output written by a failed decryption")
	}
	if strings.Contains(r.stderr, "PRIVATE KEY") || strings.Contains(r.stderr, "MII") {
		t.Fatal("error message prints key material")
	}
	// The wrong padding fails.
	e.fails(1, "error:", "", args("-d", "-i", e.path("priv.enc"), "-o", e.path("pad.out"), "-S", e.rsaKey("private.pem", "oaep-sha512")))
	// DER and base64 of DER work as key files.
	der, _ := os.ReadFile(e.path("private.pem"))
	e.write("private.der.b64", base64.StdEncoding.EncodeToString(pemBytes(t, der))+"\n")
	e.ok("", args("-d", "-i", e.path("priv.enc"), "-o", e.path("der.out"), "-S", e.rsaKey("private.der.b64", "oaep-sha256")))
	if e.read("der.out") != plain {
		t.Fatal("round trip with a DER key changed the plaintext")
	}
	e.fails(1, "holds no RSA key", "", args("-e", "-i", e.path("msg.txt"), "-o", e.path("x.enc"), "-S", e.rsaKey("aes.key", "pkcs1")))
}

func TestMultiKeyring(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeRSA()
	e.write("m.txt", "two keys")
	other := []string{"-w", "provider=raw-aes", "key=k9", "namespace=zzz", "key-file=" + e.path("other.key")}
	r := e.ok("", args("-e", "-i", e.path("m.txt"), "-o", e.path("m.enc"), "--metadata-output", "-", e.aesKey(), e.rsaKey("public.pem", "oaep-sha256"), other))
	edks := field(metaLines(t, r.stdout)[0], "header", "encrypted_data_keys").([]any)
	if len(edks) != 3 {
		t.Fatalf("%d encrypted data keys, want 3", len(edks))
	}
	// Sorted by provider ID + key info, as the Python CLI sorts them.
	var ids []string
	for _, k := range edks {
		b, _ := base64.StdEncoding.DecodeString(field(k.(map[string]any), "key_provider", "provider_id").(string))
		ids = append(ids, string(b))
	}
	// "test-rsa"+"r1" sorts before "test"+"k1...": '-' < 'k'.
	if !slices.Equal(ids, []string{"test-rsa", "test", "zzz"}) {
		t.Fatalf("provider IDs %v", ids)
	}
	// Each key alone decrypts.
	for i, w := range [][]string{e.aesKey(), e.rsaKey("private.pem", "oaep-sha256"), other} {
		out := fmt.Sprintf("m%d.out", i)
		e.ok("", args("-d", "-i", e.path("m.enc"), "-o", e.path(out), "-S", w))
		if e.read(out) != "two keys" {
			t.Fatal("wrong plaintext")
		}
	}
}

func TestDirectoriesRecursive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("in/a.txt", "A")
	e.write("in/sub/b.txt", "B")
	e.write("in/sub/deeper/c.txt", "C")
	e.write("in/.hidden", "H") // os.walk lists dotfiles
	os.Mkdir(e.path("enc"), 0o755)
	os.Mkdir(e.path("dec"), 0o755)

	// Without -r a directory is skipped with a warning, and that is success.
	r := e.ok("", args("-e", "-i", e.path("in"), "-o", e.path("enc"), "-S", e.aesKey()))
	if !strings.Contains(r.stderr, "-r/-R/--recursive is not set") {
		t.Fatalf("no warning for a skipped directory:\n%s", r.stderr)
	}
	// A directory source needs an existing directory destination.
	e.fails(1, "destination must be an existing directory", "", args("-e", "-r", "-i", e.path("in"), "-o", e.path("nowhere"), "-S", e.aesKey()))

	e.ok("", args("-e", "-r", "-i", e.path("in"), "-o", e.path("enc"), "-S", e.aesKey()))
	for _, f := range []string{"enc/a.txt.encrypted", "enc/sub/b.txt.encrypted", "enc/sub/deeper/c.txt.encrypted", "enc/.hidden.encrypted"} {
		if !e.exists(f) {
			t.Errorf("%s missing", f)
		}
	}
	// Decrypting appends .decrypted (the Python CLI's naming).
	e.ok("", args("-d", "-R", "-i", e.path("enc"), "-o", e.path("dec"), "-S", e.aesKey()))
	if got := e.read("dec/sub/deeper/c.txt.encrypted.decrypted"); got != "C" {
		t.Fatalf("got %q", got)
	}
	// --suffix with a value, and with none (empty suffix).
	os.Mkdir(e.path("dec2"), 0o755)
	e.ok("", args("-d", "--recursive", "-i", e.path("enc"), "-o", e.path("dec2"), "--suffix", ".plain", "-S", e.aesKey()))
	if e.read("dec2/a.txt.encrypted.plain") != "A" {
		t.Fatal("--suffix .plain")
	}
	os.Mkdir(e.path("dec3"), 0o755)
	e.ok("", args("-d", "-r", "-i", e.path("enc"), "-o", e.path("dec3"), "-S", "--suffix", e.aesKey()))
	if e.read("dec3/sub/b.txt.encrypted") != "B" {
		t.Fatal("empty --suffix")
	}
	// A single file into a directory.
	os.Mkdir(e.path("one"), 0o755)
	e.ok("", args("-e", "-i", e.path("in/a.txt"), "-o", e.path("one"), "-S", e.aesKey()))
	if !e.exists("one/a.txt.encrypted") {
		t.Fatal("file into directory: wrong name")
	}
	// A file into its own directory with an empty suffix is skipped.
	r = e.ok("", args("-e", "-i", e.path("in/a.txt"), "-o", e.path("in"), "--suffix", "-S", e.aesKey()))
	if !strings.Contains(r.stderr, "are the same") || e.read("in/a.txt") != "A" {
		t.Fatalf("same source and destination:\n%s", r.stderr)
	}
	// The output directory inside the input tree is not walked.
	e.write("tree/x.txt", "X")
	os.Mkdir(e.path("tree/out"), 0o755)
	e.write("tree/out/old.encrypted", "old")
	r = e.ok("", args("-e", "-r", "-i", e.path("tree"), "-o", e.path("tree/out"), "-S", e.aesKey()))
	if e.exists("tree/out/out/old.encrypted.encrypted") || !e.exists("tree/out/x.txt.encrypted") {
		t.Fatalf("output directory walked as input:\n%s", r.stderr)
	}
	e.noTempFiles()
}

func TestGlobs(t *testing.T) {
	// Relative patterns: run in the env's directory.
	e := newEnv(t)
	t.Chdir(e.dir)
	e.write("a.txt", "a")
	e.write("b.txt", "b")
	e.write(".dot.txt", "dot")
	e.write("c.log", "c")
	e.write("x1.txt", "x")
	os.Mkdir("out", 0o755)
	e.ok("", args("-e", "-i", "*.txt", "-o", "out", "-S", e.aesKey()))
	got, _ := filepath.Glob(e.path("out/*"))
	for i := range got {
		got[i] = filepath.Base(got[i])
	}
	// Python's glob: '*' does not match dotfiles.
	want := []string{"a.txt.encrypted", "b.txt.encrypted", "x1.txt.encrypted"}
	if !slices.Equal(got, want) {
		t.Fatalf("outputs %v, want %v", got, want)
	}
	os.Mkdir("out2", 0o755)
	e.ok("", args("-e", "-i", "[!ab]*.txt", "-o", "out2", "-S", e.aesKey()))
	if !e.exists("out2/x1.txt.encrypted") || e.exists("out2/a.txt.encrypted") {
		t.Fatal("[!ab] negation")
	}
	os.Mkdir("out3", 0o755)
	e.ok("", args("-e", "-i", ".*.txt", "-o", "out3", "-S", e.aesKey()))
	if !e.exists("out3/.dot.txt.encrypted") {
		t.Fatal("a pattern starting with . matches dotfiles")
	}
	// Several matches need a directory; no match is an error.
	e.fails(1, "If operating on multiple sources, destination must be an existing directory", "", args("-e", "-i", "*.txt", "-o", "one.enc", "-S", e.aesKey()))
	e.fails(1, "Invalid source", "", args("-e", "-i", "*.nothing", "-o", "out", "-S", e.aesKey()))
	// A relative output file in the current directory.
	e.ok("", args("-e", "-i", "c.log", "-o", "c.log.enc", "-S", e.aesKey()))
	e.ok("", args("-d", "-i", "c.log.enc", "-o", "c.log.dec", "-S", e.aesKey()))
	if e.read("c.log.dec") != "c" {
		t.Fatal("relative paths")
	}
	// The parent of an output file must exist.
	e.fails(1, "immediate parent directory must already exist", "", args("-e", "-i", "c.log", "-o", "missing/c.enc", "-S", e.aesKey()))
	// A file literally named with glob characters.
	e.write("br[1].txt", "brackets")
	e.ok("", args("-e", "-i", "br[1].txt", "-o", "br.enc", "-S", e.aesKey()))
}

func TestStdinStdout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := "from stdin\x00\xff binary"
	enc := e.ok(plain, args("-e", "-i", "-", "-o", "-", "-S", e.aesKey())).stdout
	if !bytes.HasPrefix([]byte(enc), []byte{0x02, 0x05, 0x78}) {
		t.Fatalf("stdout does not start with a v2 0x0578 header: % x", enc[:3])
	}
	dec := e.ok(enc, args("-d", "-i", "-", "-o", "-", "-S", e.aesKey())).stdout
	if dec != plain {
		t.Fatalf("got %q", dec)
	}
	// stdin to a file, file to stdout.
	e.ok(plain, args("-e", "-i", "-", "-o", e.path("s.enc"), "-S", e.aesKey()))
	if got := e.ok("", args("-d", "-i", e.path("s.enc"), "-o", "-", "-S", e.aesKey())).stdout; got != plain {
		t.Fatalf("got %q", got)
	}
	os.Mkdir(e.path("d"), 0o755)
	e.fails(1, "Destination may not be a directory when source is stdin", "x", args("-e", "-i", "-", "-o", e.path("d"), "-S", e.aesKey()))
	// Metadata cannot share stdout with the output.
	e.fails(1, "Metadata output cannot be stdout when output is stdout", "x", args("-e", "-i", "-", "-o", "-", "--metadata-output", "-", e.aesKey()))
	// Writing into a device writes through it rather than replacing it.
	if _, err := os.Stat(os.DevNull); err == nil {
		e.ok(plain, args("-e", "-i", "-", "-o", os.DevNull, "-S", "-q", e.aesKey()))
		if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
			t.Fatal(os.DevNull + " was replaced")
		}
	}
	// A device as input (the Python CLI silently skips it).
	e.ok("", args("-e", "-i", os.DevNull, "-o", e.path("null.enc"), "-S", e.aesKey()))
	if got := e.ok("", args("-d", "-i", e.path("null.enc"), "-o", "-", "-S", e.aesKey())).stdout; got != "" {
		t.Fatalf("got %q", got)
	}
	// An empty input round-trips.
	empty := e.ok("", args("-e", "-i", "-", "-o", "-", "-S", e.aesKey())).stdout
	if got := e.ok(empty, args("-d", "-i", "-", "-o", "-", "-S", e.aesKey())).stdout; got != "" {
		t.Fatalf("got %q", got)
	}
}

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("base64 me ", 500)
	enc := e.ok(plain, args("-e", "-i", "-", "-o", "-", "--encode", "-S", e.aesKey())).stdout
	// base64io: standard alphabet with padding, no line breaks, no final newline.
	if strings.ContainsAny(enc, "\r\n") {
		t.Fatal("--encode wrote line breaks")
	}
	if !strings.HasPrefix(enc, "AgV4") {
		t.Fatalf("unexpected encoding %q", enc[:8])
	}
	if _, err := base64.StdEncoding.DecodeString(enc); err != nil {
		t.Fatal(err)
	}
	// --decode ignores every ASCII whitespace character.
	var mangled strings.Builder
	for i, c := range enc {
		mangled.WriteRune(c)
		if i%60 == 59 {
			mangled.WriteString("\r\n \t\v\f")
		}
	}
	if got := e.ok(mangled.String()+"\n", args("-d", "-i", "-", "-o", "-", "--decode", "-S", e.aesKey())).stdout; got != plain {
		t.Fatal("--decode round trip")
	}
	// Both at once.
	enc2 := e.ok(enc, args("-d", "-i", "-", "-o", "-", "--decode", "--encode", "-S", e.aesKey())).stdout
	if enc2 != base64.StdEncoding.EncodeToString([]byte(plain)) {
		t.Fatal("--decode --encode")
	}
	// Base64 input without --decode: a hint.
	e.fails(1, "did you mean --decode?", enc, args("-d", "-i", "-", "-o", "-", "-S", e.aesKey()))
	// Invalid base64 fails.
	e.fails(1, "error:", "AgV4!!!!", args("-d", "-i", "-", "-o", "-", "--decode", "-S", e.aesKey()))
	// Files too.
	e.write("f.txt", plain)
	e.ok("", args("-e", "-i", e.path("f.txt"), "-o", e.path("f.b64"), "--encode", "-S", e.aesKey()))
	e.ok("", args("-d", "-i", e.path("f.b64"), "-o", e.path("f.out"), "--decode", "-S", e.aesKey()))
	if e.read("f.out") != plain {
		t.Fatal("file --encode/--decode")
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("in.txt", "metadata")
	meta := e.path("meta.jsonl")
	r := e.ok("", args("-e", "-i", e.path("in.txt"), "-o", e.path("in.enc"), "--metadata-output", meta, "-c", "purpose=test", "who=me", e.aesKey()))
	if r.stdout != "" {
		t.Fatal("metadata to a file wrote to stdout")
	}
	e.ok("", args("-d", "-i", e.path("in.enc"), "-o", e.path("in.out"), "--metadata-output", meta, "-c", "purpose=test", e.aesKey()))
	lines := metaLines(t, e.read("meta.jsonl"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (appended)", len(lines))
	}
	enc, dec := lines[0], lines[1]
	check := func(m map[string]any, path []string, want any) {
		t.Helper()
		if got := field(m, path...); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", strings.Join(path, "."), got, want)
		}
	}
	check(enc, []string{"mode"}, "encrypt")
	check(enc, []string{"input"}, e.path("in.txt"))
	check(enc, []string{"output"}, e.path("in.enc"))
	check(dec, []string{"mode"}, "decrypt")
	check(dec, []string{"input"}, e.path("in.enc"))
	check(dec, []string{"output"}, e.path("in.out"))
	for _, m := range []map[string]any{enc, dec} {
		check(m, []string{"header", "version"}, "2.0")
		check(m, []string{"header", "type"}, nil)
		check(m, []string{"header", "algorithm"}, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384")
		check(m, []string{"header", "content_type"}, 2)
		check(m, []string{"header", "frame_length"}, 4096)
		check(m, []string{"header", "header_iv_length"}, nil)
		check(m, []string{"header", "encryption_context", "purpose"}, "test")
		check(m, []string{"header", "encryption_context", "who"}, "me")
		if field(m, "header", "encryption_context", "aws-crypto-public-key") == nil {
			t.Error("no aws-crypto-public-key in the encryption context")
		}
		if ck, _ := base64.StdEncoding.DecodeString(fmt.Sprint(field(m, "header", "commitment_key"))); len(ck) != 32 {
			t.Error("commitment_key is not 32 bytes of base64")
		}
		if id, _ := base64.StdEncoding.DecodeString(fmt.Sprint(field(m, "header", "message_id"))); len(id) != 32 {
			t.Error("message_id is not 32 bytes of base64")
		}
		edk := field(m, "header", "encrypted_data_keys").([]any)[0].(map[string]any)
		check(edk, []string{"key_provider", "provider_id"}, base64.StdEncoding.EncodeToString([]byte("test")))
		if info, _ := base64.StdEncoding.DecodeString(fmt.Sprint(field(edk, "key_provider", "key_info"))); !bytes.HasPrefix(info, []byte("k1")) || len(info) != 2+20 {
			t.Errorf("key_info %x", info)
		}
	}
	if field(enc, "header_auth") != nil {
		t.Error("encrypt metadata has header_auth (the Python CLI has none)")
	}
	check(dec, []string{"header_auth", "iv"}, base64.StdEncoding.EncodeToString(make([]byte, 12)))
	if tag, _ := base64.StdEncoding.DecodeString(fmt.Sprint(field(dec, "header_auth", "tag"))); len(tag) != 16 {
		t.Error("header_auth.tag")
	}
	// Keys are sorted and the layout is Python's json.dumps(sort_keys=True).
	first := strings.SplitN(e.read("meta.jsonl"), "\n", 2)[0]
	if !strings.HasPrefix(first, `{"header": {"algorithm": "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", "commitment_key": "`) ||
		!strings.HasSuffix(first, `"input": "`+e.path("in.txt")+`", "mode": "encrypt", "output": "`+e.path("in.enc")+`"}`) {
		t.Errorf("layout differs from Python's:\n%s", first)
	}

	// --overwrite-metadata truncates (once per run).
	e.ok("", args("-e", "-i", e.path("in.txt"), "-o", e.path("in.enc"), "--metadata-output", meta, "--overwrite-metadata", "-q", e.aesKey()))
	if n := len(metaLines(t, e.read("meta.jsonl"))); n != 1 {
		t.Fatalf("%d lines after --overwrite-metadata, want 1", n)
	}
	// "-" writes to stdout.
	r = e.ok("", args("-e", "-i", e.path("in.txt"), "-o", e.path("in.enc"), "--metadata-output", "-", "-q", e.aesKey()))
	if len(metaLines(t, r.stdout)) != 1 {
		t.Fatal("--metadata-output - wrote no line to stdout")
	}
	// Message format 1: type 128, header_iv_length 12, the stored header IV.
	v1 := []string{"--commitment-policy", "forbid-encrypt-allow-decrypt", "--algorithm", "AES_128_GCM_IV12_TAG16_HKDF_SHA256"}
	r = e.ok("", args("-e", "-i", e.path("in.txt"), "-o", e.path("v1.enc"), "--metadata-output", "-", "-q", v1, e.aesKey()))
	m := metaLines(t, r.stdout)[0]
	check(m, []string{"header", "version"}, "1.0")
	check(m, []string{"header", "type"}, 128)
	check(m, []string{"header", "header_iv_length"}, 12)
	check(m, []string{"header", "commitment_key"}, nil)
	check(m, []string{"header", "algorithm"}, "AES_128_GCM_IV12_TAG16_HKDF_SHA256")
	r = e.ok("", args("-d", "-i", e.path("v1.enc"), "-o", e.path("v1.out"), "--metadata-output", "-", "--commitment-policy", "require-encrypt-allow-decrypt", e.aesKey()))
	m = metaLines(t, r.stdout)[0]
	if iv, _ := base64.StdEncoding.DecodeString(fmt.Sprint(field(m, "header_auth", "iv"))); len(iv) != 12 {
		t.Error("v1 header_auth.iv")
	}
	// Bad metadata destinations.
	os.Mkdir(e.path("outdir"), 0o755)
	e.fails(1, "Metadata output file cannot be in the output directory", "", args("-e", "-i", e.path("in.txt"), "-o", e.path("outdir"), "--metadata-output", e.path("outdir/m.json"), e.aesKey()))
	e.fails(1, "Metadata output cannot be a directory", "", args("-e", "-i", e.path("in.txt"), "-o", e.path("x.enc"), "--metadata-output", e.path("outdir"), e.aesKey()))
	e.fails(1, "Metadata output file cannot be the input or output", "", args("-e", "-i", e.path("in.txt"), "-o", e.path("x.enc"), "--metadata-output", e.path("in.txt"), e.aesKey()))
	// A failed operation writes no metadata line.
	e.write("junk.enc", "\x02\x05\x78junk")
	e.run("", args("-d", "-i", e.path("junk.enc"), "-o", e.path("junk.out"), "--metadata-output", e.path("fail.jsonl"), e.aesKey()))
	if e.exists("fail.jsonl") {
		t.Fatal("metadata written for a failed operation")
	}
}

func TestSuppressMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("s.txt", "quiet")
	r := e.ok("", args("-e", "-i", e.path("s.txt"), "-o", e.path("s.enc"), "-S", e.aesKey()))
	if r.stdout != "" || r.stderr != "" {
		t.Fatalf("-S: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = e.ok("", args("-e", "-i", e.path("s.txt"), "-o", e.path("s.enc"), "--suppress-metadata", "-q", e.aesKey()))
	if r.stdout != "" {
		t.Fatal("--suppress-metadata wrote metadata")
	}
	e.fails(2, "one of the arguments -S/--suppress-metadata --metadata-output is required", "", args("-e", "-i", e.path("s.txt"), "-o", e.path("s.enc"), e.aesKey()))
	e.fails(2, "not allowed with argument", "", args("-e", "-i", e.path("s.txt"), "-o", e.path("s.enc"), "-S", "--metadata-output", "-", e.aesKey()))
}

func TestOverwriteRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "new")
	enc := func(extra ...string) []string {
		return args("-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", extra, e.aesKey())
	}
	e.write("p.enc", "existing")
	r := e.ok("", enc("--no-overwrite"))
	if e.read("p.enc") != "existing" || !strings.Contains(r.stderr, `"no overwrite"`) {
		t.Fatalf("--no-overwrite replaced the file or said nothing:\n%s", r.stderr)
	}
	// --interactive: empty answer and "n" keep the file; "y" replaces it.
	for _, answer := range []string{"\n", "n\n", "No\n", ""} {
		r = e.ok(answer, enc("--interactive"))
		if e.read("p.enc") != "existing" {
			t.Fatalf("answer %q replaced the file", answer)
		}
		if !strings.Contains(r.stderr, `Overwrite existing output file "`+e.path("p.enc")+`" with new contents? [y/N]:`) {
			t.Fatalf("no prompt:\n%s", r.stderr)
		}
	}
	e.ok("yes\n", enc("--interactive"))
	if e.read("p.enc") == "existing" {
		t.Fatal(`"yes" did not replace the file`)
	}
	// By default the file is replaced, with a warning.
	e.write("p.enc", "existing")
	r = e.ok("", enc())
	if e.read("p.enc") == "existing" || !strings.Contains(r.stderr, "Overwriting existing output file") {
		t.Fatal("default overwrite")
	}
	// -q silences the warning.
	if r = e.ok("", enc("-q")); r.stderr != "" {
		t.Fatalf("-q: %s", r.stderr)
	}
	// The replaced file keeps its permissions.
	os.Chmod(e.path("p.enc"), 0o600)
	e.ok("", enc("-q"))
	if fi, _ := os.Stat(e.path("p.enc")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after overwrite", fi.Mode().Perm())
	}
	// Source and destination the same.
	e.fails(1, "Destination and source cannot be the same", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("p.txt"), "-S", e.aesKey()))
	// A symbolic link output is written through, and replacing the file
	// it names is an overwrite like any other: a warning by default,
	// skipped under --no-overwrite.
	e.write("target.enc", "old")
	os.Symlink(e.path("target.enc"), e.path("link.enc"))
	r = e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("link.enc"), "-S", "--no-overwrite", e.aesKey()))
	if e.read("target.enc") != "old" || !strings.Contains(r.stderr, "Skipping existing output file") {
		t.Fatalf("--no-overwrite through a symbolic link: %q", r.stderr)
	}
	r = e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("link.enc"), "-S", e.aesKey()))
	if fi, _ := os.Lstat(e.path("link.enc")); fi.Mode()&os.ModeSymlink == 0 || e.read("target.enc") == "old" {
		t.Fatal("symbolic link replaced instead of written through")
	}
	if !strings.Contains(r.stderr, "Overwriting existing output file") {
		t.Fatalf("no overwrite warning through a symbolic link: %q", r.stderr)
	}
	e.noTempFiles()
}

func TestDecryptEncryptionContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "context")
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", "-c", "purpose=test", "team=blue", e.aesKey()))
	dec := func(out string, meta string, ctx ...string) cliResult {
		return e.run("", args("-d", "-i", e.path("p.enc"), "-o", e.path(out), "--metadata-output", meta, "-c", ctx, e.aesKey()))
	}
	// Matching pairs and bare keys.
	if r := dec("ok.out", "-", "purpose=test", "team"); r.code != 0 || e.read("ok.out") != "context" {
		t.Fatalf("matching context failed: %s", r.stderr)
	}
	// A mismatch: exit 1, no output, an existing output untouched, a
	// metadata line that says why.
	e.write("keep.out", "precious")
	for _, c := range [][]string{{"purpose=prod"}, {"missing"}, {"purpose=test", "team=red", "other"}} {
		r := dec("keep.out", "-", c...)
		if r.code != 1 || !strings.Contains(r.stderr, "encryption context did not match") {
			t.Fatalf("-c %v: exit %d\n%s", c, r.code, r.stderr)
		}
		if e.read("keep.out") != "precious" {
			t.Fatal("a context mismatch changed the existing output")
		}
		m := metaLines(t, r.stdout)[0]
		if field(m, "skipped") != true || field(m, "reason") != "Missing encryption context key or value" {
			t.Fatalf("metadata %v", m)
		}
		if c[0] == "purpose=test" {
			if fmt.Sprint(field(m, "missing_encryption_context_keys")) != "[other]" ||
				fmt.Sprint(field(m, "missing_encryption_context_pairs")) != "[[team red]]" {
				t.Fatalf("missing keys/pairs: %v %v", field(m, "missing_encryption_context_keys"), field(m, "missing_encryption_context_pairs"))
			}
		}
	}
	if r := dec("new.out", e.path("m.jsonl"), "purpose=prod"); r.code != 1 || e.exists("new.out") {
		t.Fatal("a context mismatch created the output")
	}
	// Reserved keys cannot be set on encrypt.
	e.fails(2, "reserved prefix", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("r.enc"), "-S", "-c", "aws-crypto-public-key=x", e.aesKey()))
	e.fails(2, `must follow the format "key=value"`, "", args("-e", "-i", e.path("p.txt"), "-o", e.path("r.enc"), "-S", "-c", "novalue", e.aesKey()))
	e.noTempFiles()
}

// tamper flips one byte of a file, counted from its end.
func tamper(t *testing.T, path string, fromEnd int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-fromEnd] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("0123456789", 2000)
	e.write("p.txt", plain)
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "--frame-length", "512", "-S", e.aesKey()))
	orig := e.read("p.enc")
	for _, fromEnd := range []int{1, 200, 3000, len(orig) - 400} {
		e.write("t.enc", orig)
		tamper(t, e.path("t.enc"), fromEnd)
		// No output file is created...
		e.fails(1, "no output was written", "", args("-d", "-i", e.path("t.enc"), "-o", e.path("t.out"), "-S", e.aesKey()))
		if e.exists("t.out") {
			t.Fatalf("byte %d from the end: partial output left", fromEnd)
		}
		// ...and an existing one is kept intact.
		e.write("existing.out", "keep me")
		e.fails(1, "error:", "", args("-d", "-i", e.path("t.enc"), "-o", e.path("existing.out"), "-S", "-q", e.aesKey()))
		if e.read("existing.out") != "keep me" {
			t.Fatalf("byte %d from the end: existing output destroyed", fromEnd)
		}
	}
	// Truncated and trailing data.
	e.write("short.enc", orig[:len(orig)-50])
	e.fails(1, "incomplete", "", args("-d", "-i", e.path("short.enc"), "-o", e.path("short.out"), "-S", e.aesKey()))
	e.write("long.enc", orig+"x")
	e.fails(1, "follows the end of the message", "", args("-d", "-i", e.path("long.enc"), "-o", e.path("long.out"), "-S", e.aesKey()))
	if e.exists("short.out") || e.exists("long.out") {
		t.Fatal("output left by a failed decryption")
	}
	e.noTempFiles()
}

func TestDecryptUnsignedAndBuffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("signed? ", 3000)
	e.write("p.txt", plain)
	// The default suite is signed: --decrypt-unsigned refuses it up front.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("signed.enc"), "-S", e.aesKey()))
	r := e.fails(1, "signed", "", args("--decrypt-unsigned", "-i", e.path("signed.enc"), "-o", "-", "-S", e.aesKey()))
	if r.stdout != "" {
		t.Fatal("--decrypt-unsigned released plaintext of a signed message")
	}
	// An unsigned suite decrypts, and metadata says decrypt-unsigned.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("unsigned.enc"), "-S", "--algorithm", "AES_256_GCM_HKDF_SHA512_COMMIT_KEY", e.aesKey()))
	r = e.ok("", args("--decrypt-unsigned", "-i", e.path("unsigned.enc"), "-o", e.path("u.out"), "--metadata-output", "-", e.aesKey()))
	if e.read("u.out") != plain || field(metaLines(t, r.stdout)[0], "mode") != "decrypt-unsigned" {
		t.Fatal("--decrypt-unsigned of an unsigned message")
	}
	// --buffer: nothing reaches stdout when the signature fails.
	e.write("bad.enc", e.read("signed.enc"))
	tamper(t, e.path("bad.enc"), 1) // the signature
	r = e.fails(1, "error:", "", args("-d", "--buffer", "-i", e.path("bad.enc"), "-o", "-", "-S", e.aesKey()))
	if r.stdout != "" {
		t.Fatalf("--buffer released %d bytes before the signature failed", len(r.stdout))
	}
	if got := e.ok("", args("-d", "-b", "-i", e.path("signed.enc"), "-o", "-", "-S", e.aesKey())).stdout; got != plain {
		t.Fatal("--buffer decrypt")
	}
	// --buffer on encrypt to stdout.
	enc := e.ok(plain, args("-e", "--buffer", "-i", "-", "-o", "-", "-S", e.aesKey())).stdout
	if got := e.ok(enc, args("-d", "-i", "-", "-o", "-", "-S", e.aesKey())).stdout; got != plain {
		t.Fatal("--buffer encrypt")
	}
}

func TestFrameLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("frames ", 1000)
	e.write("p.txt", plain)
	for _, fl := range []string{"0", "1", "7", "4096", "1000000"} {
		enc := "p." + fl + ".enc"
		r := e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path(enc), "--frame-length", fl, "--metadata-output", "-", e.aesKey()))
		m := metaLines(t, r.stdout)[0]
		wantType := 2
		if fl == "0" {
			wantType = 1 // non-framed
		}
		if fmt.Sprint(field(m, "header", "content_type")) != fmt.Sprint(wantType) || fmt.Sprintf("%.0f", field(m, "header", "frame_length")) != fl {
			t.Fatalf("--frame-length %s: content_type %v frame_length %v", fl, field(m, "header", "content_type"), field(m, "header", "frame_length"))
		}
		out := "p." + fl + ".out"
		e.ok("", args("-d", "-i", e.path(enc), "-o", e.path(out), "-S", e.aesKey()))
		if e.read(out) != plain {
			t.Fatalf("--frame-length %s round trip", fl)
		}
	}
	e.fails(2, "--frame-length -1 is outside", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--frame-length", "-1", "-S", e.aesKey()))
	e.fails(2, "invalid int value: 'big'", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--frame-length", "big", "-S", e.aesKey()))
	e.fails(2, "is outside 0 to 2147483647", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--frame-length=4294967295", "-S", e.aesKey()))
}

func TestMaxLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", strings.Repeat("x", 5000))
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("framed.enc"), "--frame-length", "1024", "-S", e.aesKey()))
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("single.enc"), "--frame-length", "0", "-S", e.aesKey()))
	e.ok("", args("-d", "-i", e.path("framed.enc"), "-o", e.path("a.out"), "--max-length", "1024", "-S", e.aesKey()))
	e.fails(1, "raise --max-length", "", args("-d", "-i", e.path("framed.enc"), "-o", e.path("b.out"), "--max-length", "1023", "-S", e.aesKey()))
	e.ok("", args("-d", "-i", e.path("single.enc"), "-o", e.path("c.out"), "--max-length", "5000", "-S", e.aesKey()))
	e.fails(1, "raise --max-length", "", args("-d", "-i", e.path("single.enc"), "-o", e.path("d.out"), "--max-length", "4999", "-S", e.aesKey()))
	e.fails(2, "--max-length must be at least 1", "", args("-d", "-i", e.path("single.enc"), "-o", e.path("d.out"), "--max-length", "0", "-S", e.aesKey()))
}

// pythonSuiteNames are the Python ESDK's Algorithm member names.
var pythonSuiteNames = map[algorithms.ID]string{
	0x0014: "AES_128_GCM_IV12_TAG16",
	0x0046: "AES_192_GCM_IV12_TAG16",
	0x0078: "AES_256_GCM_IV12_TAG16",
	0x0114: "AES_128_GCM_IV12_TAG16_HKDF_SHA256",
	0x0146: "AES_192_GCM_IV12_TAG16_HKDF_SHA256",
	0x0178: "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
	0x0214: "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256",
	0x0346: "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
	0x0378: "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
	0x0478: "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
	0x0578: "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
}

func TestAlgorithms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", strings.Repeat("suite ", 100))
	for id, name := range pythonSuiteNames {
		t.Run(name, func(t *testing.T) {
			policy := "require-encrypt-require-decrypt"
			if id < 0x0478 {
				policy = "forbid-encrypt-allow-decrypt"
			}
			enc, out := name+".enc", name+".out"
			r := e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path(enc), "--algorithm", name, "--commitment-policy", policy, "--metadata-output", "-", e.aesKey()))
			if got := field(metaLines(t, r.stdout)[0], "header", "algorithm"); got != name {
				t.Fatalf("metadata algorithm %v", got)
			}
			dpolicy := "require-encrypt-allow-decrypt"
			if id >= 0x0478 {
				dpolicy = "require-encrypt-require-decrypt"
			}
			e.ok("", args("-d", "-i", e.path(enc), "-o", e.path(out), "--commitment-policy", dpolicy, "-S", e.aesKey()))
			if e.read(out) != e.read("p.txt") {
				t.Fatal("round trip")
			}
		})
	}
	// Other spellings of a suite.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("hex.enc"), "--algorithm", "0x0478", "-S", e.aesKey()))
	e.fails(2, "invalid choice: 'AES_999'", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--algorithm", "AES_999", "-S", e.aesKey()))
	// A non-committing suite needs the forbid policy to encrypt...
	e.fails(2, "forbid-encrypt-allow-decrypt", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--algorithm", "AES_256_GCM_IV12_TAG16_HKDF_SHA256", "-S", e.aesKey()))
	// ...and a v1 message needs an allow-decrypt policy to decrypt.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("v1.enc"), "--commitment-policy", "forbid-encrypt-allow-decrypt", "-S", e.aesKey()))
	e.fails(1, "--commitment-policy require-encrypt-allow-decrypt", "", args("-d", "-i", e.path("v1.enc"), "-o", e.path("v1.out"), "-S", e.aesKey()))
	if e.exists("v1.out") {
		t.Fatal("output written")
	}
}

func TestCommitmentPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "policy")
	r := e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("f.enc"), "--commitment-policy", "forbid-encrypt-allow-decrypt", "--metadata-output", "-", e.aesKey()))
	if got := field(metaLines(t, r.stdout)[0], "header", "algorithm"); got != "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384" {
		t.Fatalf("forbid policy default suite %v", got)
	}
	r = e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("r.enc"), "--commitment-policy=require-encrypt-allow-decrypt", "--metadata-output", "-", e.aesKey()))
	if got := field(metaLines(t, r.stdout)[0], "header", "algorithm"); got != "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384" {
		t.Fatalf("require policy default suite %v", got)
	}
	e.fails(2, "invalid choice: 'sometimes'", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--commitment-policy", "sometimes", "-S", e.aesKey()))
}

func TestMaxEncryptedDataKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "edks")
	two := args(e.aesKey(), "-w", "provider=raw-aes", "key=k2", "namespace=test", "key-file="+e.path("other.key"))
	e.fails(1, "too many encrypted data keys", "", args("-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "--max-encrypted-data-keys", "1", "-S", two))
	if e.exists("x.enc") {
		t.Fatal("output written")
	}
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("two.enc"), "--max-encrypted-data-keys", "2", "-S", two))
	e.fails(1, "raise --max-encrypted-data-keys", "", args("-d", "-i", e.path("two.enc"), "-o", e.path("x.out"), "--max-encrypted-data-keys", "1", "-S", e.aesKey()))
	e.ok("", args("-d", "-i", e.path("two.enc"), "-o", e.path("ok.out"), "--max-encrypted-data-keys", "2", "-S", e.aesKey()))
	e.fails(2, "between 1 and 65535", "", args("-d", "-i", e.path("two.enc"), "-o", e.path("x.out"), "--max-encrypted-data-keys", "0", "-S", e.aesKey()))
}

func TestArgumentFiles(t *testing.T) {
	// t.Setenv: not parallel.
	e := newEnv(t)
	e.write("p.txt", "from a config file")
	t.Setenv("ESDK_TEST_KEYFILE", e.path("aes.key"))
	e.write("key.conf", `# the wrapping key
-w provider=raw-aes key=k1 namespace=test   # trailing comment
   key-file=$ESDK_TEST_KEYFILE
`)
	e.write("ctx.conf", `--encryption-context "purpose=two words" 'quote=it'"'"'s' esc=a\ b
@`+e.path("key.conf")+"\n")
	r := e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "--metadata-output", "-", "@"+e.path("ctx.conf"))
	ec := field(metaLines(t, r.stdout)[0], "header", "encryption_context").(map[string]any)
	if ec["purpose"] != "two words" || ec["quote"] != "it's" || ec["esc"] != "a b" {
		t.Fatalf("encryption context %v", ec)
	}
	e.ok("", "-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", "@"+e.path("key.conf"))
	if e.read("p.out") != "from a config file" {
		t.Fatal("round trip")
	}
	e.fails(2, "cannot read argument file", "", "-e", "@"+e.path("missing.conf"))
	e.write("bad.conf", `-c "unterminated`)
	e.fails(2, "no closing quotation", "", "-e", "@"+e.path("bad.conf"))
	e.write("loop.conf", "@"+e.path("loop.conf"))
	e.fails(2, "nested more than", "", "@"+e.path("loop.conf"))
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := e.write("p.txt", "x")
	inOut := []string{"-i", in, "-o", e.path("o.enc")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "the following arguments are required: -w/--wrapping-keys, -i/--input, -o/--output"},
		{args("-e", "-S", e.aesKey(), "-o", "x"), "required: -i/--input"},
		{args(inOut, "-S", e.aesKey()), "one of the arguments --version -e/--encrypt -d/--decrypt --decrypt-unsigned is required"},
		{args("-e", "-d", inOut, "-S", e.aesKey()), "argument -d/--decrypt: not allowed with argument -e/--encrypt"},
		{args("-e", inOut, "-i", in, "-S", e.aesKey()), "-i argument may not be specified more than once"},
		{args("-e", inOut, "-S", e.aesKey(), "--bogus"), "unrecognized arguments: --bogus"},
		{args("-e", inOut, "-S", "stray", e.aesKey()), "unrecognized arguments: stray"},
		{args("-encrypt", inOut, "-S", e.aesKey()), `Found invalid argument "-encrypt". Did you mean "--encrypt"?`},
		{args("-e", inOut, "-S", "-w"), "argument -w/--wrapping-keys: expected at least one argument"},
		{args("-e", inOut, "-S", "-w", "key"), `Argument parameter must follow the format "key=value"`},
		{args("-e", inOut, "-S", "-w", "key="), `Argument parameter must follow the format "key=value"`},
		{args("-e", inOut, "-S", "-w", "provider=a", "provider=b", "key=k"), `exactly one "provider"`},
		{args("-e", inOut, "-S", "-w", "provider=plugin::x", "key=k"), "Requested master key provider not found"},
		{args("-e", inOut, "-S", "-w", "discovery=true"), "Discovery attributes are supported only on decryption"},
		{args("-d", inOut, "-S", "-w", "discovery=true", "key=arn:aws:kms:us-east-1:111122223333:key/k"), "If discovery is true (enabled), you cannot specify wrapping keys"},
		{args("-d", inOut, "-S", "-w", "discovery=false"), "When discovery is false (disabled), you must specify at least one wrapping key"},
		{args("-d", inOut, "-S", "-w", "discovery=maybe"), "Value maybe could not be parsed as true or false"},
		{args("-d", inOut, "-S", "-w", "discovery=true", "discovery-account=1"), "you must also specify discovery-partition"},
		{args("-d", inOut, "-S", "-w", "discovery=true", "discovery-partition=aws"), "you must also specify discovery-account"},
		{args("-d", inOut, "-S", "-w", "key=arn:aws:kms:us-east-1:1:key/k", "discovery-account=1"), "valid only when the discovery attribute is set to true"},
		{args("-d", inOut, "-S", "-w", "discovery=true", "discovery-account=1", "discovery-partition=aws", "discovery-partition=aws-cn"), "only specify discovery-partition once"},
		{args("-e", inOut, "-S", "-w", "provider=raw-aes", "key=k", "key-file=f"), "provider=raw-aes needs namespace=NAMESPACE"},
		{args("-e", inOut, "-S", "-w", "provider=raw-aes", "namespace=n", "key-file=f"), `At least one "key" must be provided`},
		{args("-e", inOut, "-S", "-w", "provider=raw-aes", "key=a", "key=b", "namespace=n", "key-file=f"), "takes exactly one key="},
		{args("-e", inOut, "-S", "-w", "provider=raw-aes", "key=a", "namespace=n", "key-file=f", "colour=red"), `unknown attribute "colour"`},
		{args("-e", inOut, "-S", "-w", "provider=raw-aes", "key=a", "namespace=aws-kms", "key-file=f"), "reserved for AWS KMS"},
		{args("-e", inOut, "-S", "-w", "provider=raw-rsa", "key=a", "namespace=n", "key-file=f"), "needs padding="},
		{args("-e", inOut, "-S", "-w", "provider=raw-rsa", "key=a", "namespace=n", "key-file=f", "padding=oaep"), `unknown padding "oaep"`},
		{args("-d", inOut, "-S", "-w", "provider=raw-aes", "key=a", "namespace=n", "key-file=f", "discovery=true"), "Discovery attributes are supported only for AWS KMS wrapping keys"},
		{args("-e", inOut, "-S", e.aesKey(), "--caching", "capacity=10"), `both "capacity" and "max_age" are required`},
		{args("-e", inOut, "-S", e.aesKey(), "--caching", "capacity=10", "max_age=5", "ttl=3"), `Invalid caching configuration key: "ttl"`},
		{args("-e", inOut, "-S", e.aesKey(), "--caching", "capacity=x", "max_age=5"), "not a number"},
		{args("-e", inOut, "-S", e.aesKey(), "--caching", "capacity=1", "max_age=-5"), "max_age must be a positive number"},
		{args("-e", inOut, "-S", e.aesKey(), "--required-encryption-context-keys", "a"), "--required-encryption-context-keys cannot be manually provided"},
		{args("-e", inOut, "-S", e.aesKey(), "--en"), "ambiguous option: --en could match --encrypt, --encode, --encryption-context"},
		{args("-e", inOut, "-S", e.aesKey(), "--jobs", "-1"), "--jobs must be between 0 and 1024"},
		{args("-e", inOut, "-S", e.aesKey(), "--encode=yes"), "ignored explicit argument 'yes'"},
		{args("-eX", inOut, "-S", e.aesKey()), "ignored explicit argument 'X'"},
		{args("-e", "-i"), "argument -i/--input: expected one argument"},
	} {
		r := e.run("", tc.args)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("encrypt-cli %s: exit %d, want 2 with %q; stderr:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "encrypt-cli: error: ") || !strings.Contains(r.stderr, "\nencrypt-cli: hint: ") {
			t.Errorf("encrypt-cli %s: stderr is not an error line and a hint line:\n%s", strings.Join(tc.args, " "), r.stderr)
		}
		if e.exists("o.enc") {
			t.Fatalf("encrypt-cli %s: wrote output", strings.Join(tc.args, " "))
		}
	}
}

// TestProviderErrors: errors the Python CLI finds when it builds the AWS
// KMS provider, after parsing, exit 1 (checked against it in pycli_test.go).
func TestProviderErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "x")
	inOut := []string{"-i", e.path("p.txt"), "-o", e.path("o.enc")}
	e.fails(1, "Only one region may be specified", "", "-e", inOut, "-S", "-w", "key=k", "region=a", "region=b")
	e.fails(1, "Only one profile may be specified", "", "-e", inOut, "-S", "-w", "key=k", "profile=a", "profile=b")
	e.fails(1, `unknown AWS KMS attribute "colour"`, "", "-e", inOut, "-S", "-w", "key=k", "colour=blue")
	if e.exists("o.enc") {
		t.Fatal("output written")
	}
}

func TestArgparseSyntax(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "syntax")
	key := "key-file=" + e.path("aes.key")
	// --opt=value, -ivalue, clustered flags, -vvv, options after -w values,
	// a unique prefix (with a warning).
	r := e.ok("", "-eS", "-i"+e.path("p.txt"), "--output="+e.path("p.enc"), "-vv",
		"--wrapping-keys", "provider=raw-aes", "key=k1", "namespace=test", key, "--frame-len", "100")
	if !strings.Contains(r.stderr, "--frame-len is taken as --frame-length") {
		t.Fatalf("no warning for an abbreviated option:\n%s", r.stderr)
	}
	r = e.ok("", "--decrypt", "--input", e.path("p.enc"), "--output", e.path("p.out"), "-S", "-vv", "-w", "provider=raw-aes", "key=k1", "namespace=test", key)
	if e.read("p.out") != "syntax" {
		t.Fatal("round trip")
	}
	if !strings.Contains(r.stderr, "encrypt-cli: info: decrypting") {
		t.Fatalf("-vv printed no detail:\n%s", r.stderr)
	}
	// -c=pair gives exactly one value.
	e.fails(2, "unrecognized arguments: b=2", "", "-e", "-S", "-i", e.path("p.txt"), "-o", e.path("q.enc"), "-c=a=1", "b=2", "-w", "provider=raw-aes", "key=k1", "namespace=test", key)
}

func TestJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 24
	var names []string
	for i := range n {
		name := fmt.Sprintf("in/f%02d.txt", i)
		e.write(name, strings.Repeat(fmt.Sprint(i), 1000*(n-i))) // big files first: they finish last
		names = append(names, e.path(name))
	}
	os.Mkdir(e.path("enc"), 0o755)
	os.Mkdir(e.path("dec"), 0o755)
	r := e.ok("", args("-e", "-r", "-i", e.path("in"), "-o", e.path("enc"), "--jobs", "8", "--metadata-output", "-", e.aesKey()))
	lines := metaLines(t, r.stdout)
	if len(lines) != n {
		t.Fatalf("%d metadata lines, want %d", len(lines), n)
	}
	for i, m := range lines {
		if field(m, "input") != names[i] {
			t.Fatalf("line %d is for %v, want %s: metadata order is not input order", i, field(m, "input"), names[i])
		}
	}
	r = e.ok("", args("-d", "-r", "-i", e.path("enc"), "-o", e.path("dec"), "--jobs=0", "--suffix", "", "--metadata-output", "-", e.aesKey()))
	for i := range n {
		if e.read(fmt.Sprintf("dec/f%02d.txt.encrypted", i)) != e.read(fmt.Sprintf("in/f%02d.txt", i)) {
			t.Fatalf("file %d differs", i)
		}
	}
	// One failure among many: the others succeed, the exit status is 1.
	e.write("enc/f05.txt.encrypted", "\x02\x05\x78broken")
	os.Mkdir(e.path("dec2"), 0o755)
	r = e.run("", args("-d", "-r", "-i", e.path("enc"), "-o", e.path("dec2"), "--jobs", "4", "-S", e.aesKey()))
	if r.code != 1 || strings.Count(r.stderr, "error:") != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(e.path("dec2")); len(entries) != n-1 {
		t.Fatalf("%d outputs, want %d", len(entries), n-1)
	}
	e.noTempFiles()
}

// TestCommitsInBackground: outputs are made durable in the background
// while the next files are processed, yet every output is complete when
// the CLI exits, metadata stays in input order, and an operation that
// reads another's output sees it committed, as in a sequential run.
func TestCommitsInBackground(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 200
	var names []string
	for i := range n {
		name := fmt.Sprintf("in/f%03d", i)
		e.write(name, strings.Repeat(fmt.Sprint(i), 100))
		names = append(names, e.path(name))
	}
	for _, jobs := range []string{"1", "2"} {
		enc, dec := "enc"+jobs, "dec"+jobs
		os.Mkdir(e.path(enc), 0o755)
		os.Mkdir(e.path(dec), 0o755)
		r := e.ok("", args("-e", "-r", "-i", e.path("in"), "-o", e.path(enc), "--jobs", jobs, "--metadata-output", "-", e.aesKey()))
		lines := metaLines(t, r.stdout)
		if len(lines) != n {
			t.Fatalf("--jobs %s: %d metadata lines, want %d", jobs, len(lines), n)
		}
		for i, m := range lines {
			if field(m, "input") != names[i] {
				t.Fatalf("--jobs %s: line %d is for %v, want %s", jobs, i, field(m, "input"), names[i])
			}
		}
		e.ok("", args("-d", "-r", "-i", e.path(enc), "-o", e.path(dec), "--jobs", jobs, "--suffix", "", "-S", e.aesKey()))
		for i := range n {
			if e.read(fmt.Sprintf("%s/f%03d.encrypted", dec, i)) != e.read(fmt.Sprintf("in/f%03d", i)) {
				t.Fatalf("--jobs %s: file %d differs", jobs, i)
			}
		}
	}

	// dep/a is encrypted over dep/a.encrypted, which is itself an input
	// planned after it: it must be read as written by the first operation.
	e.write("dep/a", "new plaintext")
	e.write("dep/a.encrypted", "stale")
	e.ok("", args("-e", "-i", e.path("dep")+"/*", "-o", e.path("dep"), "-S", e.aesKey()))
	e.ok("", args("-d", "-i", e.path("dep/a.encrypted.encrypted"), "-o", e.path("once"), "-S", e.aesKey()))
	e.ok("", args("-d", "-i", e.path("once"), "-o", e.path("twice"), "-S", e.aesKey()))
	if got := e.read("twice"); got != "new plaintext" {
		t.Fatalf("the second operation read %q through the first's output, want the committed output", got)
	}
	e.noTempFiles()
}

func TestInspect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeRSA()
	e.write("p.txt", "inspect me")
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", "-c", "purpose=demo", "--frame-length", "1024", e.aesKey(), e.rsaKey("public.pem", "oaep-sha256")))
	r := e.ok("", "inspect", e.path("p.enc"))
	m := metaLines(t, strings.ReplaceAll(r.stdout, "\n", ""))[0]
	for k, want := range map[string]any{
		"algorithm": "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", "algorithm_id": "0x0578", "frame_length": 1024,
		"content_type": "framed", "signed": true, "committing": true, "version": 2,
	} {
		if fmt.Sprint(m[k]) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", k, m[k], want)
		}
	}
	if field(m, "encryption_context", "purpose") != "demo" {
		t.Error("encryption context")
	}
	edks := m["encrypted_data_keys"].([]any)
	if len(edks) != 2 {
		t.Fatalf("%d encrypted data keys", len(edks))
	}
	first, second := edks[0].(map[string]any), edks[1].(map[string]any)
	if first["provider_id"] != "test" || first["key_name"] != "k1" || second["provider_id"] != "test-rsa" || second["key_name"] != "r1" {
		t.Errorf("providers: %v %v", first, second)
	}
	// Inspect needs no key and reads stdin.
	enc := e.read("p.enc")
	if r := e.ok(enc, "inspect", "-"); !strings.Contains(r.stdout, `"provider_id": "test"`) {
		t.Fatal("inspect -")
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(enc))
	e.fails(1, "did you mean --decode?", b64, "inspect", "-")
	e.ok(b64, "inspect", "--decode", "-")
	e.fails(1, "raise --max-encrypted-data-keys", "", "inspect", "--max-encrypted-data-keys", "1", e.path("p.enc"))
	e.fails(2, "inspect needs a file", "", "inspect")
	e.fails(1, "no such file", "", "inspect", e.path("none"))
	e.fails(1, "error:", "", "inspect", e.path("p.txt"))
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.ok("", "--version")
	if !strings.HasPrefix(r.stdout, "encrypt-cli/") || !strings.Contains(r.stdout, " go-esdk/") {
		t.Fatalf("--version: %q", r.stdout)
	}
	r = e.ok("", "--help")
	if !strings.Contains(r.stdout, "usage: encrypt-cli") || !strings.Contains(r.stdout, "--metadata-output") {
		t.Fatal("--help")
	}
	e.fails(2, "not allowed with argument", "", "-e", "--version")
}

func TestProgressBar(t *testing.T) {
	// Changes package variables: not parallel.
	e := newEnv(t)
	e.write("big.txt", strings.Repeat("z", 1<<20))
	r := e.ok("", args("-e", "-i", e.path("big.txt"), "-o", e.path("big.enc"), "-S", e.aesKey()))
	if r.stderr != "" {
		t.Fatalf("progress without a terminal: %q", r.stderr)
	}
	oldTerm, oldThreshold, oldInterval := isTerminal, progressThreshold, progressInterval
	t.Cleanup(func() { isTerminal, progressThreshold, progressInterval = oldTerm, oldThreshold, oldInterval })
	isTerminal = func(io.Writer) bool { return true }
	progressThreshold = 1
	progressInterval = time.Millisecond
	r = e.ok("", args("-e", "-i", e.path("big.txt"), "-o", e.path("big2.enc"), "-S", e.aesKey()))
	if !strings.Contains(r.stderr, "encrypt-cli: [") || !strings.Contains(r.stderr, "1.0 MiB") {
		t.Fatalf("no progress bar on a terminal: %q", r.stderr)
	}
	r = e.ok("", args("-e", "-i", e.path("big.txt"), "-o", e.path("big3.enc"), "-S", "-q", e.aesKey()))
	if r.stderr != "" {
		t.Fatal("-q showed progress")
	}
}

// pemBytes returns the DER bytes of the first PEM block.
func pemBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatal("no PEM block")
	}
	return b.Bytes
}

func TestInterruptedAndEdgeCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "edge")
	// An interrupted run (SIGINT cancels the context) writes nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := runContext(ctx, args("-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", e.aesKey()), strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "interrupted") || e.exists("p.enc") {
		t.Fatalf("exit %d, output exists %v\n%s", code, e.exists("p.enc"), errb.String())
	}
	// --no-overwrite writes a new file.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("new.enc"), "--no-overwrite", "-S", e.aesKey()))
	if !e.exists("new.enc") {
		t.Fatal("--no-overwrite did not write a new file")
	}
	// --interactive cannot take an answer from stdin when stdin is the input.
	e.write("exists.enc", "old")
	r := e.ok("data", args("-e", "-i", "-", "-o", e.path("exists.enc"), "--interactive", "-S", e.aesKey()))
	if e.read("exists.enc") != "old" || !strings.Contains(r.stderr, "cannot ask while the input is stdin") {
		t.Fatalf("interactive with stdin input:\n%s", r.stderr)
	}
	// The encryption context on decrypt may repeat a key: the first value wins.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("c.enc"), "-S", "-c", "a=1", "a=2", e.aesKey()))
	r = e.ok("", "inspect", e.path("c.enc"))
	if !strings.Contains(r.stdout, `"a": "1"`) {
		t.Fatalf("repeated -c key: %s", r.stdout)
	}
	e.noTempFiles()
}
