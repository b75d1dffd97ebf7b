package awskms

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/internal/ecdhedk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// ECDHProviderID is the provider ID of the encrypted data keys of an
// [ECDHKeyring]. Their provider info and ciphertext are those of the raw
// ECDH keyring ([keyring.RawECDH]), which decrypts them with the private
// key, and an ECDHKeyring decrypts "raw-ecdh" keys as well.
const ECDHProviderID = ecdhedk.ProviderIDKMS

// ECDHClient is the part of the AWS KMS API the AWS KMS ECDH keyring uses.
// *kms.Client satisfies it; tests can supply their own implementation.
// It is separate from [Client] so that implementations of that interface
// need not grow.
//
// Implementations must be safe for concurrent use.
type ECDHClient interface {
	DeriveSharedSecret(ctx context.Context, in *kms.DeriveSharedSecretInput, optFns ...func(*kms.Options)) (*kms.DeriveSharedSecretOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

var _ ECDHClient = (*kms.Client)(nil)

// ECDHSchema is a key agreement schema of the AWS KMS ECDH keyring.
type ECDHSchema int

// The key agreement schemas of the AWS KMS ECDH keyring.
const (
	// KMSPrivateKeyToStaticPublicKey agrees a key between the private key
	// of an AWS KMS key (the sender's) and the recipient's public key. It
	// encrypts, and decrypts what either party wrote to the other with
	// the same two keys.
	KMSPrivateKeyToStaticPublicKey ECDHSchema = iota + 1
	// KMSPublicKeyDiscovery decrypts every message addressed to the
	// public key of an AWS KMS key (the recipient's), from any sender:
	// another KMS ECDH keyring, or a raw ECDH keyring with a static or
	// ephemeral key. It only decrypts.
	KMSPublicKeyDiscovery
)

// String returns the schema's name in the Material Providers Library.
func (s ECDHSchema) String() string {
	switch s {
	case KMSPrivateKeyToStaticPublicKey:
		return "KmsPrivateKeyToStaticPublicKey"
	case KMSPublicKeyDiscovery:
		return "KmsPublicKeyDiscovery"
	}
	return fmt.Sprintf("ECDHSchema(%d)", int(s))
}

// ErrKeyUsage means AWS KMS GetPublicKey described a key that is not a
// key-agreement key (KeyUsage KEY_AGREEMENT) on NIST P-256, P-384 or
// P-521.
var ErrKeyUsage = errors.New("awskms: not an AWS KMS ECDH key-agreement key")

// ECDHConfig configures [NewECDHKeyring].
type ECDHConfig struct {
	// Schema is the key agreement schema.
	Schema ECDHSchema
	// KeyARN is the key ARN of the AWS KMS key whose private key takes
	// part in the key agreement (key spec ECC_NIST_P256, ECC_NIST_P384 or
	// ECC_NIST_P521, key usage KEY_AGREEMENT): the sender's key for
	// KMSPrivateKeyToStaticPublicKey, the recipient's for
	// KMSPublicKeyDiscovery. Aliases and key IDs are refused: AWS KMS
	// answers with the key ARN, which must be the configured key.
	KeyARN string
	// KeyPublicKey is the public key of KeyARN. If nil, NewECDHKeyring
	// asks AWS KMS GetPublicKey for it and checks that the key is a
	// key-agreement key. If given, it must be KeyARN's public key; the
	// keyring does not check that with AWS KMS.
	KeyPublicKey *ecdh.PublicKey
	// RecipientPublicKey is the recipient's public key
	// (KMSPrivateKeyToStaticPublicKey only), on the curve of KeyARN.
	RecipientPublicKey *ecdh.PublicKey
}

// ECDHKeyring is the AWS KMS ECDH keyring: it wraps data keys with a key
// derived from an elliptic-curve Diffie-Hellman shared secret that AWS
// KMS DeriveSharedSecret computes with the private key of an AWS KMS key,
// byte-compatible with the AWS KMS ECDH keyring of the AWS Cryptographic
// Material Providers Library (Python, Java, .NET, Rust and the official
// Go SDK).
//
// Its encrypted data keys have provider ID "aws-kms-ecdh" and the wire
// format of the raw ECDH keyring: the provider info names the recipient's
// and the sender's public keys, and the ciphertext holds a salt, a
// commitment key and the AES-256-GCM-wrapped data key. A raw ECDH keyring
// with the recipient's private key decrypts them, and an ECDHKeyring
// decrypts "raw-ecdh" encrypted data keys addressed to its keys.
//
// On encrypt (KMSPrivateKeyToStaticPublicKey only) it calls
// DeriveSharedSecret once with the configured key, the recipient's public
// key (SubjectPublicKeyInfo DER), key agreement algorithm ECDH and the
// keyring's grant tokens. On decrypt it considers only the encrypted data
// keys whose public keys are its own (static: the two configured keys,
// either way round; discovery: the recipient key is the configured key's),
// and calls DeriveSharedSecret for each until one unwraps: with the
// configured recipient key (static) or the message's sender key, checked
// to be a valid point first (discovery). A response is accepted only if it
// names the configured key ARN, the ECDH algorithm and a secret of the
// curve's length. Every key it skips or fails on is reported in the
// [materials.NoDecryptableKeyError], with errors of package keyring
// ([keyring.ErrECDHOtherKey], [keyring.ErrECDHCommitment], ...) or a
// [*KMSError].
//
// The curves are NIST P-256, P-384 and P-521 (not SM2). An ECDHKeyring
// works with every algorithm suite and is safe for concurrent use.
type ECDHKeyring struct {
	client ECDHClient
	schema ECDHSchema
	keyARN string
	curve  *ecdhedk.Curve
	grants []string
	// own is the compressed public key of keyARN; peer the compressed
	// recipient key and peerDER its SubjectPublicKeyInfo (static only).
	own, peer, peerDER []byte
}

// NewECDHKeyring returns an AWS KMS ECDH keyring. It calls AWS KMS
// GetPublicKey (with ctx and the grant tokens) when cfg.KeyPublicKey is
// nil and fails if that call fails or describes a key that is not a
// key-agreement key on a supported curve ([ErrKeyUsage]); all keys must
// be on the same curve (errors wrap [keyring.ErrECDHCurve]).
//
// In FIPS 140-only mode (GODEBUG=fips140=only) only the
// KMSPublicKeyDiscovery schema, which only decrypts, is accepted; the
// static schema fails with [keyring.ErrFIPSECDHWrap].
func NewECDHKeyring(ctx context.Context, c ECDHClient, cfg ECDHConfig, opts ...Option) (*ECDHKeyring, error) {
	if c == nil {
		return nil, errors.New("awskms: an AWS KMS ECDH keyring needs an AWS KMS client")
	}
	switch cfg.Schema {
	case KMSPrivateKeyToStaticPublicKey:
		if cfg.RecipientPublicKey == nil {
			return nil, fmt.Errorf("awskms: the %v schema needs a recipient public key", cfg.Schema)
		}
		if algorithms.FIPSOnly() {
			return nil, fmt.Errorf("awskms: AWS KMS ECDH keyring (%v): %w", cfg.Schema, keyring.ErrFIPSECDHWrap)
		}
	case KMSPublicKeyDiscovery:
		if cfg.RecipientPublicKey != nil {
			return nil, fmt.Errorf("awskms: the %v schema takes no recipient public key (the KMS key is the recipient)", cfg.Schema)
		}
	default:
		return nil, fmt.Errorf("awskms: unknown AWS KMS ECDH key agreement schema %d", int(cfg.Schema))
	}
	if _, err := parseKeyARN(cfg.KeyARN); err != nil {
		return nil, fmt.Errorf("awskms: an AWS KMS ECDH keyring needs a key ARN: %w", err)
	}
	o := buildOptions(opts)
	k := &ECDHKeyring{client: c, schema: cfg.Schema, keyARN: cfg.KeyARN, grants: o.grantTokens}
	pub := cfg.KeyPublicKey
	if pub == nil {
		var err error
		if pub, err = k.fetchPublicKey(ctx); err != nil {
			return nil, err
		}
	}
	curve, err := ecdhedk.CurveOf(pub.Curve())
	if err != nil {
		return nil, fmt.Errorf("awskms: public key of %s: %w", cfg.KeyARN, err)
	}
	k.curve, k.own = curve, curve.Compress(pub)
	if r := cfg.RecipientPublicKey; r != nil {
		rc, err := ecdhedk.CurveOf(r.Curve())
		if err != nil {
			return nil, fmt.Errorf("awskms: recipient public key: %w", err)
		}
		if rc != curve {
			return nil, fmt.Errorf("%w: %s is on %v, the recipient public key on %v", keyring.ErrECDHCurve, cfg.KeyARN, curve, rc)
		}
		der, err := x509.MarshalPKIXPublicKey(r)
		if err != nil {
			return nil, fmt.Errorf("awskms: recipient public key: %w", err)
		}
		k.peer, k.peerDER = curve.Compress(r), der
	}
	return k, nil
}

// fetchPublicKey asks AWS KMS for the public key of the configured key and
// checks that it is a key-agreement key on a supported curve.
func (k *ECDHKeyring) fetchPublicKey(ctx context.Context) (*ecdh.PublicKey, error) {
	out, err := k.client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(k.keyARN), GrantTokens: k.grants})
	if err != nil {
		return nil, &KMSError{Op: "GetPublicKey", KeyID: k.keyARN, Err: err}
	}
	if got := aws.ToString(out.KeyId); got != k.keyARN {
		return nil, fmt.Errorf("%w: GetPublicKey for %s returned KeyId %q", ErrInvalidResponse, k.keyARN, short(got))
	}
	if out.KeyUsage != types.KeyUsageTypeKeyAgreement {
		return nil, fmt.Errorf("%w: %s has key usage %q, not %s", ErrKeyUsage, k.keyARN, short(string(out.KeyUsage)), types.KeyUsageTypeKeyAgreement)
	}
	want := map[types.KeySpec]*ecdhedk.Curve{
		types.KeySpecEccNistP256: ecdhedk.P256,
		types.KeySpecEccNistP384: ecdhedk.P384,
		types.KeySpecEccNistP521: ecdhedk.P521,
	}[out.KeySpec]
	if want == nil {
		return nil, fmt.Errorf("%w: %s has key spec %q (want ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_P521)", ErrKeyUsage, k.keyARN, short(string(out.KeySpec)))
	}
	pub, err := parseSPKI(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: GetPublicKey for %s: %w", ErrInvalidResponse, k.keyARN, err)
	}
	if pub.Curve() != want.ECDH {
		return nil, fmt.Errorf("%w: GetPublicKey for %s returned a public key on another curve than its key spec %s", ErrInvalidResponse, k.keyARN, out.KeySpec)
	}
	return pub, nil
}

