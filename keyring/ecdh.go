package keyring

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/internal/ecdhedk"
	"github.com/go-esdk/esdk/materials"
)

// ECDHSchema is a key agreement schema of the raw ECDH keyring.
type ECDHSchema int

// The three key agreement schemas of the raw ECDH keyring.
const (
	// ECDHStatic (RawPrivateKeyToStaticPublicKey) agrees a key between
	// the sender's static private key and the recipient's public key.
	// It encrypts and decrypts: the same keyring, or one with the roles
	// swapped, decrypts what it wrote.
	ECDHStatic ECDHSchema = iota + 1
	// ECDHEphemeral (EphemeralPrivateKeyToStaticPublicKey) makes a new
	// key pair for each message; only the recipient's private key can
	// decrypt. It only encrypts.
	ECDHEphemeral
	// ECDHDiscovery (PublicKeyDiscovery) decrypts every message addressed
	// to the recipient's private key, from any sender, static or
	// ephemeral. It only decrypts.
	ECDHDiscovery
)

var schemaNames = map[ECDHSchema]string{
	ECDHStatic:    "RawPrivateKeyToStaticPublicKey",
	ECDHEphemeral: "EphemeralPrivateKeyToStaticPublicKey",
	ECDHDiscovery: "PublicKeyDiscovery",
}

// String returns the schema's name in the Material Providers Library.
func (s ECDHSchema) String() string {
	if n, ok := schemaNames[s]; ok {
		return n
	}
	return fmt.Sprintf("ECDHSchema(%d)", int(s))
}

// Errors of the raw ECDH keyring, for use with errors.Is. The ones about
// encrypted data keys are among the per-key failures of a
// [materials.NoDecryptableKeyError].
var (
	// ErrECDHCurve: a key is on an unsupported curve (only P-256, P-384
	// and P-521 are), or keys that must share a curve do not.
	ErrECDHCurve = ecdhedk.ErrCurve
	// ErrECDHPublicKey: a public key is not a valid point of its curve:
	// not on the curve, the point at infinity, or a bad encoding.
	ErrECDHPublicKey = ecdhedk.ErrPublicKey
	// ErrECDHProviderInfo: an encrypted data key's provider info is not
	// the ECDH layout.
	ErrECDHProviderInfo = ecdhedk.ErrProviderInfo
	// ErrECDHOtherKey: an encrypted data key is for other ECDH keys than
	// the keyring's.
	ErrECDHOtherKey = errors.New("keyring: encrypted data key is for other ECDH keys")
	// ErrECDHCiphertext: an encrypted data key's ciphertext has the wrong
	// length.
	ErrECDHCiphertext = ecdhedk.ErrCiphertext
	// ErrECDHCommitment: an encrypted data key's commitment key does not
	// match the derived one.
	ErrECDHCommitment = ecdhedk.ErrCommitment
	// ErrECDHAuthentication: an encrypted data key's wrapped key did not
	// authenticate.
	ErrECDHAuthentication = ecdhedk.ErrAuthentication
)

// RawECDH wraps data keys with a key agreed by elliptic-curve
// Diffie-Hellman (NIST P-256, P-384 or P-521), byte-compatible with the
// raw ECDH keyring of the AWS Cryptographic Material Providers Library
// (Python, Java, .NET, Rust and the official Go SDK). Its encrypted data
// keys have provider ID "raw-ecdh"; it also decrypts those of the AWS KMS
// ECDH keyring ("aws-kms-ecdh") when it holds the matching private key.
//
// Private keys are [ecdh.KeyExchanger] values: an [*ecdh.PrivateKey], or a
// key held in a hardware module that performs the key agreement itself.
// Public keys are [*ecdh.PublicKey] values, which the standard library
// only creates for valid points; [ParseECDHPublicKeyDER] and the other
// helpers load them from SPKI, PKCS #8 and SEC 1 encodings.
type RawECDH struct {
	schema  ECDHSchema
	curve   *ecdhedk.Curve
	private ecdh.KeyExchanger
	// own is the compressed public key of private; peer the compressed
	// recipient public key (static and ephemeral schemas).
	own, peer []byte
	recipient *ecdh.PublicKey
}

