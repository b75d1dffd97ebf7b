// Package algorithms holds the AWS Encryption SDK algorithm suites and the
// cryptography they name: key derivation (HKDF, with and without key
// commitment), the commitment key check, and ECDSA message signatures.
//
// It is pure functions over the standard library: no I/O, no materials, no
// message format.
package algorithms

import (
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// ID is an algorithm suite identifier as it appears in a message header.
type ID uint16

// The eleven algorithm suites of the AWS Encryption SDK message format.
// Names follow the ESDK's canonical names.
const (
	AES_128_GCM_IV12_TAG16_NO_KDF                 ID = 0x0014
	AES_192_GCM_IV12_TAG16_NO_KDF                 ID = 0x0046
	AES_256_GCM_IV12_TAG16_NO_KDF                 ID = 0x0078
	AES_128_GCM_IV12_TAG16_HKDF_SHA256            ID = 0x0114
	AES_192_GCM_IV12_TAG16_HKDF_SHA256            ID = 0x0146
	AES_256_GCM_IV12_TAG16_HKDF_SHA256            ID = 0x0178
	AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256 ID = 0x0214
	AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 ID = 0x0346
	AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 ID = 0x0378
	AES_256_GCM_HKDF_SHA512_COMMIT_KEY            ID = 0x0478
	AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 ID = 0x0578
)

// Sizes shared by every suite.
const (
	IVLen  = 12 // AES-GCM nonce length in bytes
	TagLen = 16 // AES-GCM tag length in bytes
)

// KDF names a suite's key derivation function.
type KDF int

// The key derivation functions used by the ESDK suites.
const (
	KDFIdentity   KDF = iota // the data key is the plaintext data key
	KDFHKDF                  // HKDF with a zero salt and info = suite ID || message ID
	KDFHKDFCommit            // HKDF-SHA512 with the message ID as salt, plus a commitment key
)

// Suite describes one algorithm suite. A Suite is an immutable value:
// [Lookup] and [All] return copies of the package's table, whose fields no
// caller can change, and the zero Suite is no suite (its ID is 0).
type Suite struct {
	id            ID
	messageFormat int
	keyLen        int
	kdf           KDF
	kdfHash       func() hash.Hash
	curve         elliptic.Curve
	signatureHash func() hash.Hash
	suiteDataLen  int
}

// ID is the suite's identifier.
func (s Suite) ID() ID { return s.id }

// MessageFormat is the message format version that carries this suite: 1
// or 2.
func (s Suite) MessageFormat() int { return s.messageFormat }

// KeyLen is the AES key length in bytes; it is also the length of the
// plaintext data key.
func (s Suite) KeyLen() int { return s.keyLen }

// KDF is the suite's key derivation function.
func (s Suite) KDF() KDF { return s.kdf }

// KDFHash returns a new hash of the suite's key derivation, nil for the
// identity KDF.
func (s Suite) KDFHash() hash.Hash {
	if s.kdfHash == nil {
		return nil
	}
	return s.kdfHash()
}

// Curve is the ECDSA curve of the message signature, nil when the suite
// does not sign.
func (s Suite) Curve() elliptic.Curve { return s.curve }

// SignatureHash returns a new hash of the message signature, nil when the
// suite does not sign.
func (s Suite) SignatureHash() hash.Hash {
	if s.signatureHash == nil {
		return nil
	}
	return s.signatureHash()
}

// SuiteDataLen is the length of the header's algorithm suite data (the
// commitment key): 32 for committing suites, otherwise 0.
func (s Suite) SuiteDataLen() int { return s.suiteDataLen }

var suites = [...]Suite{
	{id: 0x0014, messageFormat: 1, keyLen: 16, kdf: KDFIdentity},
	{id: 0x0046, messageFormat: 1, keyLen: 24, kdf: KDFIdentity},
	{id: 0x0078, messageFormat: 1, keyLen: 32, kdf: KDFIdentity},
	{id: 0x0114, messageFormat: 1, keyLen: 16, kdf: KDFHKDF, kdfHash: sha256.New},
	{id: 0x0146, messageFormat: 1, keyLen: 24, kdf: KDFHKDF, kdfHash: sha256.New},
	{id: 0x0178, messageFormat: 1, keyLen: 32, kdf: KDFHKDF, kdfHash: sha256.New},
	{id: 0x0214, messageFormat: 1, keyLen: 16, kdf: KDFHKDF, kdfHash: sha256.New, curve: elliptic.P256(), signatureHash: sha256.New},
	{id: 0x0346, messageFormat: 1, keyLen: 24, kdf: KDFHKDF, kdfHash: sha512.New384, curve: elliptic.P384(), signatureHash: sha512.New384},
	{id: 0x0378, messageFormat: 1, keyLen: 32, kdf: KDFHKDF, kdfHash: sha512.New384, curve: elliptic.P384(), signatureHash: sha512.New384},
	{id: 0x0478, messageFormat: 2, keyLen: 32, kdf: KDFHKDFCommit, kdfHash: sha512.New, suiteDataLen: 32},
	{id: 0x0578, messageFormat: 2, keyLen: 32, kdf: KDFHKDFCommit, kdfHash: sha512.New, curve: elliptic.P384(), signatureHash: sha512.New384, suiteDataLen: 32},
}

var names = map[ID]string{
	0x0014: "AES_128_GCM_IV12_TAG16_NO_KDF",
	0x0046: "AES_192_GCM_IV12_TAG16_NO_KDF",
	0x0078: "AES_256_GCM_IV12_TAG16_NO_KDF",
	0x0114: "AES_128_GCM_IV12_TAG16_HKDF_SHA256",
	0x0146: "AES_192_GCM_IV12_TAG16_HKDF_SHA256",
	0x0178: "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
	0x0214: "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256",
	0x0346: "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
	0x0378: "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
	0x0478: "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
	0x0578: "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
}

// Lookup returns the suite with the given ID. Only the eleven ESDK suites
// exist; any other ID (including the MPL's S3EC and DB-ESDK suites) is an
// error.
func Lookup(id ID) (Suite, error) {
	for i := range suites {
		if suites[i].id == id {
			return suites[i], nil
		}
	}
	return Suite{}, fmt.Errorf("algorithms: unknown algorithm suite 0x%04x", uint16(id))
}

// All returns every ESDK suite, in ascending ID order.
func All() []Suite {
	return append([]Suite(nil), suites[:]...)
}

// String returns the suite's canonical ESDK name, or its hex ID when unknown.
func (id ID) String() string {
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", uint16(id))
}

// ParseID accepts a canonical suite name (as String returns, optionally with
// an "ALG_" prefix, and for the identity-KDF suites also without "_NO_KDF",
// as the Python SDK spells them) or a hexadecimal ID such as "0578" or
// "0x0578".
func ParseID(s string) (ID, error) {
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "ALG_")
	for id, n := range names {
		// The Python SDK names the identity-KDF suites without "_NO_KDF".
		if n == name || n == name+"_NO_KDF" && strings.HasSuffix(name, "_TAG16") {
			return id, nil
		}
	}
	hex := strings.TrimPrefix(strings.TrimPrefix(name, "0X"), "0x")
	if v, err := strconv.ParseUint(hex, 16, 16); err == nil && len(hex) == 4 {
		if _, err := Lookup(ID(v)); err == nil {
			return ID(v), nil
		}
	}
	return 0, fmt.Errorf("algorithms: unknown algorithm suite %q", s)
}

// String returns the suite's canonical name.
func (s Suite) String() string { return s.id.String() }

// Committing reports whether the suite uses key commitment (message format 2).
func (s Suite) Committing() bool { return s.kdf == KDFHKDFCommit }

// Signed reports whether messages of this suite carry an ECDSA signature.
func (s Suite) Signed() bool { return s.curve != nil }

// MessageIDLen is the length of the header's message ID: 16 bytes in
// format 1, 32 in format 2.
func (s Suite) MessageIDLen() int {
	if s.messageFormat == 2 {
		return 32
	}
	return 16
}

// SignatureLen is the length of the DER signatures this library writes for
// the suite (71 for P-256, 103 for P-384), the fixed length the Python, Java
// and C SDKs also use; 0 for unsigned suites.
func (s Suite) SignatureLen() int {
	switch s.curve {
	case nil:
		return 0
	case elliptic.P256():
		return 71
	default:
		return 103
	}
}
