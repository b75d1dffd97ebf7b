package encryptsdk_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
)

// smallMessage is a 40-byte plaintext in 16-byte frames (two regular
// frames and a final frame of 8 bytes) of suite s, with its client.
func smallMessage(t testing.TB, s algorithms.Suite) (*encryptsdk.Client, []byte, []byte) {
	t.Helper()
	kr := mustAES(t, "tamper-ns", "tamper-key", testKey(32, 7))
	c := clientFor(kr, s)
	pt := plaintext(40, int64(s.ID()))
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{
		Suite: s.ID(), FrameLength: 16, EncryptionContext: map[string]string{"purpose": "tamper test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, pt, ct
}

// region names the part of a small message that holds offset off, and the
// error a modification there must produce (nil: any error).
func region(s algorithms.Suite, l layout, off int) (string, error) {
	switch {
	case s.Committing() && off >= l.hdrLen-s.SuiteDataLen() && off < l.hdrLen:
		return "commitment key", encryptsdk.ErrCommitmentMismatch
	case off < l.hdrLen:
		return "header body", nil
	case off < l.bodyStart:
		return "header authentication", encryptsdk.ErrHeaderAuthentication
	case off >= l.footer+2:
		return "signature", encryptsdk.ErrSignature
	case off >= l.footer:
		return "signature length", nil
	}
	for i, f := range l.frames {
		if off >= f.start && off < f.end {
			if off >= f.ivAt && off < f.ivAt+algorithms.IVLen || off >= f.ctAt {
				return fmt.Sprintf("frame %d IV, content or tag", i+1), encryptsdk.ErrFrameAuthentication
			}
			return fmt.Sprintf("frame %d header", i+1), nil
		}
	}
	panic("offset outside the message")
}

// TestBitFlips flips every bit of a small message of each suite: every
// flip must make decryption fail, with the error of the part it hit.
func TestBitFlips(t *testing.T) {
	for _, s := range algorithms.All() {
		t.Run(hexID(s.ID()), func(t *testing.T) {
			t.Parallel()
			c, pt, ct := smallMessage(t, s)
			l := messageLayout(t, c, ct)
			if len(l.frames) != 3 || l.frames[2].ptLen != 8 {
				t.Fatalf("want 2 regular frames and a final frame of 8 bytes, got %+v", l.frames)
			}
			if got, _, err := c.DecryptBytes(bg, ct, nil); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("untampered message: %v", err)
			}
			msg := bytes.Clone(ct)
			failures := 0
			for off := range msg {
				where, want := region(s, l, off)
				for bit := 0; bit < 8; bit++ {
					msg[off] ^= 1 << bit
					got, d, err := c.DecryptBytes(bg, msg, nil)
					msg[off] ^= 1 << bit
					switch {
					case err == nil:
						t.Errorf("byte %d (%s) bit %d: decrypted to %d bytes", off, where, bit, len(got))
					case len(got) != 0 || d != nil:
						t.Errorf("byte %d (%s) bit %d: %v, but returned %d bytes and a Decryptor", off, where, bit, err, len(got))
					case want != nil && !errors.Is(err, want):
						t.Errorf("byte %d (%s) bit %d: %v, want %v", off, where, bit, err, want)
					default:
						continue
					}
					if failures++; failures > 10 {
						t.Fatal("too many failures")
					}
				}
			}
			if !bytes.Equal(msg, ct) {
				t.Fatal("test bug: message not restored")
			}
		})
	}
}

// TestTruncation cuts a small message of each suite at every offset: both
// the one-shot and the streaming API must fail with a truncation error,
// and the streaming API must never report io.EOF.
func TestTruncation(t *testing.T) {
	for _, s := range algorithms.All() {
		t.Run(hexID(s.ID()), func(t *testing.T) {
			t.Parallel()
			c, pt, ct := smallMessage(t, s)
			for n := 0; n < len(ct); n++ {
				got, _, err := c.DecryptBytes(bg, ct[:n], nil)
				if err == nil || len(got) != 0 {
					t.Fatalf("cut at %d of %d: DecryptBytes returned %d bytes, %v", n, len(ct), len(got), err)
				}
				errIs(t, err, encryptsdk.ErrTruncated, fmt.Sprintf("cut at %d", n))
				if pe := parseError(t, err, fmt.Sprintf("cut at %d", n)); pe != nil && (pe.Field == "" || pe.Offset < 0 || pe.Offset > int64(n)) {
					t.Errorf("cut at %d: ParseError field %q offset %d", n, pe.Field, pe.Offset)
				}

				d, err := c.Decrypt(bg, bytes.NewReader(ct[:n]), nil)
				if err != nil {
					errIs(t, err, encryptsdk.ErrTruncated, fmt.Sprintf("streaming cut at %d", n))
					continue
				}
				out, err := io.ReadAll(d)
				if err == nil {
					t.Fatalf("streaming cut at %d: read %d bytes and io.EOF", n, len(out))
				}
				errIs(t, err, encryptsdk.ErrTruncated, fmt.Sprintf("streaming cut at %d", n))
				if !bytes.HasPrefix(pt, out) {
					t.Fatalf("streaming cut at %d: released bytes are not a prefix of the plaintext", n)
				}
			}
		})
	}
}

// TestTrailingData appends bytes after a valid message.
func TestTrailingData(t *testing.T) {
	for _, s := range algorithms.All() {
		t.Run(hexID(s.ID()), func(t *testing.T) {
			t.Parallel()
			c, pt, ct := smallMessage(t, s)
			for name, extra := range map[string][]byte{
				"zero byte":      {0},
				"0xff byte":      {0xff},
				"second message": ct,
			} {
				msg := append(bytes.Clone(ct), extra...)
				got, _, err := c.DecryptBytes(bg, msg, nil)
				if err == nil || len(got) != 0 {
					t.Errorf("%s: DecryptBytes returned %d bytes, %v", name, len(got), err)
				}
				errIs(t, err, encryptsdk.ErrTrailingData, name)
				if pe := parseError(t, err, name); pe != nil && pe.Offset != int64(len(ct)) {
					t.Errorf("%s: error at offset %d, want %d", name, pe.Offset, len(ct))
				}

				for _, buffer := range []bool{false, true} {
					d, err := c.Decrypt(bg, bytes.NewReader(msg), &encryptsdk.DecryptOptions{BufferUntilVerified: buffer})
					if err != nil {
						t.Fatal(err)
					}
					out, err := io.ReadAll(d)
					errIs(t, err, encryptsdk.ErrTrailingData, name+" streaming")
					// The final frame (the last 8 bytes) is never released.
					if len(out) > len(pt)-8 || !bytes.HasPrefix(pt, out) || (buffer && len(out) != 0) {
						t.Errorf("%s (buffer %v): released %d bytes", name, buffer, len(out))
					}
				}
			}
		})
	}
}

// TestTruncationParseErrorFields checks that truncation errors name the
// field where the input ended.
func TestTruncationParseErrorFields(t *testing.T) {
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		s := suite(t, id)
		c, _, ct := smallMessage(t, s)
		l := messageLayout(t, c, ct)
		idAt := 4
		if s.MessageFormat() == 2 {
			idAt = 3
		}
		for _, tc := range []struct {
			cut   int
			field string
		}{
			{0, "version"},
			{idAt + 1, "message ID"},
			{l.hdrLen - 1, map[int]string{1: "frame length", 2: "algorithm suite data"}[s.MessageFormat()]},
			{l.hdrLen + 1, "header authentication"},
			{l.frames[0].start + 2, "frame sequence number"},
			{l.frames[0].start + 6, "frame IV"},
			{l.frames[1].ctAt + 3, "frame content"},
			{l.frames[2].start + 10, "final frame header"},
			{l.frames[2].ctAt + 1, "frame content"},
			{l.footer + 1, "footer signature length"},
			{len(ct) - 1, "footer signature"},
		} {
			_, _, err := c.DecryptBytes(bg, ct[:tc.cut], nil)
			errIs(t, err, format.ErrTruncated, fmt.Sprintf("%v cut at %d", id, tc.cut))
			if pe := parseError(t, err, "truncation"); pe != nil && pe.Field != tc.field {
				t.Errorf("%v cut at %d: field %q, want %q (%v)", id, tc.cut, pe.Field, tc.field, err)
			}
		}
		// A cut inside the EDK section names the key.
		edkAt := bytes.Index(ct, []byte("tamper-ns"))
		_, _, err := c.DecryptBytes(bg, ct[:edkAt+3], nil)
		if pe := parseError(t, err, "EDK truncation"); pe != nil && pe.Field != "encrypted data key 0" {
			t.Errorf("%v cut in the EDK: field %q", id, pe.Field)
		}
	}
}
