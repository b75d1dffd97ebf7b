package encryptsdk_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// fuzzPlaintext is the plaintext of every seed message of FuzzDecrypt.
var fuzzPlaintext = []byte("The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuvwxyz.")

// FuzzDecrypt decrypts mutations of valid messages. A mutated message must
// never decrypt to anything but the original plaintext nor fail with an
// internal error, and a failed stream
// must have released only a prefix of it: never a byte of a frame whose tag
// did not verify.
func FuzzDecrypt(f *testing.F) {
	kr := mustAES(f, "fuzz", "key", testKey(32, 9))
	seeds := []struct {
		id        algorithms.ID
		frame     int64
		nonFramed bool
	}{
		{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 16, false},
		{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, 32, false},
		{algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256, 16, false},
		{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, 0, true},
		{algorithms.AES_128_GCM_IV12_TAG16_NO_KDF, 1, false},
	}
	for _, s := range seeds {
		c := clientFor(kr, suite(f, s.id))
		ct, err := c.EncryptBytes(bg, fuzzPlaintext, &encryptsdk.EncryptOptions{
			Suite: s.id, FrameLength: s.frame, NonFramed: s.nonFramed,
			EncryptionContext: map[string]string{"fuzz": "seed"},
		})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
	}
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	f.Fuzz(func(t *testing.T, msg []byte) {
		pt, _, err := c.DecryptBytes(bg, msg, nil)
		if err == nil && !bytes.Equal(pt, fuzzPlaintext) {
			t.Fatalf("decrypted to %q", pt)
		}
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("one-shot: %v", err) // e.g. a frame with no room in the result
		}
		// io.Copy from memory: frames read in place (once the message is
		// larger than the read buffer), never writing the message.
		orig := bytes.Clone(msg)
		if d, err := c.Decrypt(bg, bytes.NewReader(msg), nil); err == nil {
			var out bytes.Buffer
			_, err := io.Copy(&out, d)
			if !bytes.HasPrefix(fuzzPlaintext, out.Bytes()) || err == nil && out.Len() != len(fuzzPlaintext) {
				t.Fatalf("io.Copy wrote %q (%v)", out.Bytes(), err)
			}
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("io.Copy: %v", err)
			}
			if !bytes.Equal(msg, orig) {
				t.Fatal("io.Copy wrote to the message")
			}
		}
		// A source that tells its length is opened one frame at a time,
		// into the Read buffer when a frame fits there; one that hides it,
		// a batch at a time ahead on the pool.
		for _, run := range []struct {
			hide bool
			size int
		}{{false, 7}, {false, 64}, {true, 7}} {
			var src io.Reader = bytes.NewReader(msg)
			if run.hide {
				src = struct{ io.Reader }{src}
			}
			d, err := c.Decrypt(bg, src, nil)
			if err != nil {
				return
			}
			var got []byte
			buf := make([]byte, run.size)
			for {
				n, err := d.Read(buf)
				got = append(got, buf[:n]...)
				if !bytes.HasPrefix(fuzzPlaintext, got) {
					t.Fatalf("released %q, not a prefix of the plaintext", got)
				}
				if err == io.EOF {
					if !bytes.Equal(got, fuzzPlaintext) {
						t.Fatalf("io.EOF after %d of %d bytes", len(got), len(fuzzPlaintext))
					}
					break
				}
				if err != nil {
					break
				}
			}
		}
	})
}

// FuzzRoundTrip encrypts and decrypts arbitrary plaintexts with arbitrary
// frame lengths, write sizes and read sizes: frame boundaries are where
// streaming code breaks.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), uint16(1), uint64(1), false)
	f.Add(bytes.Repeat([]byte{1}, 4096), uint16(4096), uint64(2), false)
	f.Add(bytes.Repeat([]byte{2}, 1000), uint16(128), uint64(3), true)
	f.Add([]byte{}, uint16(7), uint64(4), false)
	kr := mustAES(f, "fuzz", "key", testKey(16, 3))
	c := encryptsdk.New(kr)
	f.Fuzz(func(t *testing.T, pt []byte, frame uint16, seed uint64, signed bool) {
		pt = pt[:min(len(pt), 64<<10)] // keep each run short
		fl := int64(frame)%2048 + 1
		id := algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
		if signed {
			id = algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
		}
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		var msg bytes.Buffer
		e, err := c.Encrypt(bg, &msg, &encryptsdk.EncryptOptions{Suite: id, FrameLength: fl})
		if err != nil {
			t.Fatal(err)
		}
		for p := pt; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(3*int(fl)))
			if _, err := e.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if want := e.MessageLength(int64(len(pt))); want != int64(msg.Len()) {
			t.Fatalf("MessageLength = %d, message is %d bytes", want, msg.Len())
		}
		orig := bytes.Clone(msg.Bytes())
		var src io.Reader = bytes.NewReader(msg.Bytes())
		if seed&1 == 1 {
			src = struct{ io.Reader }{src} // no length: frames opened ahead
		}
		d, err := c.Decrypt(bg, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if seed&2 == 2 {
			// io.Copy: frames read in place from the source's memory, and
			// opened into the buffer's free space or written from ours.
			var out bytes.Buffer
			var pw plainWriter
			var w io.Writer = &out
			if seed&4 == 4 {
				w = &pw
			}
			if _, err := io.Copy(w, d); err != nil {
				t.Fatal(err)
			}
			got = append(out.Bytes(), pw.b.Bytes()...)
			if !bytes.Equal(got, pt) || !bytes.Equal(msg.Bytes(), orig) {
				t.Fatalf("io.Copy changed the plaintext or the message (%d bytes in, %d out)", len(pt), len(got))
			}
			return
		}
		for {
			buf := make([]byte, 1+rng.IntN(2*int(fl)))
			n, err := d.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip changed the plaintext (%d bytes in, %d out)", len(pt), len(got))
		}
	})
}
