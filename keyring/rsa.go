package keyring

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// Padding is an RSA encryption padding scheme for [RawRSA].
type Padding int

// The five paddings of the ESDK raw RSA keyring. OAEP uses MGF1 with the
// same hash as OAEP and an empty label.
const (
	PKCS1 Padding = iota + 1
	OAEPSHA1
	OAEPSHA256
	OAEPSHA384
	OAEPSHA512
)

var paddingNames = map[Padding]string{PKCS1: "pkcs1", OAEPSHA1: "oaep-sha1", OAEPSHA256: "oaep-sha256", OAEPSHA384: "oaep-sha384", OAEPSHA512: "oaep-sha512"}

// String returns the padding's name: pkcs1, oaep-sha1, oaep-sha256, ...
func (p Padding) String() string {
	if n, ok := paddingNames[p]; ok {
		return n
	}
	return fmt.Sprintf("Padding(%d)", int(p))
}

// ParsePadding accepts the names String returns.
func ParsePadding(s string) (Padding, error) {
	for p, n := range paddingNames {
		if n == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("keyring: unknown RSA padding %q (want pkcs1, oaep-sha1, oaep-sha256, oaep-sha384 or oaep-sha512)", s)
}

func (p Padding) hash() (func() hash.Hash, crypto.Hash) {
	switch p {
	case OAEPSHA1:
		return sha1.New, crypto.SHA1
	case OAEPSHA256:
		return sha256.New, crypto.SHA256
	case OAEPSHA384:
		return sha512.New384, crypto.SHA384
	case OAEPSHA512:
		return sha512.New, crypto.SHA512
	}
	return nil, 0
}

// RawRSA wraps data keys with an RSA key pair. Its encrypted data keys have
// provider ID = namespace and provider info = name.
//
// A keyring with only a public key can encrypt; one with only a private
// key can decrypt. The private key is any [crypto.Decrypter] backed by an
// RSA key, so keys held in a hardware module work.
type RawRSA struct {
	namespace, name string
	padding         Padding
	public          *rsa.PublicKey
	private         crypto.Decrypter
}

// RawRSAConfig configures [NewRawRSA]. At least one of PublicKey and
// PrivateKey is required.
type RawRSAConfig struct {
	Namespace, Name string
	Padding         Padding
	PublicKey       *rsa.PublicKey
	// PrivateKey decrypts; its Public method must return an *rsa.PublicKey.
	// An *rsa.PrivateKey works, as does any hardware-backed Decrypter.
	PrivateKey crypto.Decrypter
}

// NewRawRSA returns a raw RSA keyring.
//
// In FIPS 140-only mode (GODEBUG=fips140=only) it refuses, with an error
// wrapping [algorithms.ErrFIPSUnapproved], the paddings PKCS1 and
// OAEPSHA1 and keys Go's module would refuse (fewer than 2048 bits, odd
// size, public exponent even or at most 2^16).
func NewRawRSA(c RawRSAConfig) (*RawRSA, error) {
	if err := checkNames(c.Namespace, c.Name); err != nil {
		return nil, err
	}
	if _, ok := paddingNames[c.Padding]; !ok {
		return nil, fmt.Errorf("keyring: unknown RSA padding %d", int(c.Padding))
	}
	if c.PublicKey == nil && c.PrivateKey == nil {
		return nil, errors.New("keyring: raw RSA keyring needs a public key, a private key, or both")
	}
	if c.PrivateKey != nil {
		pub, ok := c.PrivateKey.Public().(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("keyring: raw RSA private key is not an RSA key")
		}
		if err := checkFIPSRSA(pub, c.Padding); err != nil {
			return nil, err
		}
	}
	if err := checkFIPSRSA(c.PublicKey, c.Padding); err != nil {
		return nil, err
	}
	return &RawRSA{namespace: c.Namespace, name: c.Name, padding: c.Padding, public: c.PublicKey, private: c.PrivateKey}, nil
}

func (k *RawRSA) String() string {
	return fmt.Sprintf("raw RSA keyring %s/%s (%v)", k.namespace, k.name, k.padding)
}

// OnEncrypt implements [materials.Keyring].
func (k *RawRSA) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	if k.public == nil {
		return m, fmt.Errorf("%w: %v has no public key", materials.ErrEncryptNotSupported, k)
	}
	if m.PlaintextDataKey == nil {
		m.PlaintextDataKey = newDataKey(m.Suite.KeyLen())
	}
	var ct []byte
	var err error
	if k.padding == PKCS1 {
		//lint:ignore SA1019 PKCS #1 v1.5 is one of the five raw RSA paddings of the ESDK; other SDKs write it.
		ct, err = rsa.EncryptPKCS1v15(rand.Reader, k.public, m.PlaintextDataKey)
	} else {
		h, _ := k.padding.hash()
		ct, err = rsa.EncryptOAEP(h(), rand.Reader, k.public, m.PlaintextDataKey, nil)
	}
	if err != nil {
		return m, fmt.Errorf("keyring: %v: %w", k, err)
	}
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: k.namespace, ProviderInfo: []byte(k.name), Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring].
//
// With OAEP a wrong key or a damaged EDK is an error, and the next EDK is
// tried. PKCS #1 v1.5 padding cannot tell: decryption uses implicit
// rejection (a bad padding yields a random key, in constant time), so no
// padding error is ever seen, and every EDK of this keyring's name becomes
// a candidate data key ([materials.DecryptionMaterials.Candidates]) that
// the client keeps only if it passes the key commitment and header
// authentication. A wrong key, a bad padding and a tampered EDK all end
// the same way, with the same error (the Bleichenbacher defence).
func (k *RawRSA) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	if k.private == nil {
		return m, fmt.Errorf("%w: %v has no private key", materials.ErrDecryptNotSupported, k)
	}
	pkcs1 := k.padding == PKCS1
	var opts crypto.DecrypterOpts
	if pkcs1 {
		//lint:ignore SA1019 PKCS #1 v1.5 is one of the five raw RSA paddings of the ESDK; other SDKs write it.
		opts = &rsa.PKCS1v15DecryptOptions{SessionKeyLen: m.Suite.KeyLen()}
	} else {
		_, h := k.padding.hash()
		opts = &rsa.OAEPOptions{Hash: h, MGFHash: h}
	}
	var errs []error
	out := m
	for i, edk := range edks {
		if edk.ProviderID != k.namespace || string(edk.ProviderInfo) != k.name {
			continue
		}
		pdk, err := k.private.Decrypt(rand.Reader, edk.Ciphertext, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("%v: encrypted data key %d did not decrypt", k, i))
			continue
		}
		if pkcs1 {
			if out, err = out.WithCandidate(pdk, edk); err != nil {
				return m, fmt.Errorf("keyring: %v: encrypted data key %d: %w", k, i, err)
			}
			continue
		}
		got, err := m.WithPlaintextDataKey(pdk, edk)
		if err != nil {
			errs = append(errs, fmt.Errorf("%v: encrypted data key %d: %w", k, i, err))
			continue
		}
		return got, nil
	}
	if len(out.Candidates) > len(m.Candidates) {
		return out, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%v found no usable key", k), Errs: errs}
}

// ParseRSAPublicKeyPEM parses a PEM "PUBLIC KEY" (X.509
// SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS #1) block.
func ParseRSAPublicKeyPEM(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("keyring: no PEM block found in public key")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: parse RSA public key: %w", err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("keyring: public key is not an RSA key")
	}
	return pub, nil
}

// ParseRSAPrivateKeyPEM parses a PEM "PRIVATE KEY" (PKCS #8) or
// "RSA PRIVATE KEY" (PKCS #1) block.
func ParseRSAPrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("keyring: no PEM block found in private key")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, errors.New("keyring: private key PEM does not parse as PKCS #8 or PKCS #1")
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("keyring: private key is not an RSA key")
	}
	return priv, nil
}

// checkFIPSRSA applies algorithms.CheckFIPSRSA to a raw RSA keyring's key
// and padding.
func checkFIPSRSA(pub *rsa.PublicKey, p Padding) error {
	_, h := p.hash()
	if err := algorithms.CheckFIPSRSA(pub, h); err != nil {
		return fmt.Errorf("keyring: raw RSA keyring (%v): %w", p, err)
	}
	return nil
}