// maxSPKILen bounds the public keys parsed: a P-521 SubjectPublicKeyInfo
// is 158 bytes.
const maxSPKILen = 1024

// parseSPKI parses a DER SubjectPublicKeyInfo of a NIST curve key.
func parseSPKI(der []byte) (*ecdh.PublicKey, error) {
	if len(der) == 0 || len(der) > maxSPKILen {
		return nil, fmt.Errorf("public key is %d bytes, not a SubjectPublicKeyInfo of an elliptic-curve key", len(der))
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public key is not a SubjectPublicKeyInfo: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is a %T, not an elliptic-curve key", k)
	}
	pub, err := ek.ECDH()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", keyring.ErrECDHPublicKey, err)
	}
	if _, err := ecdhedk.CurveOf(pub.Curve()); err != nil {
		return nil, err
	}
	return pub, nil
}

// KeyARN returns the key ARN the keyring was configured with.
func (k *ECDHKeyring) KeyARN() string { return k.keyARN }

// String describes the keyring and its key, for error messages.
func (k *ECDHKeyring) String() string {
	return fmt.Sprintf("AWS KMS ECDH keyring for %s (%v, %v)", k.keyARN, k.curve, k.schema)
}

// deriveSharedSecret calls DeriveSharedSecret with the configured key and
// the peer's public key (SubjectPublicKeyInfo DER) and checks the answer.
func (k *ECDHKeyring) deriveSharedSecret(ctx context.Context, peerDER []byte) ([]byte, error) {
	out, err := k.client.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{
		KeyId:                 aws.String(k.keyARN),
		KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh,
		PublicKey:             peerDER,
		GrantTokens:           k.grants,
	})
	if err != nil {
		return nil, &KMSError{Op: "DeriveSharedSecret", KeyID: k.keyARN, Err: err}
	}
	if got := aws.ToString(out.KeyId); got != k.keyARN {
		clear(out.SharedSecret)
		return nil, fmt.Errorf("%w: DeriveSharedSecret with %s returned KeyId %q", ErrInvalidResponse, k.keyARN, short(got))
	}
	if out.KeyAgreementAlgorithm != types.KeyAgreementAlgorithmSpecEcdh {
		clear(out.SharedSecret)
		return nil, fmt.Errorf("%w: DeriveSharedSecret with %s returned key agreement algorithm %q", ErrInvalidResponse, k.keyARN, short(string(out.KeyAgreementAlgorithm)))
	}
	if n := (k.curve.Elliptic.Params().BitSize + 7) / 8; len(out.SharedSecret) != n {
		clear(out.SharedSecret)
		return nil, fmt.Errorf("%w: DeriveSharedSecret with %s returned a %d-byte shared secret; %v needs %d", ErrInvalidResponse, k.keyARN, len(out.SharedSecret), k.curve, n)
	}
	return out.SharedSecret, nil
}

