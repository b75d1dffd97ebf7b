package encryptsdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/materials"
)

// spyKeyring counts the calls of the keyring it wraps.
type spyKeyring struct {
	materials.Keyring
	decrypts atomic.Int32
}

func (s *spyKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	s.decrypts.Add(1)
	return s.Keyring.OnDecrypt(ctx, m, edks)
}

// streamMessage is a 56-byte plaintext in 16-byte frames: three regular
// frames (48 bytes) and a final frame of 8 bytes.
func streamMessage(t *testing.T, id algorithms.ID, nonFramed bool) (*encryptsdk.Client, []byte, []byte, *spyKeyring) {
	t.Helper()
	s := suite(t, id)
	spy := &spyKeyring{Keyring: mustAES(t, "stream-ns", "stream-key", testKey(32, 11))}
	c := clientFor(spy, s)
	pt := plaintext(56, 56)
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: 16, NonFramed: nonFramed})
	if err != nil {
		t.Fatal(err)
	}
	return c, pt, ct, spy
}

const trickle = 5 // bytes per Read of the source

// decryptTrickle decrypts msg from a trickling source with 3-byte reads.
func decryptTrickle(t *testing.T, c *encryptsdk.Client, msg []byte, opts *encryptsdk.DecryptOptions) (release, *trickleReader) {
	t.Helper()
	src := &trickleReader{data: msg, chunk: trickle}
	d, err := c.Decrypt(bg, src, opts)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	r := readSmall(d, src, 3)
	if r.badCount {
		t.Fatal("Read returned an impossible count")
	}
	if r.err != nil {
		// The error sticks, and nothing more is released.
		if n, err := d.Read(make([]byte, 64)); n != 0 || err == nil || err == io.EOF || err.Error() != r.err.Error() {
			t.Errorf("Read after %v: %d, %v", r.err, n, err)
		}
	}
	return r, src
}

func TestStreamingUnsignedTamperedFrame(t *testing.T) {
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256} {
		t.Run(hexID(id), func(t *testing.T) {
			c, pt, ct, _ := streamMessage(t, id, false)
			l := messageLayout(t, c, ct)
			if len(l.frames) != 4 {
				t.Fatalf("%d frames, want 4", len(l.frames))
			}

			// Frame 2's ciphertext: exactly frame 1 comes out, then the error.
			msg := bytes.Clone(ct)
			msg[l.frames[1].ctAt+5] ^= 0x20
			r, _ := decryptTrickle(t, c, msg, nil)
			if !bytes.Equal(r.got, pt[:16]) {
				t.Errorf("released %d bytes, want exactly frame 1's 16", len(r.got))
			}
			if r.sawEOF || !errors.Is(r.err, encryptsdk.ErrFrameAuthentication) {
				t.Errorf("error %v (EOF %v), want ErrFrameAuthentication", r.err, r.sawEOF)
			}

			// The final frame's tag: the three regular frames come out.
			msg = bytes.Clone(ct)
			msg[len(msg)-1] ^= 1
			r, _ = decryptTrickle(t, c, msg, nil)
			if !bytes.Equal(r.got, pt[:48]) || r.sawEOF || !errors.Is(r.err, encryptsdk.ErrFrameAuthentication) {
				t.Errorf("tampered final frame: released %d bytes, error %v, EOF %v", len(r.got), r.err, r.sawEOF)
			}

			// Truncated inside frame 3: frames 1 and 2 come out.
			r, _ = decryptTrickle(t, c, ct[:l.frames[2].ctAt+4], nil)
			if !bytes.Equal(r.got, pt[:32]) || r.sawEOF || !errors.Is(r.err, encryptsdk.ErrTruncated) {
				t.Errorf("truncated in frame 3: released %d bytes, error %v, EOF %v", len(r.got), r.err, r.sawEOF)
			}

			// The untampered message, for comparison.
			r, src := decryptTrickle(t, c, ct, nil)
			if !bytes.Equal(r.got, pt) || !r.sawEOF || r.err != nil {
				t.Errorf("valid message: %d bytes, error %v, EOF %v", len(r.got), r.err, r.sawEOF)
			}
			if src.delivered != len(ct) {
				t.Errorf("valid message: io.EOF after %d of %d input bytes", src.delivered, len(ct))
			}
		})
	}
}

