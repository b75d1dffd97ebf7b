package encryptsdk_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// TestRecycledStreamBuffers: streaming decryptions that share recycled
// read buffers and batches, at once on several goroutines, each return
// exactly their own plaintext, whatever the streams before them did:
// finished, failed on a tampered frame, or were dropped half read (with
// frames still being opened or hashed). Run with -race.
func TestRecycledStreamBuffers(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 9))
	type msg struct {
		c    *encryptsdk.Client
		pt   []byte
		ct   []byte
		name string
		back int // a byte this far from the end is in the body or signature
	}
	var msgs []msg
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, workers := range []int{1, 0} {
			for _, fl := range []int{1024, 4096} {
				for _, size := range []int{0, 1000, 100 << 10, 300 << 10} {
					c := encryptsdk.New(kr)
					c.Concurrency = workers
					pt := plaintext(size, int64(size+fl))
					ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: int64(fl)})
					if err != nil {
						t.Fatal(err)
					}
					back := 20 // inside the final frame
					if suite(t, id).Signed() {
						back = 140 // before the footer's signature
					}
					msgs = append(msgs, msg{c, pt, ct, fmt.Sprintf("%v/w%d/fl%d/%d", id, workers, fl, size), back})
				}
			}
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var out bytes.Buffer
			for i := range 40 {
				m := msgs[(g*7+i*5)%len(msgs)]
				switch i % 4 {
				case 0, 1: // whole message
					d, err := m.c.Decrypt(bg, bytes.NewReader(m.ct), nil)
					if err != nil {
						t.Error(m.name, err)
						return
					}
					out.Reset()
					if _, err := io.Copy(&out, d); err != nil || !bytes.Equal(out.Bytes(), m.pt) {
						t.Errorf("%s: decrypted %d bytes (%v), plaintext differs", m.name, out.Len(), err)
						return
					}
				case 2: // a tampered last frame fails
					bad := bytes.Clone(m.ct)
					bad[len(bad)-m.back] ^= 1
					d, err := m.c.Decrypt(bg, bytes.NewReader(bad), nil)
					if err != nil {
						continue // the byte was in the header (a tiny signed message)
					}
					if _, err := io.Copy(io.Discard, d); err == nil {
						t.Errorf("%s: a tampered message decrypted", m.name)
						return
					}
				case 3: // dropped after a little
					d, err := m.c.Decrypt(bg, bytes.NewReader(m.ct), nil)
					if err != nil {
						t.Error(m.name, err)
						return
					}
					io.ReadFull(d, make([]byte, 2000))
					runtime.GC() // let the dropped Decryptor's cleanup run
				}
			}
		})
	}
	wg.Wait()
}
