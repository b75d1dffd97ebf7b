package encryptsdk_test

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// TestSequentialSignedDecryptStartsNoGoroutine: with Concurrency 1 a
// signed streaming decryption hashes on the caller's goroutine; it starts
// neither a hashing goroutine nor pool workers.
func TestSequentialSignedDecryptStartsNoGoroutine(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 1)))
	c.Concurrency = 1
	pt := plaintext(1<<20, 5)
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	d, err := c.Decrypt(bg, bytes.NewReader(ct), nil)
	if err != nil {
		t.Fatal(err)
	}
	half := make([]byte, len(pt)/2)
	if _, err := io.ReadFull(d, half); err != nil {
		t.Fatal(err)
	}
	if during := runtime.NumGoroutine(); during > before {
		t.Errorf("%d goroutines while decrypting, %d before", during, before)
	}
	rest, err := io.ReadAll(d)
	if err != nil || !bytes.Equal(append(half, rest...), pt) {
		t.Fatalf("decrypt: %v", err)
	}
}
