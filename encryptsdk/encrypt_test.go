package encryptsdk_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

func TestPlaintextLength(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	pt := plaintext(100, 1)
	for _, nonFramed := range []bool{false, true} {
		opts := &encryptsdk.EncryptOptions{PlaintextLength: 100, FrameLength: 32, NonFramed: nonFramed}
		name := fmt.Sprintf("non-framed %v", nonFramed)

		// Exactly the declared length.
		var buf bytes.Buffer
		e, err := c.Encrypt(bg, &buf, opts)
		if err != nil {
			t.Fatal(err)
		}
		e.Write(pt[:40])
		e.Write(pt[40:])
		if err := e.Close(); err != nil {
			t.Fatalf("%s: exact length: %v", name, err)
		}
		if got, _, err := c.DecryptBytes(bg, buf.Bytes(), nil); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: exact length: %v", name, err)
		}

		// One byte too many, in one Write or across Writes.
		for _, split := range []int{101, 60} {
			e, err := c.Encrypt(bg, io.Discard, opts)
			if err != nil {
				t.Fatal(err)
			}
			long := plaintext(101, 2)
			_, err1 := e.Write(long[:split])
			_, err2 := e.Write(long[split:])
			if err := errors.Join(err1, err2); !errors.Is(err, encryptsdk.ErrPlaintextLength) {
				t.Errorf("%s: 101 bytes (split %d): Write errors %v, %v", name, split, err1, err2)
			}
			errIs(t, e.Close(), encryptsdk.ErrPlaintextLength, name+": Close after too many bytes")
		}

		// Too few.
		e, err = c.Encrypt(bg, io.Discard, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Write(pt[:99]); err != nil {
			t.Fatal(err)
		}
		errIs(t, e.Close(), encryptsdk.ErrPlaintextLength, name+": 99 bytes")
		errIs(t, e.Close(), encryptsdk.ErrPlaintextLength, name+": second Close")

		// The one-shot API checks a declared length too.
		_, err = c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{PlaintextLength: 99, NonFramed: nonFramed})
		errIs(t, err, encryptsdk.ErrPlaintextLength, name+": EncryptBytes")
	}
}

// closeRecorder is a destination that records whether it was closed.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestEncryptorLifecycle(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	var dst closeRecorder
	e, err := c.Encrypt(bg, &dst, &encryptsdk.EncryptOptions{FrameLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	headerLen := dst.Len()
	if headerLen == 0 {
		t.Error("Encrypt did not write the header")
	}
	if _, err := e.Write([]byte("lifecycle")); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if dst.closed {
		t.Error("Close closed the destination")
	}
	n := dst.Len()
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if k, err := e.Write([]byte("more")); k != 0 || !errors.Is(err, encryptsdk.ErrClosed) {
		t.Errorf("Write after Close: %d, %v", k, err)
	}
	if dst.Len() != n {
		t.Error("writes after Close reached the destination")
	}
	if got, _, err := c.DecryptBytes(bg, dst.Bytes(), nil); err != nil || string(got) != "lifecycle" {
		t.Errorf("%q, %v", got, err)
	}
	// Write keeps no reference to its argument.
	var buf bytes.Buffer
	e, _ = c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{FrameLength: 4096})
	p := []byte("volatile input")
	e.Write(p)
	copy(p, "XXXXXXXXXXXXXX")
	e.Close()
	if got, _, err := c.DecryptBytes(bg, buf.Bytes(), nil); err != nil || string(got) != "volatile input" {
		t.Errorf("input changed after Write: %q, %v", got, err)
	}
}

func TestAppendEncryptDecrypt(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	pt := plaintext(5000, 5)
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		opts := &encryptsdk.EncryptOptions{Suite: id, FrameLength: 1000}
		msg, err := c.AppendEncrypt(bg, []byte("prefix:"), pt, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(msg, []byte("prefix:")) {
			t.Fatal("AppendEncrypt lost the prefix")
		}
		ct := msg[len("prefix:"):]
		out, _, err := c.AppendDecrypt(bg, []byte("pre"), ct, nil)
		if err != nil || string(out[:3]) != "pre" || !bytes.Equal(out[3:], pt) {
			t.Fatalf("%v: AppendDecrypt: %v", id, err)
		}

		// On failure the destination keeps its length, and the plaintext of
		// frames that did verify does not stay behind in its spare capacity.
		bad := bytes.Clone(ct)
		bad[len(bad)-1] ^= 1
		dst := make([]byte, 3, 3+len(ct))
		copy(dst, "pre")
		out, d, err := c.AppendDecrypt(bg, dst, bad, nil)
		if err == nil || d != nil || string(out) != "pre" {
			t.Fatalf("%v: tampered: %q, %v", id, out, err)
		}
		for i, b := range dst[3:cap(dst)] {
			if b != 0 {
				t.Fatalf("%v: plaintext left in the destination's spare capacity at %d", id, i)
			}
		}
		// Encrypt errors leave dst unchanged.
		out, err = c.AppendEncrypt(bg, []byte("keep"), pt, &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256})
		if err == nil || string(out) != "keep" {
			t.Errorf("AppendEncrypt with a forbidden suite: %q, %v", out, err)
		}
	}
}