// OnEncrypt implements [materials.Keyring]: one DeriveSharedSecret
// request. A KMSPublicKeyDiscovery keyring fails with
// [materials.ErrEncryptNotSupported].
func (k *ECDHKeyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	if k.schema == KMSPublicKeyDiscovery {
		return m, fmt.Errorf("%w: %v only decrypts", materials.ErrEncryptNotSupported, k)
	}
	if m.Suite.ID() == 0 {
		return m, errNoSuite
	}
	if m.PlaintextDataKey != nil && len(m.PlaintextDataKey) != m.Suite.KeyLen() {
		return m, fmt.Errorf("%w: data key is %d bytes, suite needs %d", materials.ErrInvalidMaterials, len(m.PlaintextDataKey), m.Suite.KeyLen())
	}
	ec, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("awskms: %v: %w", k, err)
	}
	z, err := k.deriveSharedSecret(ctx, k.peerDER)
	if err != nil {
		return m, err
	}
	defer clear(z)
	pdk := m.PlaintextDataKey
	if pdk == nil {
		pdk = make([]byte, m.Suite.KeyLen())
		if _, err := rand.Read(pdk); err != nil {
			return m, fmt.Errorf("awskms: %v: generating a data key: %w", k, err)
		}
	}
	ct, err := ecdhedk.Wrap(z, ecdhedk.FixedInfo(k.curve, k.own, k.peer, ec), pdk)
	if err != nil {
		return m, fmt.Errorf("awskms: %v: %w", k, err)
	}
	m.PlaintextDataKey = pdk
	info := ecdhedk.AppendProviderInfo(nil, k.peer, k.own)
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: ECDHProviderID, ProviderInfo: info, Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring]. It tries the "aws-kms-ecdh"
// and "raw-ecdh" encrypted data keys addressed to its keys, one
// DeriveSharedSecret request each, until one unwraps. When none does, it
// fails with a [*materials.NoDecryptableKeyError] holding one error per
// ECDH encrypted data key (skipped or tried).
func (k *ECDHKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	if m.Suite.ID() == 0 {
		return m, errNoSuite
	}
	ec, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("awskms: %v: %w", k, err)
	}
	var errs []error
	found := 0
	for i, edk := range edks {
		if edk.ProviderID != ecdhedk.ProviderIDKMS && edk.ProviderID != ecdhedk.ProviderIDRaw {
			continue
		}
		found++
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("awskms: %v: encrypted data key %d not attempted: %w", k, i, err))
			break
		}
		pdk, err := k.decryptOne(ctx, edk, ec, m.Suite.KeyLen())
		if err != nil {
			errs = append(errs, fmt.Errorf("awskms: %v: encrypted data key %d (%s): %w", k, i, edk.ProviderID, err))
			continue
		}
		out, err := m.WithPlaintextDataKey(pdk, edk)
		if err != nil {
			clear(pdk)
			errs = append(errs, fmt.Errorf("awskms: %v: encrypted data key %d: %w", k, i, err))
			continue
		}
		return out, nil
	}
	reason := fmt.Sprintf("%v found no usable key", k)
	if found == 0 {
		reason += " (the message has no ECDH encrypted data key)"
	}
	return m, &materials.NoDecryptableKeyError{Reason: reason, Errs: errs}
}

