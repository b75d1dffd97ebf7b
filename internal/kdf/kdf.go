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

// maxFixed32 is the largest label and context, together, that
// CounterModeSHA256x32 derives from without allocating.
const maxFixed32 = 128

// CounterModeSHA256x32 is CounterMode(crypto.SHA256, key, label, context,
// 32), a single block of the PRF, computed without allocating when the key
// is at most 64 bytes (an HMAC-SHA256 block) and label and context together
// are at most 128 bytes; otherwise it falls back to CounterMode. HMAC is
// computed from its definition, H((K ^ opad) || H((K ^ ipad) || m)), in
// buffers on the stack, which are cleared before returning.
func CounterModeSHA256x32(key, label, context []byte) ([32]byte, error) {
	var out [32]byte
	if len(key) == 0 {
		return out, fmt.Errorf("%w: empty key", ErrInvalidInput)
	}
	if len(key) > sha256.BlockSize || len(label)+len(context) > maxFixed32 {
		k, err := CounterMode(crypto.SHA256, key, label, context, 32)
		if err != nil {
			return out, err
		}
		copy(out[:], k)
		clear(k)
		return out, nil
	}
	// Inner: (K ^ ipad) || uint32be(1) || label || 0x00 || context || uint32be(256).
	var in [sha256.BlockSize + 4 + maxFixed32 + 1 + 4]byte
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		in[i] = k ^ 0x36
	}
	n := sha256.BlockSize
	binary.BigEndian.PutUint32(in[n:], 1)
	n += 4
	n += copy(in[n:], label)
	in[n] = 0
	n++
	n += copy(in[n:], context)
	binary.BigEndian.PutUint32(in[n:], 8*32)
	n += 4
	inner := sha256.Sum256(in[:n])
	// Outer: (K ^ opad) || inner.
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[sha256.BlockSize:], inner[:])
	out = sha256.Sum256(outer[:])
	clear(in[:])
	clear(outer[:])
	clear(inner[:])
	return out, nil
}