// TestDecryptBytesSizesItsResult: a one-shot decryption allocates for the
// plaintext the body can hold (format.Header.MaxPlaintextLen), not for the
// whole body: at most 8 bytes more than the plaintext for an unsigned
// message, framed or not, and at most the footer more for a signed one. Frame lengths and sizes
// cover empty, partial and full final frames.
func TestDecryptBytesSizesItsResult(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 1)))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, fl := range []int64{0, 1, 100, 4096} {
			for _, n := range []int{0, 1, 99, 100, 101, 300, 5000, 70000} {
				if fl == 1 && n > 5000 {
					continue
				}
				pt := plaintext(n, 7)
				msg, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: fl, NonFramed: fl == 0})
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := c.DecryptBytes(bg, msg, nil)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%v, frame length %d, %d bytes: %v", id, fl, n, err)
				}
				slack := 8 // see format.Header.MaxPlaintextLen
				if id == algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 {
					slack += 2 + 104 // the footer: length and a DER P-384 signature
				}
				if extra := cap(got) - len(got); extra > slack {
					t.Errorf("%v, frame length %d, %d bytes: the result has %d bytes of spare capacity, want at most %d", id, fl, n, extra, slack)
				}
			}
		}
	}
}

// TestClientConcurrentUse: a Client is safe for concurrent use (run with
// -race).
func TestClientConcurrentUse(t *testing.T) {
	t.Parallel()
	kr := mustMulti(t, mustAES(t, "ns", "k", testKey(32, 1)), mustRSA(t, "rsa-ns", "rsa", keyring.OAEPSHA256))
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 6; i++ {
				pt := plaintext(1000*g+i, int64(g*100+i))
				ec := map[string]string{"g": fmt.Sprint(g), "i": fmt.Sprint(i)}
				ids := []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
				ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: ids[i%2], EncryptionContext: ec, FrameLength: int64(64 + g)})
				if err != nil {
					errs <- err
					return
				}
				d, err := c.Decrypt(bg, bytes.NewReader(ct), &encryptsdk.DecryptOptions{EncryptionContext: ec})
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(d)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("goroutine %d message %d: %d bytes, %v", g, i, len(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLargeStreams round-trips messages big enough to span many frames and
// batches, written and read in uneven pieces.
func TestLargeStreams(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	pt := plaintext(3<<20+123, 77)
	for _, tc := range []struct {
		frame int64
		chunk int
	}{
		{4096, 100_000},
		{4096, 4095},
		{65536, 1 << 20},
		{1000, 3 << 20},
		{1 << 20, 12345},
	} {
		var buf bytes.Buffer
		e, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{FrameLength: tc.frame})
		if err != nil {
			t.Fatal(err)
		}
		want := e.MessageLength(int64(len(pt)))
		for p := pt; len(p) > 0; {
			k := min(tc.chunk, len(p))
			if _, err := e.Write(p[:k]); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if int64(buf.Len()) != want {
			t.Errorf("frame %d: %d bytes, MessageLength %d", tc.frame, buf.Len(), want)
		}
		ct := buf.Bytes()
		d, err := c.Decrypt(bg, bytes.NewReader(ct), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := io.CopyBuffer(&out, io.LimitReader(d, 1<<62), make([]byte, 7777)); err != nil {
			t.Fatalf("frame %d: %v", tc.frame, err)
		}
		if !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("frame %d chunk %d: plaintext differs", tc.frame, tc.chunk)
		}
		// Tamper with a frame in the middle: everything before it comes
		// out, nothing after it.
		l := messageLayout(t, c, ct)
		mid := len(l.frames) / 2
		bad := bytes.Clone(ct)
		bad[l.frames[mid].ctAt] ^= 1
		d, err = c.Decrypt(bg, bytes.NewReader(bad), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		errIs(t, err, encryptsdk.ErrFrameAuthentication, fmt.Sprintf("frame %d tampered", tc.frame))
		if len(got) != mid*int(tc.frame) || !bytes.Equal(got, pt[:len(got)]) {
			t.Errorf("frame %d: released %d bytes, want exactly the %d before frame %d", tc.frame, len(got), mid*int(tc.frame), mid+1)
		}
	}
}

// TestDecryptDoesNotModifyInput: decryption only reads the message, even
// when it fails, and several goroutines may decrypt one message at once.
func TestDecryptDoesNotModifyInput(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	pt := plaintext(300_000, 9)
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{FrameLength: 1024})
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(ct)
	bad := bytes.Clone(ct)
	bad[len(bad)/2] ^= 1
	badOrig := bytes.Clone(bad)

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				if got, _, err := c.DecryptBytes(bg, ct, nil); err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("DecryptBytes: %v", err)
				}
				if _, _, err := c.DecryptBytes(bg, bad, nil); err == nil {
					errs <- errors.New("tampered message decrypted")
				}
				d, err := c.Decrypt(bg, bytes.NewReader(ct), nil)
				if err != nil {
					errs <- err
					continue
				}
				if n, err := io.Copy(io.Discard, d); err != nil || n != int64(len(pt)) {
					errs <- fmt.Errorf("Decrypt: %d bytes, %v", n, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !bytes.Equal(ct, orig) || !bytes.Equal(bad, badOrig) {
		t.Error("decryption modified the message")
	}
}

// TestDecryptBytesDoesNotRetainMessage: what DecryptBytes returns stays
// valid when the caller reuses the message buffer afterwards (nothing in
// its documentation says the result aliases message).
func TestDecryptBytesDoesNotRetainMessage(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	ct, err := c.EncryptBytes(bg, []byte("reused buffer"), &encryptsdk.EncryptOptions{EncryptionContext: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Clone(ct)
	got, d, err := c.DecryptBytes(bg, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := d.Header()
	id, suiteData := bytes.Clone(h.MessageID), bytes.Clone(h.SuiteData)
	edk := d.DataKey()
	info, wrapped := bytes.Clone(edk.ProviderInfo), bytes.Clone(edk.Ciphertext)
	raw, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}

	for i := range msg { // the caller reuses its buffer
		msg[i] = 0xAA
	}

	if string(got) != "reused buffer" {
		t.Errorf("plaintext changed to %q", got)
	}
	if !bytes.Equal(h.MessageID, id) || !bytes.Equal(h.SuiteData, suiteData) {
		t.Error("Header().MessageID or SuiteData changed when the message buffer was reused")
	}
	if !bytes.Equal(edk.ProviderInfo, info) || !bytes.Equal(edk.Ciphertext, wrapped) ||
		!bytes.Equal(d.DataKey().ProviderInfo, info) || !bytes.Equal(h.EncryptedDataKeys[0].Ciphertext, wrapped) {
		t.Error("DataKey() or Header().EncryptedDataKeys changed when the message buffer was reused")
	}
	if raw2, err := h.AppendBinary(nil); err != nil || !bytes.Equal(raw, raw2) {
		t.Errorf("Header() serializes differently after the message buffer was reused (%v)", err)
	}
	if d.EncryptionContext()["a"] != "b" {
		t.Error("EncryptionContext changed")
	}
}

// TestLargeOneShot: one-shot messages large enough to be sealed and opened
// by several goroutines (and, when signed, hashed on a goroutine of their
// own) with every concurrency, including more workers than processors;
// each side reads what the other writes, and a tampered frame or
// signature fails the whole message with nothing returned.
func TestLargeOneShot(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, workers := range []int{1, 2, 4} {
			for _, n := range []int{3<<20 + 123, 2 << 20} {
				c := encryptsdk.New(kr)
				c.Concurrency = workers
				name := fmt.Sprintf("%v, %d workers, %d bytes", id, workers, n)
				pt := plaintext(n, int64(n+workers))
				opts := &encryptsdk.EncryptOptions{Suite: id}
				ct, err := c.EncryptBytes(bg, pt, opts)
				if err != nil {
					t.Fatal(err)
				}
				// The one-shot message reads back as a stream...
				d, err := c.Decrypt(bg, bytes.NewReader(ct), nil)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := io.ReadAll(d); err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%s: streaming decrypt of a one-shot message: %v", name, err)
				}
				// ...and a streamed message reads back one-shot.
				var buf bytes.Buffer
				e, err := c.Encrypt(bg, &buf, opts)
				if err != nil {
					t.Fatal(err)
				}
				for p := pt; len(p) > 0; p = p[min(len(p), 100_000):] {
					e.Write(p[:min(len(p), 100_000)])
				}
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
				if got, _, err := c.DecryptBytes(bg, buf.Bytes(), nil); err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%s: one-shot decrypt of a streamed message: %v", name, err)
				}

				l := messageLayout(t, c, ct)
				for _, at := range []int{l.frames[len(l.frames)/2].ctAt, len(ct) - 1} {
					bad := bytes.Clone(ct)
					bad[at] ^= 1
					dst := make([]byte, 3, 10)
					got, _, err := c.AppendDecrypt(bg, dst, bad, nil)
					if err == nil {
						t.Fatalf("%s: byte %d flipped, decrypted anyway", name, at)
					}
					if len(got) != 3 {
						t.Errorf("%s: byte %d flipped: %d bytes returned", name, at, len(got)-3)
					}
				}
			}
		}
	}
}