// RawECDHConfig configures [NewRawECDH].
type RawECDHConfig struct {
	Schema ECDHSchema
	// PrivateKey is the sender's static private key (ECDHStatic) or the
	// recipient's private key (ECDHDiscovery); ECDHEphemeral takes none.
	PrivateKey ecdh.KeyExchanger
	// RecipientPublicKey is the recipient's public key (ECDHStatic and
	// ECDHEphemeral); ECDHDiscovery takes none.
	RecipientPublicKey *ecdh.PublicKey
}

// ErrFIPSECDHWrap is the error of ECDH keyrings that can wrap data keys
// (static and ephemeral schemas), in FIPS 140-only mode. It wraps
// [algorithms.ErrFIPSUnapproved]. The wire format wraps each data key
// with AES-GCM under a one-time key and an all-zero IV, and Go's module
// approves AES-GCM encryption only with IVs it chooses. Unwrapping uses an
// approved API, so the discovery schema works.
var ErrFIPSECDHWrap = algorithms.FIPSUnapproved("ECDH data key wrapping: the wire format's AES-GCM IV is all zeros, and Go approves AES-GCM encryption only with IVs it chooses (decryption-only schemas work)")

// NewRawECDH returns a raw ECDH keyring. The keys must be on P-256, P-384
// or P-521, both on the same curve (errors wrap [ErrECDHCurve]).
//
// In FIPS 140-only mode (GODEBUG=fips140=only) only the ECDHDiscovery
// schema, which only decrypts, is accepted; the others, which wrap, fail
// with [ErrFIPSECDHWrap].
func NewRawECDH(c RawECDHConfig) (*RawECDH, error) {
	k := &RawECDH{schema: c.Schema}
	needPriv, needPub := false, false
	switch c.Schema {
	case ECDHStatic:
		needPriv, needPub = true, true
	case ECDHEphemeral:
		needPub = true
	case ECDHDiscovery:
		needPriv = true
	default:
		return nil, fmt.Errorf("keyring: unknown ECDH key agreement schema %d", int(c.Schema))
	}
	if c.Schema != ECDHDiscovery && algorithms.FIPSOnly() {
		return nil, fmt.Errorf("keyring: raw ECDH keyring (%v): %w", c.Schema, ErrFIPSECDHWrap)
	}
	if needPriv != (c.PrivateKey != nil) || needPub != (c.RecipientPublicKey != nil) {
		return nil, fmt.Errorf("keyring: the %v schema takes %s", c.Schema, map[ECDHSchema]string{
			ECDHStatic:    "a private key and a recipient public key",
			ECDHEphemeral: "a recipient public key and no private key",
			ECDHDiscovery: "a private key and no recipient public key",
		}[c.Schema])
	}
	if c.PrivateKey != nil {
		pub := c.PrivateKey.PublicKey()
		if pub == nil || pub.Curve() != c.PrivateKey.Curve() {
			return nil, fmt.Errorf("%w: the private key's public key is not on its curve", ErrECDHCurve)
		}
		curve, err := ecdhedk.CurveOf(c.PrivateKey.Curve())
		if err != nil {
			return nil, fmt.Errorf("keyring: ECDH private key: %w", err)
		}
		k.curve, k.private, k.own = curve, c.PrivateKey, curve.Compress(pub)
	}
	if c.RecipientPublicKey != nil {
		curve, err := ecdhedk.CurveOf(c.RecipientPublicKey.Curve())
		if err != nil {
			return nil, fmt.Errorf("keyring: ECDH recipient public key: %w", err)
		}
		if k.curve != nil && curve != k.curve {
			return nil, fmt.Errorf("%w: private key on %v, recipient public key on %v", ErrECDHCurve, k.curve, curve)
		}
		k.curve, k.recipient, k.peer = curve, c.RecipientPublicKey, curve.Compress(c.RecipientPublicKey)
	}
	return k, nil
}

