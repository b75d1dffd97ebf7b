package encryptsdk_test

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/go-esdk/esdk/encryptsdk"
)

// TestAbandonedDecryptorStopsItsGoroutine: a signed stream hashes on a
// goroutine of its own; a Decryptor dropped half-way must not leave it
// behind, and one read to the end must end it.
func TestAbandonedDecryptorStopsItsGoroutine(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 13)))
	ct, err := c.EncryptBytes(bg, make([]byte, 1<<20), nil) // signed by default
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		d, err := c.Decrypt(bg, bytes.NewReader(ct), nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Read(make([]byte, 10000)) // then drop it
	}
	for range 20 {
		d, _ := c.Decrypt(bg, bytes.NewReader(ct), nil)
		if _, err := readAllSmall(d); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+1 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+1 {
		t.Errorf("%d goroutines before, %d after dropping 20 decryptors", before, n)
	}
}

// TestAbandonedEncryptorStopsItsGoroutine: a parallel signed Encryptor
// hashes on a goroutine of its own; dropping the Encryptor unclosed must
// not leave it behind, and Close must end it.
func TestAbandonedEncryptorStopsItsGoroutine(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 14)))
	c.Concurrency = 2
	chunk := make([]byte, 64<<10)
	before := runtime.NumGoroutine()
	for i := range 40 {
		e, err := c.Encrypt(bg, io.Discard, nil) // signed by default
		if err != nil {
			t.Fatal(err)
		}
		for range 16 {
			if _, err := e.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
		} // else drop it
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines before, %d after 40 encryptors (20 dropped)", before, n)
	}
}
