package algorithms

import (
	"crypto"
	"crypto/fips140"
	"crypto/rsa"
	"errors"
	"fmt"
)

// ErrFIPSUnapproved is wrapped by the errors of operations and
// configurations that FIPS 140-only mode (GODEBUG=fips140=only) refuses
// because Go's FIPS 140-3 module offers no approved way to do them. The
// wrapping error names the reason.
var ErrFIPSUnapproved = errors.New("not approved in FIPS 140-only mode (GODEBUG=fips140=only)")

// ErrFIPSEncrypt is the error encryption returns in FIPS 140-only mode. It
// wraps [ErrFIPSUnapproved].
//
// The message format makes each frame's AES-GCM IV from its sequence
// number. Go's module approves AES-GCM encryption only with IVs it builds
// itself: random ones (cipher.NewGCMWithRandomNonce) or, in the
// proposal golang/go#73110 (cipher.NewGCMWithCounterNonce), counter ones,
// which would fit the format. Until that API exists no approved public Go
// API can write the message format's frames.
var ErrFIPSEncrypt = fmt.Errorf("%w: encryption: the message format's AES-GCM frame IVs are sequence numbers, and Go has no approved AES-GCM API with counter IVs yet (proposal golang/go#73110, cipher.NewGCMWithCounterNonce)", ErrFIPSUnapproved)

// FIPSOnly reports whether FIPS 140-only mode is enforced
// (GODEBUG=fips140=only, see [crypto/fips140.Enforced]): then
// non-approved cryptography fails, and this module refuses up front, with
// errors wrapping [ErrFIPSUnapproved], what it cannot do with approved
// services.
func FIPSOnly() bool { return fips140.Enforced() }

// FIPSUnapproved returns an error wrapping [ErrFIPSUnapproved] that names
// what is refused and why.
func FIPSUnapproved(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFIPSUnapproved, fmt.Sprintf(format, args...))
}

// CheckFIPSRSA returns nil outside FIPS 140-only mode. In that mode it
// refuses, with an error wrapping [ErrFIPSUnapproved], what Go's module
// would refuse when the key is used: PKCS #1 v1.5 encryption (oaepHash 0),
// OAEP with a hash other than SHA-2 (SHA-1), and keys shorter than 2048
// bits, of odd size, or with an even public exponent or one at most 2^16.
// pub may be nil (no key to check).
func CheckFIPSRSA(pub *rsa.PublicKey, oaepHash crypto.Hash) error {
	if !FIPSOnly() {
		return nil
	}
	switch oaepHash {
	case 0:
		return FIPSUnapproved("RSA PKCS #1 v1.5 encryption is not an approved key transport (use OAEP with SHA-256 or larger)")
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return FIPSUnapproved("RSA-OAEP with %v is not approved (use OAEP with SHA-256 or larger)", oaepHash)
	}
	if pub == nil {
		return nil
	}
	if pub.N == nil {
		return errors.New("RSA public key has no modulus")
	}
	switch bits := pub.N.BitLen(); {
	case bits < 2048:
		return FIPSUnapproved("RSA keys of %d bits are not approved (2048 or more)", bits)
	case bits%2 == 1:
		return FIPSUnapproved("RSA keys of odd size (%d bits) are not approved", bits)
	}
	if pub.E <= 1<<16 || pub.E%2 == 0 {
		return FIPSUnapproved("RSA public exponent %d is not approved (odd and greater than 2^16)", pub.E)
	}
	return nil
}
