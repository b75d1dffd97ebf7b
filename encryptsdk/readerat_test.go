package encryptsdk_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
)

// raClient returns a client and an encrypted message of pt.
func raMessage(t testing.TB, id algorithms.ID, frameLen int64, pt []byte) (*encryptsdk.Client, []byte) {
	t.Helper()
	s := suite(t, id)
	c := clientFor(mustAES(t, "ra-ns", "ra-key", testKey(32, 7)), s)
	msg, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: frameLen, EncryptionContext: map[string]string{"purpose": "ra"}})
	if err != nil {
		t.Fatal(err)
	}
	return c, msg
}

func openRA(t testing.TB, c *encryptsdk.Client, msg []byte, opts *encryptsdk.RandomAccessOptions) *encryptsdk.RandomAccessReader {
	t.Helper()
	ra, err := c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), opts)
	if err != nil {
		t.Fatalf("OpenReaderAt: %v", err)
	}
	return ra
}

// checkRange reads [off, off+n) and compares it with pt, following the
// io.ReaderAt rules for reads that reach past the end.
func checkRange(t *testing.T, ra io.ReaderAt, pt []byte, off, n int) {
	t.Helper()
	p := make([]byte, n)
	got, err := ra.ReadAt(p, int64(off))
	want := 0
	if off < len(pt) {
		want = min(n, len(pt)-off)
	}
	if got != want {
		t.Fatalf("ReadAt(%d bytes at %d) = %d bytes, want %d (err %v)", n, off, got, want, err)
	}
	switch {
	case want < n && err != io.EOF:
		t.Fatalf("ReadAt(%d bytes at %d) short read with error %v, want io.EOF", n, off, err)
	case want == n && err != nil && !(err == io.EOF && off+n == len(pt)):
		t.Fatalf("ReadAt(%d bytes at %d): %v", n, off, err)
	}
	if want > 0 && !bytes.Equal(p[:got], pt[off:off+got]) {
		t.Fatalf("ReadAt(%d bytes at %d) returned bytes that differ from the plaintext", n, off)
	}
}

func TestReaderAtRanges(t *testing.T) {
	for _, fl := range []int{1, 128, 4096, 65536} {
		sizes := []int{0, 1, fl - 1, fl, fl + 1, 3 * fl, 3*fl + 7, 200_000}
		if fl == 1 {
			sizes = []int{0, 1, 2, 3, 300, 1000}
		}
		for _, size := range sizes {
			if size < 0 || (fl == 65536 && size > 3*fl+7) {
				continue
			}
			t.Run(fmt.Sprintf("frame%d/size%d", fl, size), func(t *testing.T) {
				pt := plaintext(size, int64(size+fl))
				c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, int64(fl), pt)
				ra := openRA(t, c, msg, nil)
				if ra.Size() != int64(size) {
					t.Fatalf("Size() = %d, want %d", ra.Size(), size)
				}
				if ra.EncryptionContext()["purpose"] != "ra" {
					t.Fatalf("EncryptionContext() = %v", ra.EncryptionContext())
				}
				// Edges: empty ranges, the last byte, past the end, frame
				// boundaries.
				checkRange(t, ra, pt, 0, 0)
				checkRange(t, ra, pt, size, 0)
				checkRange(t, ra, pt, size, 1)
				checkRange(t, ra, pt, size+5, 3)
				checkRange(t, ra, pt, 0, size)
				checkRange(t, ra, pt, 0, size+10)
				if size > 0 {
					checkRange(t, ra, pt, size-1, 1)
					checkRange(t, ra, pt, size-1, 2)
				}
				for b := fl; b < size; b += max(fl, size/5) {
					checkRange(t, ra, pt, b-1, 2)
					checkRange(t, ra, pt, b, min(fl, size-b))
				}
				rng := rand.New(rand.NewPCG(uint64(size), uint64(fl)))
				for range 40 {
					off := rng.IntN(size + 2)
					n := rng.IntN(min(size, 3*fl) + 2)
					checkRange(t, ra, pt, off, n)
				}
				// Read and Seek.
				if size > 2 {
					if _, err := ra.Seek(int64(size/2), io.SeekStart); err != nil {
						t.Fatal(err)
					}
					rest, err := io.ReadAll(ra)
					if err != nil || !bytes.Equal(rest, pt[size/2:]) {
						t.Fatalf("Seek+ReadAll: %d bytes, err %v; want the plaintext from %d", len(rest), err, size/2)
					}
					if _, err := ra.Seek(-1, io.SeekEnd); err != nil {
						t.Fatal(err)
					}
					last, err := io.ReadAll(ra)
					if err != nil || !bytes.Equal(last, pt[size-1:]) {
						t.Fatalf("Seek(-1, End)+ReadAll = %x, %v", last, err)
					}
				}
			})
		}
	}
}

