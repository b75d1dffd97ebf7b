package testvectors

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/materials"
)

// errUnsupported marks a key description this runner cannot build (AWS KMS
// without credentials, KMS ECDH); such tests are
// skipped. Errors wrapping it are *unsupportedError values naming what.
var errUnsupported = errors.New("unsupported")

type unsupportedError struct{ kind, name string }

func (e *unsupportedError) Error() string        { return "unsupported " + e.kind + " " + e.name }
func (e *unsupportedError) Is(target error) bool { return target == errUnsupported }

// unsupported says that the runner cannot run a test because of name, a
// thing of the given kind (key description, decryption method, ...).
func unsupported(kind, name string) error { return &unsupportedError{kind: kind, name: name} }

// decryptKeyring builds the keyring that decrypts with the keys of descs
// (a master-keys list: any of them may unwrap). Keys that cannot decrypt
// are left out, as are, in FIPS 140-only mode, keyrings refused there
// (the first refusal is kept in *refused).
func (m *DecryptManifest) decryptKeyring(descs []KeyDescription, refused *error) (materials.Keyring, error) {
	var krs []materials.Keyring
	for _, d := range descs {
		kr, err := m.keyring(d, false, refused)
		if err != nil {
			return nil, err
		}
		if kr != nil {
			krs = append(krs, kr)
		}
	}
	if len(krs) == 0 {
		if *refused != nil {
			return nil, *refused
		}
		return nil, errors.New("no key in the test can decrypt")
	}
	if len(krs) == 1 {
		return krs[0], nil
	}
	return keyring.NewMulti(nil, krs...)
}

// keyring builds the keyring of one description. For decryption (encrypt
// false) it returns nil, nil for a key that cannot decrypt. A keyring
// refused in FIPS 140-only mode is, for decryption, left out (nil, nil)
// and its error kept in *refused if that is the first refusal.
func (m *DecryptManifest) keyring(d KeyDescription, encrypt bool, refused *error) (materials.Keyring, error) {
	kr, err := m.keyring1(d, encrypt, refused)
	if !encrypt && errors.Is(err, algorithms.ErrFIPSUnapproved) {
		if *refused == nil {
			*refused = err
		}
		return nil, nil
	}
	return kr, err
}

func (m *DecryptManifest) keyring1(d KeyDescription, encrypt bool, refused *error) (materials.Keyring, error) {
	switch d.Type {
	case "raw":
		return m.rawKeyring(d, encrypt)
	case "static-material-keyring":
		spec, ok := m.keys.Keys[d.Key]
		if !ok {
			return nil, fmt.Errorf("key %q is not in the keys manifest", d.Key)
		}
		return staticKeyring{spec: spec}, nil
	case "raw-ecdh":
		return m.ecdhKeyring(d, encrypt)
	case "aws-kms-hierarchy":
		return m.hierarchyKeyring(d, encrypt)
	case "multi-keyring":
		var gen materials.Keyring
		var children []materials.Keyring
		if d.Generator != nil {
			kr, err := m.keyring(*d.Generator, encrypt, refused)
			if err != nil {
				return nil, err
			}
			if encrypt {
				gen = kr
			} else if kr != nil {
				children = append(children, kr)
			}
		}
		for _, c := range d.Children {
			kr, err := m.keyring(c, encrypt, refused)
			if err != nil {
				return nil, err
			}
			if kr != nil {
				children = append(children, kr)
			}
		}
		if !encrypt && len(children) == 0 && *refused != nil {
			return nil, *refused
		}
		return keyring.NewMulti(gen, children...)
	default:
		return nil, unsupported("key description", d.Type)
	}
}

func (m *DecryptManifest) rawKeyring(d KeyDescription, encrypt bool) (materials.Keyring, error) {
	spec, ok := m.keys.Keys[d.Key]
	if !ok {
		return nil, fmt.Errorf("key %q is not in the keys manifest", d.Key)
	}
	if (encrypt && !spec.Encrypt) || (!encrypt && !spec.Decrypt) {
		return nil, nil
	}
	name := spec.KeyID
	if name == "" {
		name = d.Key // keys manifest version 1: the key ID is the entry's name
	}
	switch d.Algorithm {
	case "aes":
		key, err := spec.bytes()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", d.Key, err)
		}
		return keyring.NewRawAES(d.ProviderID, name, key)
	case "rsa":
		padding, err := rsaPadding(d)
		if err != nil {
			return nil, err
		}
		pem, err := spec.material()
		if err != nil {
			return nil, err
		}
		c := keyring.RawRSAConfig{Namespace: d.ProviderID, Name: name, Padding: padding}
		switch spec.Type {
		case "private":
			priv, err := keyring.ParseRSAPrivateKeyPEM([]byte(pem))
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", d.Key, err)
			}
			c.PrivateKey, c.PublicKey = priv, &priv.PublicKey
		case "public":
			if c.PublicKey, err = keyring.ParseRSAPublicKeyPEM([]byte(pem)); err != nil {
				return nil, fmt.Errorf("key %q: %w", d.Key, err)
			}
		default:
			return nil, fmt.Errorf("key %q: RSA key of type %q", d.Key, spec.Type)
		}
		return keyring.NewRawRSA(c)
	default:
		return nil, unsupported("key description", "raw "+d.Algorithm)
	}
}

var eccCurves = map[string]ecdh.Curve{"ecc-256": ecdh.P256(), "ecc-384": ecdh.P384(), "ecc-521": ecdh.P521()}

