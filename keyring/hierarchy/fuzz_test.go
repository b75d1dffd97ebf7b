package hierarchy

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzParseEDK: the encrypted data key parser never panics, accepts exactly
// UTF-8 provider info with a ciphertext of the right length, and its parts
// put together give the ciphertext back.
func FuzzParseEDK(f *testing.F) {
	f.Add([]byte("bd3842ff-3076-4092-9918-4395730050b8"), bytes.Repeat([]byte{1}, 92), 32)
	f.Add([]byte{0xff}, bytes.Repeat([]byte{1}, 76), 16)
	f.Add([]byte(""), []byte{}, 24)
	f.Fuzz(func(t *testing.T, info, ct []byte, keyLen int) {
		keyLen = keyLen & 63
		p, err := parseEDK(info, ct, keyLen)
		ok := utf8.Valid(info) && len(ct) == overhead+keyLen
		if (err == nil) != ok {
			t.Fatalf("parseEDK(%x, %d bytes, %d): %v", info, len(ct), keyLen, err)
		}
		if err != nil {
			return
		}
		joined := append(append(append(append([]byte{}, p.salt...), p.iv...), p.version[:]...), p.wrapped...)
		if !bytes.Equal(joined, ct) || !bytes.Equal(p.branchKeyID, info) || len(p.wrapped) != keyLen+tagLen {
			t.Fatalf("parts do not make up the ciphertext")
		}
		if v, err := ParseVersion(FormatVersion(p.version)); err != nil || v != p.version {
			t.Fatalf("version %x does not round-trip: %v", p.version, err)
		}
	})
}