func TestReaderAtConcurrent(t *testing.T) {
	pt := plaintext(50_000, 3)
	c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 128, pt)
	ra := openRA(t, c, msg, &encryptsdk.RandomAccessOptions{CacheFrames: 2})
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 200 {
				off, n := rng.IntN(len(pt)), rng.IntN(600)
				p := make([]byte, n)
				got, err := ra.ReadAt(p, int64(off))
				if err != nil && err != io.EOF {
					done <- err
					return
				}
				if !bytes.Equal(p[:got], pt[off:off+got]) {
					done <- errors.New("concurrent ReadAt returned wrong bytes")
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestReaderAtRefuses(t *testing.T) {
	t.Run("signed", func(t *testing.T) {
		pt := plaintext(10_000, 1)
		c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, 1000, pt)
		_, err := c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), nil)
		errIs(t, err, encryptsdk.ErrSignatureNotVerified, "signed, default")
		errIs(t, err, encryptsdk.ErrSignedMessage, "signed, default")
		ra := openRA(t, c, msg, &encryptsdk.RandomAccessOptions{SkipSignatureVerification: true})
		checkRange(t, ra, pt, 0, len(pt))
		checkRange(t, ra, pt, 999, 1002)
		// Truncating or extending a signed message is refused too.
		for _, m := range [][]byte{msg[:len(msg)-1], append(bytes.Clone(msg), 0), msg[:len(msg)-200]} {
			_, err := c.OpenReaderAt(bg, bytes.NewReader(m), int64(len(m)), &encryptsdk.RandomAccessOptions{SkipSignatureVerification: true})
			if err == nil {
				t.Errorf("signed message of %d bytes (original %d) opened", len(m), len(msg))
			}
		}
		// UnsignedOnly still wins over the option.
		_, err = c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), &encryptsdk.RandomAccessOptions{SkipSignatureVerification: true, DecryptOptions: encryptsdk.DecryptOptions{UnsignedOnly: true}})
		errIs(t, err, encryptsdk.ErrSignedMessage, "UnsignedOnly")
	})
	t.Run("non-framed", func(t *testing.T) {
		s := suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
		c := clientFor(mustAES(t, "ra-ns", "ra-key", testKey(32, 7)), s)
		msg, err := c.EncryptBytes(bg, plaintext(100, 1), &encryptsdk.EncryptOptions{NonFramed: true, Suite: s.ID()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), nil)
		errIs(t, err, encryptsdk.ErrNotFramed, "non-framed")
	})
	t.Run("encryption context", func(t *testing.T) {
		c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 100, plaintext(1000, 1))
		_, err := c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), &encryptsdk.RandomAccessOptions{DecryptOptions: encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"purpose": "other"}}})
		if err == nil {
			t.Fatal("a wrong expected encryption context was accepted")
		}
	})
	t.Run("commitment policy", func(t *testing.T) {
		c, msg := raMessage(t, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256, 100, plaintext(1000, 1))
		c.CommitmentPolicy = encryptsdk.RequireEncryptRequireDecrypt
		_, err := c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), nil)
		errIs(t, err, encryptsdk.ErrCommitmentPolicy, "policy")
	})
	t.Run("header tamper", func(t *testing.T) {
		c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 100, plaintext(1000, 1))
		l := messageLayout(t, c, msg)
		m := bytes.Clone(msg)
		m[l.bodyStart-1] ^= 1
		_, err := c.OpenReaderAt(bg, bytes.NewReader(m), int64(len(m)), nil)
		errIs(t, err, encryptsdk.ErrHeaderAuthentication, "header tag")
	})
}