// ecdhKeyring builds a raw ECDH keyring as the Material Providers
// Library's vector runner does: static uses the sender entry's
// sender-material and the recipient entry's recipient public key,
// ephemeral the recipient public key, discovery the recipient entry's
// recipient-material. It returns nil, nil for a schema that cannot do the
// operation (ephemeral decrypt, discovery encrypt).
func (m *DecryptManifest) ecdhKeyring(d KeyDescription, encrypt bool) (materials.Keyring, error) {
	curve, ok := eccCurves[d.Curve]
	if !ok {
		return nil, fmt.Errorf("raw-ecdh: unknown curve %q", d.Curve)
	}
	entry := func(name string) (KeySpec, error) {
		spec, ok := m.keys.Keys[name]
		if !ok {
			return spec, fmt.Errorf("key %q is not in the keys manifest", name)
		}
		if spec.Type != "ecc-private" {
			return spec, fmt.Errorf("key %q is of type %q, want ecc-private", name, spec.Type)
		}
		return spec, nil
	}
	private := func(name, pemKey string) (*ecdh.PrivateKey, error) {
		k, err := keyring.ParseECDHPrivateKeyPEM([]byte(pemKey))
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
		if k.Curve() != curve {
			return nil, fmt.Errorf("key %q is not on %s", name, d.Curve)
		}
		return k, nil
	}
	recipientPublic := func() (*ecdh.PublicKey, error) {
		spec, err := entry(d.Recipient)
		if err != nil {
			return nil, err
		}
		if spec.PublicKeyEncoding != "base64-der" {
			return nil, fmt.Errorf("key %q: public key encoding %q, want base64-der", d.Recipient, spec.PublicKeyEncoding)
		}
		der, err := base64.StdEncoding.DecodeString(spec.RecipientPublicKey)
		if err != nil {
			return nil, fmt.Errorf("key %q: recipient public key: %w", d.Recipient, err)
		}
		pub, err := keyring.ParseECDHPublicKeyDER(der)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", d.Recipient, err)
		}
		if pub.Curve() != curve {
			return nil, fmt.Errorf("key %q is not on %s", d.Recipient, d.Curve)
		}
		return pub, nil
	}
	var c keyring.RawECDHConfig
	var err error
	switch d.Schema {
	case "static":
		c.Schema = keyring.ECDHStatic
		spec, err := entry(d.Sender)
		if err != nil {
			return nil, err
		}
		if (encrypt && !spec.Encrypt) || (!encrypt && !spec.Decrypt) {
			return nil, nil
		}
		if c.PrivateKey, err = private(d.Sender, spec.SenderMaterial); err != nil {
			return nil, err
		}
		if c.RecipientPublicKey, err = recipientPublic(); err != nil {
			return nil, err
		}
	case "ephemeral":
		if !encrypt {
			return nil, nil
		}
		c.Schema = keyring.ECDHEphemeral
		if c.RecipientPublicKey, err = recipientPublic(); err != nil {
			return nil, err
		}
	case "discovery":
		if encrypt {
			return nil, nil
		}
		c.Schema = keyring.ECDHDiscovery
		spec, err := entry(d.Recipient)
		if err != nil {
			return nil, err
		}
		if !spec.Decrypt {
			return nil, nil
		}
		if c.PrivateKey, err = private(d.Recipient, spec.RecipientMaterial); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("raw-ecdh: unknown schema %q", d.Schema)
	}
	return keyring.NewRawECDH(c)
}

func rsaPadding(d KeyDescription) (keyring.Padding, error) {
	switch d.Padding {
	case "pkcs1":
		return keyring.PKCS1, nil // a padding-hash next to pkcs1 is meaningless and ignored
	case "oaep-mgf1":
		return keyring.ParsePadding("oaep-" + d.PaddingHash)
	}
	return 0, fmt.Errorf("unknown RSA padding %q", d.Padding)
}

// staticKeyring returns the plaintext data key published with a vector,
// whatever the encrypted data keys are (the static-material-keyring
// extension).
type staticKeyring struct{ spec KeySpec }

func (staticKeyring) OnEncrypt(context.Context, materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return materials.EncryptionMaterials{}, materials.ErrEncryptNotSupported
}

func (k staticKeyring) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if k.spec.PlaintextDataKey == "" {
		return m, &materials.NoDecryptableKeyError{Reason: "static material has no plaintext data key"}
	}
	pdk, err := base64.StdEncoding.DecodeString(k.spec.PlaintextDataKey)
	if err != nil {
		return m, err
	}
	return m.WithPlaintextDataKey(pdk, edks[0])
}

// hierarchyKeyring builds a hierarchical keyring whose key store holds the
// static branch key of a keys-manifest entry of type static-branch-key.
func (m *DecryptManifest) hierarchyKeyring(d KeyDescription, encrypt bool) (materials.Keyring, error) {
	spec, ok := m.keys.Keys[d.Key]
	if !ok {
		return nil, fmt.Errorf("key %q is not in the keys manifest", d.Key)
	}
	if spec.Type != "static-branch-key" {
		return nil, fmt.Errorf("aws-kms-hierarchy: key %q is of type %q, not static-branch-key", d.Key, spec.Type)
	}
	if (encrypt && !spec.Encrypt) || (!encrypt && !spec.Decrypt) {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(spec.BranchKey)
	if err != nil {
		return nil, fmt.Errorf("aws-kms-hierarchy: key %q: branchKey: %w", d.Key, err)
	}
	store := hierarchy.NewStaticKeyStore("static-key-store")
	if err := store.Add(hierarchy.BranchKeyMaterials{BranchKeyID: spec.KeyID, Version: spec.BranchKeyVersion, Key: key}, true); err != nil {
		return nil, fmt.Errorf("aws-kms-hierarchy: key %q: %w", d.Key, err)
	}
	return hierarchy.New(hierarchy.Config{KeyStore: store, BranchKeyID: spec.KeyID, TTL: time.Hour})
}
