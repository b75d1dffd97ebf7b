package cli

// Tests of which destinations the CLI agrees to write: only those the
// user could open for writing, through symbolic links only as the kernel
// follows them (issue 12, defect 7).

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The test binary runs the CLI instead of the tests when this variable is
// set, so that a test can run the CLI as another user.
const runAsCLIEnv = "ENCRYPT_CLI_TEST_RUN_MAIN"

func init() {
	if os.Getenv(runAsCLIEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
}

// unprivilegedUID is the user the permission tests run the CLI as.
const unprivilegedUID = 65534

// cliAs runs the CLI (a copy of this test binary, see init) as uid in dir.
func cliAs(t *testing.T, exe string, uid int, dir string, cliArgs ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command(exe, cliArgs...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), runAsCLIEnv+"=1", "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	return runCLIProcess(t, cmd)
}

// runCLIProcess runs cmd (the CLI as a process) and returns its exit
// status and standard error; t fails if it could not run at all.
func runCLIProcess(t *testing.T, cmd *exec.Cmd) (code int, stderr string) {
	t.Helper()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), errb.String()
	}
	t.Fatalf("running the CLI (%s): %v", strings.Join(cmd.Args, " "), err)
	return 0, ""
}

// permEnv makes a directory that another user can use, with a copy of the
// test binary in it (bin/encrypt-cli), and returns both. It skips unless
// the test runs as root (the only way to act as another user).
func permEnv(t *testing.T) (*cliEnv, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("running as uid %d: acting as another user (uid %d) needs root, so this test cannot show the kernel's refusal", os.Geteuid(), unprivilegedUID)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	for d := e.dir; d != "/"; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o005); err != nil {
				t.Skipf("cannot open %s to uid %d: %v", d, unprivilegedUID, err)
			}
		}
	}
	for _, f := range []string{"aes.key", "other.key"} {
		os.Chmod(e.path(f), 0o644)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := e.path("bin/encrypt-cli")
	os.Mkdir(e.path("bin"), 0o755)
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return e, exe
}

