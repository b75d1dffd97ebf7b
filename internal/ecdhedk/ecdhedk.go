// Package ecdhedk is the wire format of the AWS Encryption SDK's ECDH
// keyrings (raw ECDH and AWS KMS ECDH): the provider info, the FixedInfo
// of the key derivation, and the wrapping of a data key under a shared
// secret. It holds no keys and makes no key agreement; the keyrings do.
//
// Provider info: 0x01 || u32be(len) || recipient public key || u32be(len)
// || sender public key, both keys SEC 1 compressed points.
//
// Key derivation: NIST SP 800-108 counter mode with HMAC-SHA384 keyed by
// the shared secret Z (the x-coordinate), label = FixedInfo, context = a
// random 32-byte salt, 64 bytes out: a 32-byte commitment key, then a
// 32-byte wrapping key.
//
// FixedInfo: "ecdh-key-derivation" 00 curve ("p256", "p384", "p521") 00
// "HMAC_SHA384" 00 sender || recipient 00 0x01 00 serialized encryption
// context.
//
// Encrypted data key: salt(32) || commitment key(32) || AES-256-GCM
// ciphertext of the data key || tag(16), with an all-zero 12-byte IV and
// FixedInfo as additional data.
package ecdhedk

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-esdk/esdk/internal/kdf"
)

// Provider IDs of the encrypted data keys of the raw ECDH and AWS KMS
// ECDH keyrings. Both keyrings decrypt either.
const (
	ProviderIDRaw = "raw-ecdh"
	ProviderIDKMS = "aws-kms-ecdh"
)

// Sizes of the wire format.
const (
	Version      = 0x01 // the provider info's first byte, also in FixedInfo
	SaltLen      = 32
	CommitKeyLen = 32
	TagLen       = 16
	// Overhead is the length of an encrypted data key beyond the data key.
	Overhead = SaltLen + CommitKeyLen + TagLen
	// MaxProviderInfoLen is the provider info of P-521 keys, the longest.
	MaxProviderInfoLen = 1 + 4 + 67 + 4 + 67
)

// Errors, for use with errors.Is.
var (
	// ErrProviderInfo: the provider info is not the ECDH layout (version,
	// lengths, trailing bytes).
	ErrProviderInfo = errors.New("malformed ECDH provider info")
	// ErrCurve: a key is on a curve other than the one expected, or on a
	// curve the ECDH keyrings do not support.
	ErrCurve = errors.New("ECDH key on the wrong curve")
	// ErrPublicKey: a public key is not a valid point of its curve (not on
	// the curve, the point at infinity, a bad encoding).
	ErrPublicKey = errors.New("invalid ECDH public key")
	// ErrCiphertext: the encrypted data key has the wrong length.
	ErrCiphertext = errors.New("malformed ECDH encrypted data key")
	// ErrCommitment: the commitment key in the encrypted data key is not
	// the one the shared secret derives (another key pair, another
	// encryption context, or tampering).
	ErrCommitment = errors.New("ECDH commitment key does not match")
	// ErrAuthentication: the wrapped data key did not authenticate.
	ErrAuthentication = errors.New("ECDH wrapped data key did not authenticate")
)

// Curve is one of the three curves of the ECDH keyrings.
type Curve struct {
	// Name is the curve's name in FixedInfo: p256, p384 or p521.
	Name string
	// ECDH and Elliptic are the standard library's views of the curve.
	ECDH     ecdh.Curve
	Elliptic elliptic.Curve
	// CompressedLen is the length of a compressed point.
	CompressedLen int
}

// The three curves.
var (
	P256 = &Curve{"p256", ecdh.P256(), elliptic.P256(), 33}
	P384 = &Curve{"p384", ecdh.P384(), elliptic.P384(), 49}
	P521 = &Curve{"p521", ecdh.P521(), elliptic.P521(), 67}
)

// CurveOf returns the Curve of c, or an error wrapping ErrCurve for a
// curve other than P-256, P-384 and P-521.
func CurveOf(c ecdh.Curve) (*Curve, error) {
	for _, k := range []*Curve{P256, P384, P521} {
		if k.ECDH == c {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: %v is not supported (P-256, P-384 and P-521 are)", ErrCurve, c)
}

func (c *Curve) String() string { return c.Elliptic.Params().Name }

// Compress returns the SEC 1 compressed form of pub, a key of this curve.
func (c *Curve) Compress(pub *ecdh.PublicKey) []byte {
	b := pub.Bytes() // 04 || X || Y
	n := (len(b) - 1) / 2
	out := make([]byte, 1+n)
	out[0] = 2 | b[len(b)-1]&1
	copy(out[1:], b[1:1+n])
	return out
}

// Decompress parses a compressed point of this curve. A point of another
// length wraps ErrCurve; one that is not on the curve (or any other bad
// encoding) wraps ErrPublicKey.
func (c *Curve) Decompress(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != c.CompressedLen {
		return nil, fmt.Errorf("%w: a compressed %v point is %d bytes, not %d", ErrCurve, c, c.CompressedLen, len(b))
	}
	x, y := elliptic.UnmarshalCompressed(c.Elliptic, b)
	if x == nil {
		return nil, fmt.Errorf("%w: not a compressed point on %v", ErrPublicKey, c)
	}
	n := (c.Elliptic.Params().BitSize + 7) / 8
	u := make([]byte, 1+2*n)
	u[0] = 4
	x.FillBytes(u[1 : 1+n])
	y.FillBytes(u[1+n:])
	pub, err := c.ECDH.NewPublicKey(u)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPublicKey, err)
	}
	return pub, nil
}

