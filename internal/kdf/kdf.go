// Package kdf implements the key-derivation function in counter mode of
// NIST SP 800-108r1 (section 4.1) with HMAC-SHA256 or HMAC-SHA384 as the
// pseudorandom function, in the form the AWS Encryption SDK's ECDH and
// hierarchical keyrings use: a 32-bit big-endian counter that starts at 1
// and comes first, then the fixed input data.
package kdf

import (
	"crypto"
	"crypto/fips140"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// MaxLen is the largest output CounterMode derives, in bytes. The keyrings
// need 32 or 64; the bound keeps the length in bits and the counter far
// inside 32 bits.
const MaxLen = 1 << 16

// ErrInvalidInput is wrapped by every error of this package.
var ErrInvalidInput = errors.New("kdf: invalid input")

func newHash(h crypto.Hash) (func() hash.Hash, error) {
	switch h {
	case crypto.SHA256:
		return sha256.New, nil
	case crypto.SHA384:
		return sha512.New384, nil
	}
	return nil, fmt.Errorf("%w: PRF must be HMAC-SHA256 or HMAC-SHA384, not HMAC-%v", ErrInvalidInput, h)
}

// CounterMode derives n bytes from key with the PRF HMAC-h (h is
// crypto.SHA256 or crypto.SHA384):
//
//	K(i) = HMAC(key, uint32be(i) || label || 0x00 || context || uint32be(8n)),  i = 1, 2, ...
//
// and returns the first n bytes of K(1) || K(2) || ... The key must not be
// empty and 0 < n <= MaxLen.
func CounterMode(h crypto.Hash, key, label, context []byte, n int) ([]byte, error) {
	if n <= 0 || n > MaxLen {
		return nil, fmt.Errorf("%w: output length %d is outside 1..%d", ErrInvalidInput, n, MaxLen)
	}
	fixed := make([]byte, 0, len(label)+1+len(context)+4)
	fixed = append(fixed, label...)
	fixed = append(fixed, 0)
	fixed = append(fixed, context...)
	fixed = binary.BigEndian.AppendUint32(fixed, uint32(8*n))
	return CounterModeFixed(h, key, fixed, n)
}

// CounterModeFixed is CounterMode with the fixed input data given whole:
// K(i) = HMAC(key, uint32be(i) || fixedInput). It is the form of the NIST
// CAVP known-answer tests, whose fixed input is opaque.
func CounterModeFixed(h crypto.Hash, key, fixedInput []byte, n int) ([]byte, error) {
	newH, err := newHash(h)
	if err != nil {
		return nil, err
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidInput)
	}
	if len(key) < 14 && fips140.Enforced() {
		// crypto/hmac panics on such keys in FIPS 140-only mode.
		return nil, fmt.Errorf("%w: a %d-byte key is shorter than the 112 bits FIPS 140-only mode (GODEBUG=fips140=only) allows for HMAC", ErrInvalidInput, len(key))
	}
	if n <= 0 || n > MaxLen {
		return nil, fmt.Errorf("%w: output length %d is outside 1..%d", ErrInvalidInput, n, MaxLen)
	}
	mac := hmac.New(newH, key)
	out := make([]byte, 0, n+mac.Size())
	var ctr [4]byte
	for i := uint32(1); len(out) < n; i++ {
		mac.Reset()
		binary.BigEndian.PutUint32(ctr[:], i)
		mac.Write(ctr[:])
		mac.Write(fixedInput)
		out = mac.Sum(out)
	}
	clear(out[n:cap(out)])
	return out[:n], nil
}