// decryptOne unwraps one encrypted data key of an ECDH provider ID.
func (k *ECDHKeyring) decryptOne(ctx context.Context, edk materials.EncryptedDataKey, ec []byte, keyLen int) ([]byte, error) {
	recipient, sender, err := ecdhedk.ParseProviderInfo(edk.ProviderInfo)
	if err != nil {
		return nil, err
	}
	if len(recipient) != k.curve.CompressedLen {
		return nil, fmt.Errorf("%w: its keys are %d-byte compressed points, the keyring's %v keys %d", keyring.ErrECDHCurve, len(recipient), k.curve, k.curve.CompressedLen)
	}
	if len(edk.Ciphertext) != ecdhedk.Overhead+keyLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d for a %d-byte data key", keyring.ErrECDHCiphertext, len(edk.Ciphertext), ecdhedk.Overhead+keyLen, keyLen)
	}
	var peerDER []byte
	switch {
	case k.schema == KMSPrivateKeyToStaticPublicKey && (bytes.Equal(sender, k.own) && bytes.Equal(recipient, k.peer) ||
		bytes.Equal(recipient, k.own) && bytes.Equal(sender, k.peer)):
		peerDER = k.peerDER
	case k.schema == KMSPublicKeyDiscovery && bytes.Equal(recipient, k.own):
		pub, err := k.curve.Decompress(sender)
		if err != nil {
			return nil, fmt.Errorf("sender key: %w", err)
		}
		if peerDER, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			return nil, fmt.Errorf("sender key: %w", err)
		}
	default:
		return nil, keyring.ErrECDHOtherKey
	}
	z, err := k.deriveSharedSecret(ctx, peerDER)
	if err != nil {
		return nil, err
	}
	defer clear(z)
	return ecdhedk.Unwrap(z, ecdhedk.FixedInfo(k.curve, sender, recipient, ec), edk.Ciphertext, keyLen)
}
