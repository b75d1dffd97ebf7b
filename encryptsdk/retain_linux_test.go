//go:build linux

package encryptsdk_test

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// TestWriteErrorDoesNotRetainInput: an io.Writer must not retain p, and
// Encryptor.Write says it does not keep p; that must hold when Write fails
// too. Large writes are sealed by several goroutines straight from p, so
// Write has to wait for them before returning, even when writing an
// earlier batch to the destination failed, and for signed suites even
// though another goroutine hashes them.
//
// The race detector cannot see the sealing goroutines' reads (AES-GCM is
// assembly), so the test makes them visible: p is a memory mapping that
// the caller unmaps (here: makes inaccessible) as soon as Write returns,
// as a program encrypting a memory-mapped file would. A goroutine still
// reading it crashes the process, so the check runs in a child process.
func TestWriteErrorDoesNotRetainInput(t *testing.T) {
	if os.Getenv("ESDK_TEST_RETAIN_CHILD") == "1" {
		retainChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteErrorDoesNotRetainInput$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ESDK_TEST_RETAIN_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 3000 {
			out = out[:3000]
		}
		t.Errorf("a goroutine was still reading Write's argument after Write returned an error (child: %v):\n%s", err, out)
	}
}

func retainChild(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	c.Concurrency = 8
	boom := errors.New("destination failed")
	const frame = 512 << 10
	for i := 0; i < 20; i++ {
		// Unsigned, and signed (hashed on a goroutine of its own).
		suite := algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
		if i%2 == 1 {
			suite = algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
		}
		e, err := c.Encrypt(bg, &limitWriter{n: 4000, err: boom}, &encryptsdk.EncryptOptions{
			Suite: suite, FrameLength: frame,
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := syscall.Mmap(-1, 0, 64*frame, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			t.Skip("mmap:", err)
		}
		if _, err := e.Write(p); !errors.Is(err, boom) {
			t.Fatalf("Write: %v, want the destination's error", err)
		}
		// The caller is done with p.
		if err := syscall.Mprotect(p, syscall.PROT_NONE); err != nil {
			t.Skip("mprotect:", err)
		}
		time.Sleep(20 * time.Millisecond)
		errIs(t, e.Close(), boom, "Close")
	}
}
