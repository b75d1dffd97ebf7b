package encryptsdk_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// TestSteadyStateAllocations: once a stream is running, encrypting or
// decrypting another frame allocates nothing, sequentially or with the
// worker pool.
func TestSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	kr := mustAES(t, "ns", "k", testKey(32, 6))
	for _, workers := range []int{1, 2} {
		for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
			c := encryptsdk.New(kr)
			c.Concurrency = workers
			frame := make([]byte, 4096)
			batch := make([]byte, 64<<10) // large writes take the parallel path

			e, err := c.Encrypt(bg, io.Discard, &encryptsdk.EncryptOptions{Suite: id})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][]byte{frame, batch, frame[:100]} {
				e.Write(p) // warm up: batches are allocated on first use
				if a := testing.AllocsPerRun(200, func() { e.Write(p) }); a != 0 {
					t.Errorf("workers %d, suite %v: Write of %d bytes allocates %.1f times", workers, id, len(p), a)
				}
			}

			// A long message to decrypt, read a frame at a time.
			var msg bytes.Buffer
			e, _ = c.Encrypt(bg, &msg, &encryptsdk.EncryptOptions{Suite: id})
			for range 1000 {
				e.Write(batch)
			}
			e.Close()
			d, err := c.Decrypt(bg, bytes.NewReader(msg.Bytes()), nil)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadFull(d, batch) // warm up
			if a := testing.AllocsPerRun(500, func() { io.ReadFull(d, frame) }); a != 0 {
				t.Errorf("workers %d, suite %v: reading a frame allocates %.1f times", workers, id, a)
			}
		}
	}
}

// TestOneShotAllocations: one-shot encryption and decryption allocate
// about the size of their result, and never copy the input.
func TestOneShotAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 7)))
	pt := make([]byte, 16<<20)
	var ct []byte
	a := allocated(func() { ct, _ = c.EncryptBytes(bg, pt, nil) })
	if limit := uint64(float64(len(ct)) * 1.05); a > limit {
		t.Errorf("EncryptBytes of %d bytes allocated %d bytes, result %d", len(pt), a, len(ct))
	}
	var out []byte
	a = allocated(func() { out, _, _ = c.DecryptBytes(bg, ct, nil) })
	if limit := uint64(float64(len(out)) * 1.05); a > limit {
		t.Errorf("DecryptBytes of %d bytes allocated %d bytes, result %d", len(ct), a, len(out))
	}
}
