package materials_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/go-esdk/esdk/materials"
)

// FuzzParseEncryptionContext checks that the parser never panics, that
// whatever it accepts re-serializes to something that parses back to the
// same map, and that canonical input re-serializes byte for byte.
func FuzzParseEncryptionContext(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0xff, 0xff})
	f.Add(serialize("a", "1", "bc", "xyz"))
	f.Add(serialize("b", "2", "a", "1")) // not canonical
	f.Add(serialize("a", "1", "a", "1")) // duplicate
	f.Add(serialize("\uFFFD", "x", "\U0001F600", "y"))
	f.Add(serialize("\U0001F600", "y", "\uFFFD", "x"))
	f.Add(serialize("\xff", "v"))
	f.Add(serialize("", ""))
	f.Add(serialize("aws-crypto-public-key", "A2W1ovjrSWaWx/9I2SZxKQ2mSEBNn4ZC2wmCRjD+/KCySqgPf6wvbCQ5cY0D+84J7Q==", "purpose", "test"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ec, off, err := materials.ParseEncryptionContext(b)
		if err != nil {
			if ec != nil {
				t.Fatalf("error %v with a non-nil context", err)
			}
			if off < 0 || off > len(b) {
				t.Fatalf("error offset %d outside the %d-byte input", off, len(b))
			}
			if !errors.Is(err, materials.ErrMalformedEncryptionContext) {
				t.Fatalf("error %v does not wrap ErrMalformedEncryptionContext", err)
			}
			return
		}
		if ec == nil {
			t.Fatal("nil context without an error")
		}
		out, err := ec.MarshalBinary()
		if err != nil {
			// Everything that fits in a header's AAD section (at most
			// MaxSerializedLen bytes) fits when written. ParseEncryptionContext
			// itself does not bound its input, so a longer input can parse
			// into a context that MarshalBinary refuses (see
			// TestParseLongerThanSerializable).
			if len(b) <= materials.MaxSerializedLen {
				t.Fatalf("accepted %x but MarshalBinary fails: %v", b, err)
			}
			return
		}
		again, _, err := materials.ParseEncryptionContext(out)
		if err != nil || !again.Equal(ec) {
			t.Fatalf("re-parse of MarshalBinary: %q, %v; want %q", again, err, ec)
		}
		if isCanonical(b) && !bytes.Equal(out, b) {
			t.Fatalf("canonical input %x re-serialized as %x", b, out)
		}
		if len(out) > len(b) {
			t.Fatalf("re-serialization %d bytes is longer than the %d-byte input", len(out), len(b))
		}
	})
}

// isCanonical reports whether a successfully parsed serialization has its
// keys in strictly ascending byte order (and is not the legacy 00 00 form,
// which canonically is empty).
func isCanonical(b []byte) bool {
	if len(b) < 2 || (b[0] == 0 && b[1] == 0) {
		return len(b) == 0
	}
	p := 2
	prev := ""
	for i := 0; p < len(b); i++ {
		n := int(b[p])<<8 | int(b[p+1])
		k := string(b[p+2 : p+2+n])
		p += 2 + n
		n = int(b[p])<<8 | int(b[p+1])
		p += 2 + n
		if i > 0 && k <= prev {
			return false
		}
		prev = k
	}
	return true
}
