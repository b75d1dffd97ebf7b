package hierarchy

import (
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ProviderID is the key provider ID of the hierarchical keyring's
// encrypted data keys.
const ProviderID = "aws-kms-hierarchy"

// Lengths of the parts of an encrypted data key's ciphertext.
const (
	saltLen    = 16
	ivLen      = 12
	versionLen = 16
	tagLen     = 16
	// overhead is everything but the encrypted data key.
	overhead = saltLen + ivLen + versionLen + tagLen
)

// ErrMalformedEDK is wrapped by the errors about an encrypted data key
// with provider ID "aws-kms-hierarchy" that cannot be parsed.
var ErrMalformedEDK = errors.New("hierarchy: malformed encrypted data key")

// ErrInvalidVersion is wrapped by the errors of [ParseVersion].
var ErrInvalidVersion = errors.New("invalid branch key version (not a UUID)")

// edkParts are the parts of a hierarchical encrypted data key; the slices
// point into the ciphertext.
type edkParts struct {
	branchKeyID []byte // the provider info
	salt, iv    []byte
	version     [versionLen]byte
	wrapped     []byte // encrypted data key || tag
}

// parseEDK parses the provider info and ciphertext of an encrypted data key
// of this keyring for a data key of keyLen bytes.
func parseEDK(providerInfo, ciphertext []byte, keyLen int) (edkParts, error) {
	var p edkParts
	if !utf8.Valid(providerInfo) {
		return p, fmt.Errorf("%w: provider info (branch key ID) is not UTF-8", ErrMalformedEDK)
	}
	if len(ciphertext) != overhead+keyLen {
		return p, fmt.Errorf("%w: ciphertext is %d bytes, want %d for a %d-byte data key", ErrMalformedEDK, len(ciphertext), overhead+keyLen, keyLen)
	}
	p.branchKeyID = providerInfo
	p.salt = ciphertext[:saltLen]
	p.iv = ciphertext[saltLen : saltLen+ivLen]
	copy(p.version[:], ciphertext[saltLen+ivLen:])
	p.wrapped = ciphertext[saltLen+ivLen+versionLen:]
	return p, nil
}

// ParseVersion parses a branch key version, a UUID in its text form
// (8-4-4-4-12 hexadecimal digits, either case), into its 16 bytes.
func ParseVersion(s string) ([versionLen]byte, error) {
	var u [versionLen]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%w: %q", ErrInvalidVersion, s)
	}
	h := make([]byte, 0, 32)
	h = append(h, s[0:8]...)
	h = append(h, s[9:13]...)
	h = append(h, s[14:18]...)
	h = append(h, s[19:23]...)
	h = append(h, s[24:36]...)
	if _, err := hex.Decode(u[:], h); err != nil {
		return u, fmt.Errorf("%w: %q", ErrInvalidVersion, s)
	}
	return u, nil
}

// FormatVersion formats 16 bytes as a UUID in lower case.
func FormatVersion(u [versionLen]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}