func (k *RawECDH) String() string {
	return fmt.Sprintf("raw ECDH keyring (%v, %v)", k.curve, k.schema)
}

// OnEncrypt implements [materials.Keyring].
func (k *RawECDH) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	if k.schema == ECDHDiscovery {
		return m, fmt.Errorf("%w: %v only decrypts", materials.ErrEncryptNotSupported, k)
	}
	ec, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("keyring: %v: %w", k, err)
	}
	priv, sender := k.private, k.own
	if k.schema == ECDHEphemeral {
		eph, err := k.curve.ECDH.GenerateKey(rand.Reader)
		if err != nil {
			return m, fmt.Errorf("keyring: %v: ephemeral key: %w", k, err)
		}
		priv, sender = eph, k.curve.Compress(eph.PublicKey())
	}
	z, err := priv.ECDH(k.recipient)
	if err != nil {
		return m, fmt.Errorf("keyring: %v: key agreement: %w", k, err)
	}
	defer clear(z)
	if m.PlaintextDataKey == nil {
		m.PlaintextDataKey = newDataKey(m.Suite.KeyLen())
	}
	ct, err := ecdhedk.Wrap(z, ecdhedk.FixedInfo(k.curve, sender, k.peer, ec), m.PlaintextDataKey)
	if err != nil {
		return m, fmt.Errorf("keyring: %v: %w", k, err)
	}
	info := ecdhedk.AppendProviderInfo(nil, k.peer, sender)
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: ecdhedk.ProviderIDRaw, ProviderInfo: info, Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring]. It tries the encrypted data
// keys of provider ID "raw-ecdh" and "aws-kms-ecdh" addressed to its keys
// (discovery: its key is the recipient; static: its key and the recipient
// key are the two parties, either way round). Each one it skips or fails
// on is reported in the [materials.NoDecryptableKeyError].
func (k *RawECDH) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	if k.schema == ECDHEphemeral {
		return m, fmt.Errorf("%w: %v only encrypts", materials.ErrDecryptNotSupported, k)
	}
	ec, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("keyring: %v: %w", k, err)
	}
	var errs []error
	for i, edk := range edks {
		if edk.ProviderID != ecdhedk.ProviderIDRaw && edk.ProviderID != ecdhedk.ProviderIDKMS {
			continue
		}
		pdk, err := k.decryptOne(edk, ec, m.Suite.KeyLen())
		if err != nil {
			errs = append(errs, fmt.Errorf("%v: encrypted data key %d (%s): %w", k, i, edk.ProviderID, err))
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

// decryptOne unwraps one encrypted data key of an ECDH provider ID.
func (k *RawECDH) decryptOne(edk materials.EncryptedDataKey, ec []byte, keyLen int) ([]byte, error) {
	recipient, sender, err := ecdhedk.ParseProviderInfo(edk.ProviderInfo)
	if err != nil {
		return nil, err
	}
	if len(recipient) != k.curve.CompressedLen {
		return nil, fmt.Errorf("%w: its keys are %d-byte compressed points, the keyring's %v keys %d", ErrECDHCurve, len(recipient), k.curve, k.curve.CompressedLen)
	}
	// The public key the private key agrees with. Points equal to the
	// keyring's own keys are valid already; any other point is parsed and
	// checked to be on the curve.
	var pub *ecdh.PublicKey
	switch {
	case k.schema == ECDHStatic && (bytes.Equal(recipient, k.own) && bytes.Equal(sender, k.peer) ||
		bytes.Equal(sender, k.own) && bytes.Equal(recipient, k.peer)):
		pub = k.recipient
	case k.schema == ECDHDiscovery && bytes.Equal(recipient, k.own):
		if pub, err = k.curve.Decompress(sender); err != nil {
			return nil, fmt.Errorf("sender key: %w", err)
		}
	default:
		return nil, ErrECDHOtherKey
	}
	z, err := k.private.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("key agreement: %w", err)
	}
	defer clear(z)
	return ecdhedk.Unwrap(z, ecdhedk.FixedInfo(k.curve, sender, recipient, ec), edk.Ciphertext, keyLen)
}