// Defect 7, first half: a target the user may not open for writing is
// refused, as open() refuses it, and left alone.
func TestOutputRefusesReadOnlyTarget(t *testing.T) {
	t.Parallel()
	e, exe := permEnv(t)
	e.write("p.txt", "secret plans")
	work := e.path("work")
	if err := os.Mkdir(work, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(work, 0o777)                     // the user may create files here (and so rename over them)
	ro := e.write("work/ro.enc", "read-only") // owned by root, 0444 below
	os.Chmod(ro, 0o444)
	if err := os.Chown(ro, unprivilegedUID, unprivilegedUID); err != nil {
		t.Fatal(err)
	}
	os.Chmod(ro, 0o444) // the user owns it, but it is write-protected
	code, stderr := cliAs(t, exe, unprivilegedUID, work, "-e", "-i", e.path("p.txt"), "-o", ro, "-S",
		"-w", "provider=raw-aes", "key=k1", "namespace=test", "key-file="+e.path("aes.key"))
	if code != 1 || !strings.Contains(stderr, "permission denied") {
		t.Fatalf("encrypt to a 0444 target: exit %d, want 1 with \"permission denied\":\n%s", code, stderr)
	}
	if got := e.read("work/ro.enc"); got != "read-only" {
		t.Fatalf("the 0444 target was replaced: %q", got)
	}
	// A symbolic link to it is refused the same way.
	if err := os.Symlink(ro, filepath.Join(work, "link.enc")); err != nil {
		t.Fatal(err)
	}
	code, stderr = cliAs(t, exe, unprivilegedUID, work, "-e", "-i", e.path("p.txt"), "-o", filepath.Join(work, "link.enc"), "-S",
		"-w", "provider=raw-aes", "key=k1", "namespace=test", "key-file="+e.path("aes.key"))
	if code != 1 || !strings.Contains(stderr, "permission denied") || e.read("work/ro.enc") != "read-only" {
		t.Fatalf("encrypt through a symlink to a 0444 target: exit %d:\n%s", code, stderr)
	}
	// A writable target is still replaced, keeping its mode.
	os.Chmod(ro, 0o640)
	code, stderr = cliAs(t, exe, unprivilegedUID, work, "-e", "-i", e.path("p.txt"), "-o", ro, "-S",
		"-w", "provider=raw-aes", "key=k1", "namespace=test", "key-file="+e.path("aes.key"))
	if code != 0 || e.read("work/ro.enc") == "read-only" || !strings.Contains(stderr, "Overwriting existing output file") {
		t.Fatalf("encrypt to a writable target: exit %d:\n%s", code, stderr)
	}
	if fi, _ := os.Stat(ro); fi.Mode().Perm() != 0o640 {
		t.Fatalf("replaced target has mode %v, want 0640", fi.Mode().Perm())
	}
	e.noTempFiles()
}

// Defect 7, second half: a symbolic link is followed only as the kernel
// follows it. In a sticky world-writable directory, a link owned by
// another user is not followed when fs.protected_symlinks is set.
func TestOutputFollowsSymlinksAsTheKernel(t *testing.T) {
	t.Parallel()
	e, exe := permEnv(t)
	enableProtectedSymlinks(t)
	e.write("p.txt", "secret plans")
	sticky := e.path("sticky")
	if err := os.Mkdir(sticky, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	// The victim: a file the user may write, reached through a link
	// planted by another user (uid 1234) in the sticky directory.
	victim := e.write("victim.txt", "victim")
	os.Chown(victim, unprivilegedUID, unprivilegedUID)
	os.Chmod(e.dir, 0o777)
	link := filepath.Join(sticky, "out.enc")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 1234, 1234); err != nil {
		t.Fatal(err)
	}

	// What the kernel does when the user opens the link for writing.
	kernelCode, _ := cliAs(t, exe, unprivilegedUID, e.dir, "-e", "-i", e.path("p.txt"), "-o", link, "-S",
		"-w", "provider=raw-aes", "key=k1", "namespace=test", "key-file="+e.path("aes.key"))
	f, kernelErr := openAs(t, unprivilegedUID, link)
	if f {
		t.Logf("the kernel lets uid %d open %s for writing", unprivilegedUID, link)
	}
	protected, _ := os.ReadFile("/proc/sys/fs/protected_symlinks")
	switch {
	case kernelErr != "" && kernelCode == 0:
		t.Fatalf("the kernel refuses to follow the link (%s), the CLI followed it", kernelErr)
	case kernelErr == "" && kernelCode != 0:
		t.Fatalf("the kernel follows the link, the CLI refused it (exit %d)", kernelCode)
	case kernelErr != "" && e.read("victim.txt") != "victim":
		t.Fatal("the victim was replaced")
	}
	if strings.TrimSpace(string(protected)) != "1" {
		t.Skipf("fs.protected_symlinks is %q here, so the kernel follows the link; the CLI did the same (exit %d). The refusal is shown only where it is 1",
			strings.TrimSpace(string(protected)), kernelCode)
	}
	if kernelErr == "" {
		t.Fatal("fs.protected_symlinks is 1, yet the kernel followed a link of another user in a sticky directory")
	}
}

// enableProtectedSymlinks sets fs.protected_symlinks to 1 for the test when
// it is 0 and the test may change it (as root), and restores it afterwards,
// so that the refusal is shown rather than skipped. Where it cannot, the
// test still checks that the CLI does what the kernel does.
func enableProtectedSymlinks(t *testing.T) {
	const knob = "/proc/sys/fs/protected_symlinks"
	old, err := os.ReadFile(knob)
	if err != nil || strings.TrimSpace(string(old)) != "0" || os.Geteuid() != 0 {
		return
	}
	if err := os.WriteFile(knob, []byte("1"), 0); err != nil {
		t.Logf("cannot set %s: %v", knob, err)
		return
	}
	t.Cleanup(func() { os.WriteFile(knob, old, 0) })
}

// openAs opens path for writing as uid, with sh's ">>" (open with
// O_WRONLY|O_APPEND|O_CREAT, nothing truncated), and reports whether it
// could and the shell's error if not.
func openAs(t *testing.T, uid int, path string) (bool, string) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `: >> "$1"`, "sh", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return false, strings.TrimSpace(string(out)) + " (" + err.Error() + ")"
	}
	return true, ""
}
