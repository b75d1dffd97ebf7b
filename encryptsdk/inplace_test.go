package encryptsdk_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// TestInPlaceOneShot: the cipher.AEAD idiom of passing the input's own
// buffer as dst — AppendEncrypt(buf[:0], buf[:n]) and
// AppendDecrypt(msg[:0], msg) — and other overlaps of dst's spare capacity
// with the input work for small and large (pool-processed) messages,
// signed and unsigned, with 1 and 4 workers, and never panic.
func TestInPlaceOneShot(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, workers := range []int{1, 4} {
			for _, n := range []int{0, 100, 3 << 20} {
				for _, nonFramed := range []bool{false, true} {
					name := fmt.Sprintf("%v/workers=%d/n=%d/nonframed=%v", id, workers, n, nonFramed)
					c := encryptsdk.New(kr)
					c.Concurrency = workers
					opts := &encryptsdk.EncryptOptions{Suite: id, NonFramed: nonFramed}
					pt := plaintext(n, int64(n))

					// Encrypt in place: the plaintext sits at the start of a buffer
					// with room for the message.
					buf := make([]byte, n, n+n/2+4096)
					copy(buf, pt)
					msg, err := c.AppendEncrypt(bg, buf[:0], buf[:n], opts)
					if err != nil {
						t.Fatalf("%s: in-place AppendEncrypt: %v", name, err)
					}
					// Plaintext one byte into dst's spare capacity.
					buf2 := make([]byte, n+1, n+n/2+4096)
					copy(buf2[1:], pt)
					msg2, err := c.AppendEncrypt(bg, buf2[:0], buf2[1:n+1], opts)
					if err != nil {
						t.Fatalf("%s: overlapping AppendEncrypt: %v", name, err)
					}
					for i, m := range [][]byte{msg, msg2} {
						got, _, err := c.DecryptBytes(bg, m, nil)
						if err != nil || !bytes.Equal(got, pt) {
							t.Fatalf("%s: message %d made in place does not decrypt: %v", name, i, err)
						}
					}

					// Decrypt in place.
					in := bytes.Clone(msg)
					got, _, err := c.AppendDecrypt(bg, in[:0], in, nil)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("%s: in-place AppendDecrypt: %v", name, err)
					}
					// dst's spare capacity starts before the message and runs
					// into it; dst's own bytes are kept.
					buf = make([]byte, len(msg)+100)
					copy(buf[50:], msg)
					copy(buf, "prefix----")
					got, _, err = c.AppendDecrypt(bg, buf[:10], buf[50:50+len(msg)], nil)
					if err != nil || !bytes.Equal(got, append([]byte("prefix----"), pt...)) || !bytes.Equal(buf[50:50+len(msg)], msg) {
						t.Fatalf("%s: AppendDecrypt with a partly overlapping dst: %v", name, err)
					}
					in = append(make([]byte, 0, len(msg)+64), msg...)
					got, _, err = c.AppendDecrypt(bg, in[len(in):], in, nil)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("%s: AppendDecrypt into the capacity after the message: %v", name, err)
					}
					// A tampered message decrypted in place fails cleanly.
					if len(msg) > 200 {
						in = bytes.Clone(msg)
						in[len(in)-120] ^= 1
						if _, _, err := c.AppendDecrypt(bg, in[:0], in, nil); err == nil {
							t.Fatalf("%s: tampered message decrypted in place", name)
						}
					}
				}
			}
		}
	}
}
