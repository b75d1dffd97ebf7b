package cli

import (
	"os"
	"strings"
	"testing"
)

func TestRangeDecrypt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := strings.Repeat("0123456789abcdef", 2000) // 32000 bytes
	e.write("p.txt", plain)
	unsigned := []string{"--algorithm", "AES_256_GCM_HKDF_SHA512_COMMIT_KEY", "--frame-length", "1000"}
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("u.enc"), "-S", unsigned, e.aesKey()))
	for _, r := range []struct {
		spec       string
		start, end int
	}{
		{"0:0", 0, 0}, {"0:1", 0, 1}, {"999:1001", 999, 1001}, {"5000:17000", 5000, 17000},
		{"31999:32000", 31999, 32000}, {"31000:99999", 31000, 32000}, {"40000:50000", 32000, 32000},
	} {
		got := e.ok("", args("-d", "--range", r.spec, "-i", e.path("u.enc"), "-o", "-", "-S", e.aesKey())).stdout
		if got != plain[r.start:r.end] {
			t.Errorf("--range %s: got %d bytes, want plaintext[%d:%d]", r.spec, len(got), r.start, r.end)
		}
	}
	// To a file, with metadata.
	r := e.ok("", args("-d", "--range", "100:200", "-i", e.path("u.enc"), "-o", e.path("r.out"), "--metadata-output", "-", e.aesKey()))
	if e.read("r.out") != plain[100:200] || field(metaLines(t, r.stdout)[0], "mode") != "decrypt" {
		t.Fatal("--range to a file, with metadata")
	}
	// A tampered frame outside the range does not matter; inside it does.
	e.write("bad.enc", e.read("u.enc"))
	data, err := os.ReadFile(e.path("bad.enc"))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-20*1032] ^= 1 // inside an early frame's content
	if err := os.WriteFile(e.path("bad.enc"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("", args("-d", "--range", "31000:32000", "-i", e.path("bad.enc"), "-o", "-", "-S", e.aesKey())).stdout; got != plain[31000:] {
		t.Fatal("--range past a tampered frame")
	}
	e.fails(1, "modified", "", args("-d", "--range", "0:32000", "-i", e.path("bad.enc"), "-o", e.path("bad.out"), "-S", e.aesKey()))
	if e.exists("bad.out") {
		t.Fatal("output written for a tampered range")
	}
	// A truncated file is refused.
	if err := os.WriteFile(e.path("short.enc"), []byte(e.read("u.enc"))[:len(e.read("u.enc"))-1], 0o600); err != nil {
		t.Fatal(err)
	}
	e.fails(1, "not the whole message", "", args("-d", "--range", "0:10", "-i", e.path("short.enc"), "-o", "-", "-S", e.aesKey()))

	// Signed: refused unless --skip-signature-verification.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("s.enc"), "-S", "--frame-length", "1000", e.aesKey()))
	r = e.fails(1, "--skip-signature-verification", "", args("-d", "--range", "0:10", "-i", e.path("s.enc"), "-o", "-", "-S", e.aesKey()))
	if r.stdout != "" {
		t.Fatal("--range released plaintext of a signed message")
	}
	if got := e.ok("", args("-d", "--range", "1500:2500", "--skip-signature-verification", "-i", e.path("s.enc"), "-o", "-", "-S", e.aesKey())).stdout; got != plain[1500:2500] {
		t.Fatal("--range --skip-signature-verification")
	}
	e.fails(1, "signed", "", args("--decrypt-unsigned", "--range", "0:10", "--skip-signature-verification", "-i", e.path("s.enc"), "-o", "-", "-S", e.aesKey()))

	// Usage errors.
	for _, c := range []struct {
		want  string
		parts []string
	}{
		{"START:END", []string{"-d", "--range", "10:5", "-i", e.path("u.enc")}},
		{"START:END", []string{"-d", "--range", "x", "-i", e.path("u.enc")}},
		{"only to -d", []string{"-e", "--range", "0:5", "-i", e.path("p.txt")}},
		{"not stdin", []string{"-d", "--range", "0:5", "-i", "-"}},
		{"--decode", []string{"-d", "--range", "0:5", "--decode", "-i", e.path("u.enc")}},
		{"only with --range", []string{"-d", "--skip-signature-verification", "-i", e.path("u.enc")}},
	} {
		e.fails(2, c.want, "", args(c.parts, "-o", "-", "-S", e.aesKey()))
	}
}
