package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/internal/rawaes"
	"github.com/go-esdk/esdk/materials"
)

// RawAES wraps data keys with an AES-GCM key held in memory. Its encrypted
// data keys have provider ID = namespace and provider info = name || u32
// tag bits (128) || u32 IV length (12) || IV, and bind the encryption
// context as additional data (the format of the PKCS #11 token's AES
// keyring too).
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

// checkNames applies the raw keyrings' naming rules.
func checkNames(namespace, name string) error {
	if err := rawaes.CheckNames(namespace, name); err != nil {
		return fmt.Errorf("keyring: %w", err)
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
	info := rawaes.AppendInfo(make([]byte, 0, rawaes.InfoLen(len(k.name))), k.name, sealed[:algorithms.IVLen])
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
		iv, ok := rawaes.IV(edk, k.namespace, k.name)
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

// openWithIV opens ciphertext || tag sealed with iv by aead, an AES-GCM
// made by cipher.NewGCMWithRandomNonce, whose Open reads the IV in front
// of the ciphertext.
func openWithIV(aead cipher.AEAD, iv, ciphertext, aad []byte) ([]byte, error) {
	in := make([]byte, 0, len(iv)+len(ciphertext))
	in = append(append(in, iv...), ciphertext...)
	return aead.Open(in[:0], nil, in, aad)
}