func TestStreamingSignedBadSignature(t *testing.T) {
	id := algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
	c, pt, ct, _ := streamMessage(t, id, false)
	l := messageLayout(t, c, ct)

	// A valid message: the final frame comes out only when the whole input,
	// signature included, has been read.
	r, _ := decryptTrickle(t, c, ct, nil)
	if !bytes.Equal(r.got, pt) || !r.sawEOF {
		t.Fatalf("valid message: %d bytes, error %v", len(r.got), r.err)
	}
	for i := 48; i < len(r.got); i++ {
		if r.at[i] != len(ct) {
			t.Fatalf("final-frame byte %d released after %d of %d input bytes", i, r.at[i], len(ct))
		}
	}

	for _, tc := range []struct {
		name string
		at   int
		want error
	}{
		{"last signature byte", len(ct) - 1, encryptsdk.ErrSignature},
		{"first signature byte", l.footer + 2, encryptsdk.ErrSignature},
		{"middle of the signature", l.footer + 40, encryptsdk.ErrSignature},
		{"final frame content", l.frames[3].ctAt + 2, encryptsdk.ErrFrameAuthentication},
	} {
		msg := bytes.Clone(ct)
		msg[tc.at] ^= 0x04
		for _, buffer := range []bool{false, true} {
			r, _ := decryptTrickle(t, c, msg, &encryptsdk.DecryptOptions{BufferUntilVerified: buffer})
			limit := 48 // the regular frames
			if buffer {
				limit = 0
			}
			if len(r.got) > limit || !bytes.HasPrefix(pt, r.got) {
				t.Errorf("%s (buffer %v): released %d bytes, at most %d allowed", tc.name, buffer, len(r.got), limit)
			}
			if r.sawEOF || !errors.Is(r.err, tc.want) {
				t.Errorf("%s (buffer %v): error %v, EOF %v; want %v", tc.name, buffer, r.err, r.sawEOF, tc.want)
			}
		}
		// io.Copy (WriteTo) obeys the same rule, and so does a Read into a
		// buffer that holds whole frames, into which a stream with one
		// worker, or of a small source that tells its length, opens them:
		// the final frame leaves nothing in the buffer's spare room or in
		// p. A source that hides its length has frames opened ahead.
		for _, run := range []struct {
			workers int
			src     func() io.Reader
		}{
			{1, func() io.Reader { return bytes.NewReader(msg) }},
			{2, func() io.Reader { return bytes.NewReader(msg) }},
			{2, func() io.Reader { return struct{ io.Reader }{bytes.NewReader(msg)} }},
		} {
			c.Concurrency = run.workers
			name := fmt.Sprintf("%s, %d workers, %T", tc.name, run.workers, run.src())
			d, err := c.Decrypt(bg, run.src(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			out.Grow(4096)
			n, err := io.Copy(&out, d)
			spare := out.AvailableBuffer()
			if !errors.Is(err, tc.want) || n > 48 || out.Len() > 48 || bytes.Contains(spare[:cap(spare)], pt[48:]) {
				t.Errorf("%s: io.Copy wrote %d bytes, error %v", name, n, err)
			}
			d, err = c.Decrypt(bg, run.src(), nil)
			if err != nil {
				t.Fatal(err)
			}
			p := make([]byte, 4096)
			var got []byte
			for err == nil {
				var k int
				k, err = d.Read(p)
				got = append(got, p[:k]...)
			}
			if !errors.Is(err, tc.want) || len(got) > 48 || bytes.Contains(p, pt[48:]) {
				t.Errorf("%s: Read released %d bytes, error %v", name, len(got), err)
			}
		}
		c.Concurrency = 0
	}
}

func TestStreamingSignedNonFramed(t *testing.T) {
	c, pt, ct, _ := streamMessage(t, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, true)
	r, _ := decryptTrickle(t, c, ct, nil)
	if !bytes.Equal(r.got, pt) || !r.sawEOF {
		t.Fatalf("valid message: %d bytes, error %v", len(r.got), r.err)
	}
	if r.at[0] != len(ct) {
		t.Errorf("non-framed plaintext released after %d of %d input bytes", r.at[0], len(ct))
	}
	msg := bytes.Clone(ct)
	msg[len(msg)-1] ^= 0x80
	r, _ = decryptTrickle(t, c, msg, nil)
	if len(r.got) != 0 || r.sawEOF || !errors.Is(r.err, encryptsdk.ErrSignature) {
		t.Errorf("bad signature: released %d bytes, error %v, EOF %v", len(r.got), r.err, r.sawEOF)
	}
}

func TestStreamingBufferUntilVerified(t *testing.T) {
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		t.Run(hexID(id), func(t *testing.T) {
			c, pt, ct, _ := streamMessage(t, id, false)
			l := messageLayout(t, c, ct)
			opts := &encryptsdk.DecryptOptions{BufferUntilVerified: true}

			r, _ := decryptTrickle(t, c, ct, opts)
			if !bytes.Equal(r.got, pt) || !r.sawEOF {
				t.Fatalf("valid message: %d bytes, error %v", len(r.got), r.err)
			}
			if r.at[0] != len(ct) {
				t.Errorf("first byte released after %d of %d input bytes", r.at[0], len(ct))
			}

			for _, at := range []int{l.frames[0].ctAt, l.frames[1].ctAt, l.frames[3].ctAt, len(ct) - 1} {
				msg := bytes.Clone(ct)
				msg[at] ^= 1
				r, _ := decryptTrickle(t, c, msg, opts)
				if len(r.got) != 0 || r.sawEOF || r.err == nil {
					t.Errorf("byte %d tampered: released %d bytes, error %v, EOF %v", at, len(r.got), r.err, r.sawEOF)
				}
			}
			// The one-shot API never releases partial plaintext either.
			msg := bytes.Clone(ct)
			msg[l.frames[2].ctAt] ^= 1
			got, d, err := c.DecryptBytes(bg, msg, nil)
			if err == nil || len(got) != 0 || d != nil {
				t.Errorf("DecryptBytes of a tampered message: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestUnsignedOnly(t *testing.T) {
	opts := &encryptsdk.DecryptOptions{UnsignedOnly: true}
	for _, s := range algorithms.All() {
		t.Run(hexID(s.ID()), func(t *testing.T) {
			c, pt, ct, spy := streamMessage(t, s.ID(), false)
			src := &trickleReader{data: ct, chunk: trickle}
			d, err := c.Decrypt(bg, src, opts)
			if !s.Signed() {
				if err != nil {
					t.Fatalf("unsigned message: %v", err)
				}
				got, err := io.ReadAll(d)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("unsigned message: %d bytes, %v", len(got), err)
				}
				return
			}
			if d != nil || !errors.Is(err, encryptsdk.ErrSignedMessage) {
				t.Fatalf("signed message: %v, want ErrSignedMessage", err)
			}
			// Refused right after the header: no key was unwrapped and the
			// body was not read.
			if n := spy.decrypts.Load(); n != 0 {
				t.Errorf("keyring was asked to decrypt %d times", n)
			}
			l := messageLayout(t, c, ct)
			if src.delivered > l.hdrLen+trickle {
				t.Errorf("read %d input bytes; the header is %d", src.delivered, l.hdrLen)
			}
			if _, _, err := c.DecryptBytes(bg, ct, opts); !errors.Is(err, encryptsdk.ErrSignedMessage) {
				t.Errorf("DecryptBytes: %v", err)
			}
		})
	}
}

// TestStreamingDoesNotWaitForLaterFrames: a verified regular frame is
// released without waiting for input the Decryptor does not need yet, so
// that a live stream (a pipe, a socket) yields each frame as it arrives.
// Read must return what is available instead of blocking for more (the
// io.Reader convention), for unsigned and signed suites alike.
func TestStreamingDoesNotWaitForLaterFrames(t *testing.T) {
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		t.Run(hexID(id), func(t *testing.T) {
			c, pt, ct, _ := streamMessage(t, id, false)
			l := messageLayout(t, c, ct)
			pr, pw := io.Pipe()
			defer pr.Close()
			go pw.Write(ct[:l.frames[0].end]) // the header and frame 1, then nothing
			d, err := c.Decrypt(bg, pr, nil)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			buf := make([]byte, 64)
			go func() {
				n, err := d.Read(buf)
				done <- result{n, err}
			}()
			var res result
			select {
			case res = <-done:
			case <-time.After(5 * time.Second):
				t.Errorf("Read of frame 1 still blocked 5s after frame 1 arrived: it waits for later input")
				pw.CloseWithError(errors.New("test gave up"))
				<-done
				return
			}
			if res.err != nil || !bytes.Equal(buf[:res.n], pt[:16]) {
				t.Fatalf("first Read: %d bytes, %v; want frame 1", res.n, res.err)
			}
			go func() {
				pw.Write(ct[l.frames[0].end:])
				pw.Close()
			}()
			rest, err := io.ReadAll(d)
			if err != nil || !bytes.Equal(rest, pt[16:]) {
				t.Fatalf("rest: %d bytes, %v", len(rest), err)
			}
		})
	}
}
