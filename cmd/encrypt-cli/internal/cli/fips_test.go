package cli

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFIPSCLI runs the CLI (this test binary, see runAsCLIEnv) as a user
// of FIPS 140-3 mode would: a file encrypted with GODEBUG=fips140=on
// decrypts with GODEBUG=fips140=only, with a raw AES key and with an AWS
// KMS key of the test KMS (over the AWS SDK's HTTP path, SigV4 signing
// included); encryption with fips140=only fails before writing anything,
// naming golang/go#73110.
func TestFIPSCLI(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := newKMSWorld(t)
	dir := t.TempDir()
	pt := bytes.Repeat([]byte("fips "), 1000)
	if err := os.WriteFile(filepath.Join(dir, "pt"), pt, 0o600); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 5)
	}
	if err := os.WriteFile(filepath.Join(dir, "aes.key"), []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(godebug string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(self, args...)
		cmd.Dir = dir
		var env []string
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			if !strings.HasPrefix(name, "AWS_") && name != "GODEBUG" {
				env = append(env, kv)
			}
		}
		for k, v := range w.Env {
			env = append(env, k+"="+v)
		}
		cmd.Env = append(env, runAsCLIEnv+"=1", "GODEBUG="+godebug)
		return runCLIProcess(t, cmd)
	}
	for _, c := range []struct {
		name string
		keys []string
	}{
		{"raw AES", []string{"-w", "provider=raw-aes", "key=k", "namespace=n", "key-file=aes.key"}},
		{"AWS KMS", []string{"-w", "key=" + kmsKeyA}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ct, out, refused := c.name+".ct", c.name+".out", c.name+".refused"
			if code, stderr := cli("fips140=on", append([]string{"-e", "-i", "pt", "-o", ct, "-S"}, c.keys...)...); code != 0 {
				t.Fatalf("encrypt with fips140=on: exit %d\n%s", code, stderr)
			}
			if code, stderr := cli("fips140=only", append([]string{"-d", "-i", ct, "-o", out, "-S"}, c.keys...)...); code != 0 {
				t.Fatalf("decrypt with fips140=only: exit %d\n%s", code, stderr)
			}
			if got, err := os.ReadFile(filepath.Join(dir, out)); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("decrypted with fips140=only: %d bytes, %v", len(got), err)
			}
			code, stderr := cli("fips140=only", append([]string{"-e", "-i", "pt", "-o", refused, "-S"}, c.keys...)...)
			if code == 0 || !strings.Contains(stderr, "golang/go#73110") {
				t.Errorf("encrypt with fips140=only: exit %d, stderr %q; want a failure naming golang/go#73110", code, stderr)
			}
			if _, err := os.Lstat(filepath.Join(dir, refused)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("encrypt with fips140=only left %s behind (%v)", refused, err)
			}
		})
	}
}
