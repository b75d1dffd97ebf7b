//go:build unix

package fileopen

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// A file opened here is not inherited by the programs encrypt-cli starts
// (a PKCS #11 module's helpers, for one).
func TestOpenFileCloseOnExec(t *testing.T) {
	f, err := OpenFile(os.Args[0], os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFD, 0)
	if errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Fatalf("F_GETFD = %#x, %v: want FD_CLOEXEC", flags, errno)
	}
}

// SyncDir syncs directories only.
func TestSyncDirRefusesFiles(t *testing.T) {
	if err := SyncDir(os.Args[0]); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("a file: %v, want ENOTDIR", err)
	}
}
