package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// RawAES wraps data keys with an AES-GCM key held in memory. Its encrypted
// data keys have provider ID = namespace and provider info = name || u32
// tag bits (128) || u32 IV length (12) || IV, and bind the encryption
// context as additional data.
//
// The IV is random, so wrapping and unwrapping use Go's AES-GCM with
// random nonces (crypto/cipher.NewGCMWithRandomNonce), an approved service
// of its FIPS 140-3 module: the keyring works in FIPS 140-only mode.
type RawAES struct {
	namespace, name string
	aead            cipher.AEAD
}

// NewRawAES returns a raw AES keyring. key must be 16, 24 or 32 bytes; the
// keyring keeps its own AES key schedule and does not retain key.
// The namespace may not be "aws-kms".
func NewRawAES(namespace, name string, key []byte) (*RawAES, error) {
	if err := checkNames(namespace, name); err != nil {
		return nil, err
	}
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("keyring: raw AES key must be 16, 24 or 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &RawAES{namespace: namespace, name: name, aead: aead}, nil
}

func checkNames(namespace, name string) error {
	if namespace == "" || name == "" {
		return errors.New("keyring: key namespace and key name must not be empty")
	}
	if namespace == "aws-kms" {
		return errors.New(`keyring: the key namespace "aws-kms" is reserved for AWS KMS keyrings`)
	}
	return nil
}

func (k *RawAES) String() string { return fmt.Sprintf("raw AES keyring %s/%s", k.namespace, k.name) }

// OnEncrypt implements [materials.Keyring].
func (k *RawAES) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	aad, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("keyring: %v: %w", k, err)
	}
	if m.PlaintextDataKey == nil {
		m.PlaintextDataKey = newDataKey(m.Suite.KeyLen())
	}
	// Seal returns random IV || ciphertext || tag: the IV goes to the
	// provider info, the rest is the EDK's ciphertext.
	sealed := k.aead.Seal(nil, nil, m.PlaintextDataKey, aad)
	info := make([]byte, 0, len(k.name)+8+algorithms.IVLen)
	info = append(info, k.name...)
	info = binary.BigEndian.AppendUint32(info, algorithms.TagLen*8)
	info = binary.BigEndian.AppendUint32(info, algorithms.IVLen)
	info = append(info, sealed[:algorithms.IVLen]...)
	ct := sealed[algorithms.IVLen:]
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: k.namespace, ProviderInfo: info, Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring].
func (k *RawAES) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	aad, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("keyring: %v: %w", k, err)
	}
	var errs []error
	for i, edk := range edks {
		iv, ok := k.match(edk)
		if !ok {
			continue
		}
		pdk, err := openWithIV(k.aead, iv, edk.Ciphertext, aad)
		if err != nil {
			errs = append(errs, fmt.Errorf("%v: encrypted data key %d did not authenticate (wrong key or encryption context)", k, i))
			continue
		}
		out, err := m.WithPlaintextDataKey(pdk, edk)
		if err != nil {
			errs = append(errs, fmt.Errorf("%v: encrypted data key %d: %w", k, i, err))
			continue
		}
		return out, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%v found no usable key", k), Errs: errs}
}

// match reports whether edk was written by this keyring's key and returns
// its IV.
func (k *RawAES) match(edk materials.EncryptedDataKey) ([]byte, bool) {
	info := edk.ProviderInfo
	n := len(k.name)
	if edk.ProviderID != k.namespace || len(info) != n+8+algorithms.IVLen || !bytes.Equal(info[:n], []byte(k.name)) {
		return nil, false
	}
	if binary.BigEndian.Uint32(info[n:]) != algorithms.TagLen*8 || binary.BigEndian.Uint32(info[n+4:]) != algorithms.IVLen {
		return nil, false
	}
	return info[n+8:], len(edk.Ciphertext) >= algorithms.TagLen
}

// openWithIV opens ciphertext || tag sealed with iv by aead, an AES-GCM
// made by cipher.NewGCMWithRandomNonce, whose Open reads the IV in front
// of the ciphertext.
func openWithIV(aead cipher.AEAD, iv, ciphertext, aad []byte) ([]byte, error) {
	in := make([]byte, 0, len(iv)+len(ciphertext))
	in = append(append(in, iv...), ciphertext...)
	return aead.Open(in[:0], nil, in, aad)
}
