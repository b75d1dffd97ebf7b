package hierarchy_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/kmstest/moto"
)

// TestCLI: encrypt-cli's keystore subcommands and -w
// provider=aws-kms-hierarchy against moto, with the AWS SDK's endpoint
// variables pointing at it: create the table and a branch key, encrypt,
// rotate, encrypt, decrypt both; show prints the new active version.
func TestCLI(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	arn, err := srv.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "encrypt-cli")
	// Built in the library's module (the repository root), as a user builds it.
	build := exec.Command("go", "build", "-o", bin, "./cmd/encrypt-cli")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION="+moto.Region,
		"AWS_ACCESS_KEY_ID=AKIAMOTOTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	cli := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if (err == nil) != wantOK {
			t.Fatalf("encrypt-cli %v: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
		}
		return strings.TrimSpace(stdout.String() + stderr.String())
	}
	store := []string{"--table", "cli-branch-keys", "--kms-key", arn}
	ks := func(cmd string, extra ...string) string {
		return cli(true, append(append([]string{"keystore", cmd}, store...), extra...)...)
	}
	if out := ks("create-table"); !strings.HasSuffix(out, ":table/cli-branch-keys") {
		t.Fatalf("create-table printed %q", out)
	}
	id := ks("create-key", "--branch-key-id", "cli-tenant", "--ec", "tenant=cli")
	if id != "cli-tenant" {
		t.Fatalf("create-key printed %q", id)
	}
	show1 := ks("show", "--branch-key-id", id)
	if !strings.Contains(show1, "ec tenant=cli") {
		t.Errorf("show: %q", show1)
	}
	pt := filepath.Join(dir, "plain")
	if err := os.WriteFile(pt, []byte("hierarchical CLI"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := "provider=aws-kms-hierarchy branch-key-id=" + id + " table=cli-branch-keys kms-key=" + arn + " ttl=60"
	enc := func(out string) {
		cli(true, append([]string{"-e", "-i", pt, "-o", out, "-S", "-w"}, strings.Fields(w)...)...)
	}
	enc(filepath.Join(dir, "before.ct"))
	ks("version-key", "--branch-key-id", id)
	show2 := ks("show", "--branch-key-id", id)
	if show2 == show1 {
		t.Errorf("show after version-key is unchanged: %q", show2)
	}
	enc(filepath.Join(dir, "after.ct"))
	for _, name := range []string{"before", "after"} {
		out := filepath.Join(dir, name+".pt")
		cli(true, append([]string{"-d", "-i", filepath.Join(dir, name+".ct"), "-o", out, "-S", "-w"}, strings.Fields(w)...)...)
		if got, _ := os.ReadFile(out); string(got) != "hierarchical CLI" {
			t.Errorf("%s: decrypted %q", name, got)
		}
	}
	// Usage errors exit 2 and name what is missing.
	if out := cli(false, "keystore", "version-key", "--table", "t", "--kms-key", arn); !strings.Contains(out, "--branch-key-id") {
		t.Errorf("version-key without an ID: %q", out)
	}
	if out := cli(false, "-e", "-i", pt, "-o", filepath.Join(dir, "x"), "-S", "-w", "provider=aws-kms-hierarchy", "table=t"); !strings.Contains(out, "branch-key-id") {
		t.Errorf("-w without branch-key-id: %q", out)
	}
}