// AppendProviderInfo appends the provider info of an encrypted data key
// for recipient from sender (both compressed points) to b.
func AppendProviderInfo(b, recipient, sender []byte) []byte {
	b = append(b, Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(recipient)))
	b = append(b, recipient...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sender)))
	return append(b, sender...)
}

// ParseProviderInfo splits a provider info into the recipient's and the
// sender's compressed public keys (sub-slices of info). It checks the
// layout only: the version byte, that each length is that of a compressed
// point of a supported curve and lies inside info, that both keys have
// the same length and that nothing follows. Every error wraps
// ErrProviderInfo.
func ParseProviderInfo(info []byte) (recipient, sender []byte, err error) {
	fail := func(format string, args ...any) ([]byte, []byte, error) {
		return nil, nil, fmt.Errorf("%w: %s", ErrProviderInfo, fmt.Sprintf(format, args...))
	}
	if len(info) > MaxProviderInfoLen {
		return fail("%d bytes, longer than the %d of P-521 keys", len(info), MaxProviderInfoLen)
	}
	if len(info) < 1 {
		return fail("empty")
	}
	if info[0] != Version {
		return fail("version byte is 0x%02x, want 0x%02x", info[0], Version)
	}
	rest := info[1:]
	key := func(what string, off int) ([]byte, error) {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: %s key length at offset %d: input ends", ErrProviderInfo, what, off)
		}
		n := binary.BigEndian.Uint32(rest)
		if n != 33 && n != 49 && n != 67 {
			return nil, fmt.Errorf("%w: %s key length %d at offset %d is not that of a compressed P-256, P-384 or P-521 point", ErrProviderInfo, what, n, off)
		}
		if uint64(n) > uint64(len(rest)-4) {
			return nil, fmt.Errorf("%w: %s key of %d bytes at offset %d runs past the end (%d bytes left)", ErrProviderInfo, what, n, off+4, len(rest)-4)
		}
		k := rest[4 : 4+n]
		rest = rest[4+n:]
		return k, nil
	}
	if recipient, err = key("recipient", 1); err != nil {
		return nil, nil, err
	}
	if sender, err = key("sender", 1+4+len(recipient)); err != nil {
		return nil, nil, err
	}
	if len(rest) != 0 {
		return fail("%d trailing bytes", len(rest))
	}
	if len(recipient) != len(sender) {
		return fail("recipient key is %d bytes, sender key %d: not the same curve", len(recipient), len(sender))
	}
	return recipient, sender, nil
}

// FixedInfo returns the FixedInfo of the key derivation for a data key
// wrapped by sender for recipient (compressed points) on curve c, bound to
// the serialized encryption context ec.
func FixedInfo(c *Curve, sender, recipient, ec []byte) []byte {
	const label, prf = "ecdh-key-derivation", "HMAC_SHA384"
	b := make([]byte, 0, len(label)+len(c.Name)+len(prf)+len(sender)+len(recipient)+len(ec)+6)
	b = append(b, label...)
	b = append(b, 0)
	b = append(b, c.Name...)
	b = append(b, 0)
	b = append(b, prf...)
	b = append(b, 0)
	b = append(b, sender...)
	b = append(b, recipient...)
	b = append(b, 0, Version, 0)
	return append(b, ec...)
}

// derive returns the commitment key and the AES-256 wrapping block
// cipher for shared secret z.
func derive(z, fixedInfo, salt []byte) (commit []byte, block cipher.Block, err error) {
	km, err := kdf.CounterMode(crypto.SHA384, z, fixedInfo, salt, CommitKeyLen+32)
	if err != nil {
		return nil, nil, err
	}
	defer clear(km[CommitKeyLen:])
	block, err = aes.NewCipher(km[CommitKeyLen:])
	if err != nil {
		return nil, nil, err
	}
	return km[:CommitKeyLen], block, nil
}

// Wrap encrypts the data key pdk under shared secret z and returns the
// encrypted data key's ciphertext: salt || commitment key || ciphertext
// || tag.
func Wrap(z, fixedInfo, pdk []byte) ([]byte, error) {
	out := make([]byte, SaltLen, Overhead+len(pdk))
	rand.Read(out)
	commit, block, err := derive(z, fixedInfo, out[:SaltLen])
	if err != nil {
		return nil, err
	}
	// The wrapping IV is all zeros (each wrapping key is used once). Go's
	// FIPS 140-only mode refuses AES-GCM with a caller-chosen IV, so this
	// fails there; the keyrings refuse to wrap in that mode up front.
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	out = append(out, commit...)
	var iv [12]byte
	return aead.Seal(out, iv[:], pdk, fixedInfo), nil
}

// Unwrap decrypts the ciphertext of an encrypted data key made by Wrap and
// returns the keyLen-byte data key. The commitment key is compared in
// constant time before the data key is decrypted.
func Unwrap(z, fixedInfo, ct []byte, keyLen int) ([]byte, error) {
	if len(ct) != Overhead+keyLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d for a %d-byte data key", ErrCiphertext, len(ct), Overhead+keyLen, keyLen)
	}
	commit, block, err := derive(z, fixedInfo, ct[:SaltLen])
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(commit, ct[SaltLen:SaltLen+CommitKeyLen]) != 1 {
		return nil, ErrCommitment
	}
	// Go's AES-GCM with random nonces reads the IV in front of the
	// ciphertext, whatever it is: opening with it is approved in FIPS
	// 140-only mode, where AES-GCM with a caller-chosen IV is refused.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	in := make([]byte, 12, 12+len(ct)-SaltLen-CommitKeyLen) // the zero IV
	in = append(in, ct[SaltLen+CommitKeyLen:]...)
	pdk, err := aead.Open(in[:0], nil, in, fixedInfo)
	if err != nil {
		return nil, ErrAuthentication
	}
	return pdk, nil
}
