package awskms

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// RSAProviderID is the provider ID of the encrypted data keys of an
// [RSAKeyring].
const RSAProviderID = "aws-kms-rsa"

// MinRSAModulusBits is the smallest RSA modulus an [RSAKeyring] accepts.
const MinRSAModulusBits = 2048

// ecDigestLen is the length of the SHA-384 digest of the encryption
// context that an [RSAKeyring] wraps in front of the data key.
const ecDigestLen = sha512.Size384

// maxKMSCiphertext is the largest CiphertextBlob AWS KMS accepts.
const maxKMSCiphertext = 6144

var (
	// ErrSignedSuite means an [RSAKeyring] was asked to encrypt or decrypt
	// with an algorithm suite that signs messages. Anyone holding the
	// public key could wrap a data key for a message with another
	// encryption context, so the keyring supports only suites whose
	// messages are not signed (the specification's rule).
	ErrSignedSuite = errors.New("awskms: the AWS KMS RSA keyring supports only algorithm suites without signatures")
	// ErrEncryptionContextDigest means AWS KMS decrypted an aws-kms-rsa
	// encrypted data key whose encryption context digest differs from that
	// of the message's encryption context: the data key was wrapped for
	// another encryption context.
	ErrEncryptionContextDigest = errors.New("awskms: encryption context digest of the encrypted data key does not match the message's encryption context")
)

// RSAKeyring is the AWS KMS RSA keyring: it wraps data keys with the
// public key of an asymmetric AWS KMS key (key spec RSA_2048, RSA_3072 or
// RSA_4096, key usage ENCRYPT_DECRYPT) and unwraps them by calling AWS KMS
// Decrypt with that key.
//
// Encryption is local and makes no AWS KMS request: the keyring encrypts
// SHA-384(serialized encryption context) ‖ data key with RSA-OAEP
// (SHA-1 or SHA-256, MGF1 with the same hash) under the configured public
// key, and records the configured key ARN as the provider info of an
// "aws-kms-rsa" encrypted data key. On decrypt it considers the
// "aws-kms-rsa" encrypted data keys whose key ARN is the configured one
// (or, for a multi-Region key, a replica of it), calls Decrypt with
// KeyId, EncryptionAlgorithm and grant tokens, and accepts the data key
// only if the response names the configured key and the digest matches
// the message's encryption context (compared in constant time).
//
// Because anyone with the public key can wrap a data key, the keyring
// refuses algorithm suites that sign messages, on encrypt and on decrypt
// ([ErrSignedSuite]); use one of the suites without ECDSA, such as
// AES_256_GCM_HKDF_SHA512_COMMIT_KEY (0x0478). An RSAKeyring is safe for
// concurrent use.
type RSAKeyring struct {
	client Client // nil: encrypt only
	keyARN string // the configured key ARN
	alg    types.EncryptionAlgorithmSpec
	pub    *rsa.PublicKey // nil: decrypt only
	grants []string
}

// NewRSAKeyring returns an AWS KMS RSA keyring for the RSA key keyARN (a
// key ARN; aliases and key IDs are refused), with the encryption
// algorithm alg, either types.EncryptionAlgorithmSpecRsaesOaepSha1 or
// types.EncryptionAlgorithmSpecRsaesOaepSha256.
//
// pub is the key's public key, as returned by AWS KMS GetPublicKey (parse
// its DER with x509.ParsePKIXPublicKey); its modulus must have at least
// [MinRSAModulusBits] bits. It must be the public key of keyARN; the
// keyring does not check that with AWS KMS. With a nil pub the keyring
// only decrypts. c calls AWS KMS Decrypt and may be nil for a keyring
// that only encrypts; at least one of c and pub must be given.
//
// In FIPS 140-only mode (GODEBUG=fips140=only) a keyring that encrypts
// (pub given) refuses RSAES_OAEP_SHA_1 and keys Go's module would refuse,
// with an error wrapping [algorithms.ErrFIPSUnapproved]; decryption is
// AWS KMS's.
func NewRSAKeyring(c Client, keyARN string, alg types.EncryptionAlgorithmSpec, pub *rsa.PublicKey, opts ...Option) (*RSAKeyring, error) {
	if c == nil && pub == nil {
		return nil, errors.New("awskms: an AWS KMS RSA keyring needs an AWS KMS client (to decrypt), a public key (to encrypt), or both")
	}
	if _, err := parseKeyARN(keyARN); err != nil {
		return nil, fmt.Errorf("awskms: an AWS KMS RSA keyring needs a key ARN: %w", err)
	}
	if _, err := oaepHash(alg); err != nil {
		return nil, err
	}
	if pub != nil {
		if pub.N == nil || pub.N.BitLen() < MinRSAModulusBits {
			bits := 0
			if pub.N != nil {
				bits = pub.N.BitLen()
			}
			return nil, fmt.Errorf("awskms: RSA public key has a %d-bit modulus; the AWS KMS RSA keyring needs at least %d bits", bits, MinRSAModulusBits)
		}
		if pub.E < 3 || pub.E&1 == 0 {
			return nil, fmt.Errorf("awskms: RSA public key has an invalid public exponent %d", pub.E)
		}
		h := crypto.SHA256
		if alg == types.EncryptionAlgorithmSpecRsaesOaepSha1 {
			h = crypto.SHA1
		}
		if err := algorithms.CheckFIPSRSA(pub, h); err != nil {
			return nil, fmt.Errorf("awskms: AWS KMS RSA keyring (%s): %w", alg, err)
		}
		cp := *pub
		pub = &cp
	}
	o := buildOptions(opts)
	return &RSAKeyring{client: c, keyARN: keyARN, alg: alg, pub: pub, grants: o.grantTokens}, nil
}

// oaepHash returns the OAEP hash of an AWS KMS encryption algorithm.
func oaepHash(alg types.EncryptionAlgorithmSpec) (func() hash.Hash, error) {
	switch alg {
	case types.EncryptionAlgorithmSpecRsaesOaepSha1:
		return sha1.New, nil
	case types.EncryptionAlgorithmSpecRsaesOaepSha256:
		return sha256.New, nil
	}
	return nil, fmt.Errorf("awskms: encryption algorithm %q is not supported by the AWS KMS RSA keyring (want %s or %s)",
		short(string(alg)), types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256)
}

// KeyARN returns the key ARN the keyring was configured with.
func (k *RSAKeyring) KeyARN() string { return k.keyARN }

// String describes the keyring and its key, for error messages.
func (k *RSAKeyring) String() string {
	return "AWS KMS RSA keyring for " + k.keyARN + " (" + string(k.alg) + ")"
}

// ecDigest returns SHA-384 of the canonical serialization of ec.
func ecDigest(ec materials.EncryptionContext) ([]byte, error) {
	b, err := ec.MarshalBinary()
	if err != nil {
		return nil, err
	}
	d := sha512.Sum384(b)
	return d[:], nil
}

// OnEncrypt implements [materials.Keyring]. It makes no AWS KMS request.
// It fails if the keyring has no public key or the suite signs messages
// ([ErrSignedSuite]).
func (k *RSAKeyring) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	if m.Suite.ID() == 0 {
		return m, errNoSuite
	}
	if k.pub == nil {
		return m, fmt.Errorf("awskms: %s has no public key, so it cannot encrypt", k)
	}
	if m.Suite.Signed() {
		return m, fmt.Errorf("%w: %s cannot encrypt with suite %v, which signs messages", ErrSignedSuite, k, m.Suite.ID())
	}
	digest, err := ecDigest(m.EncryptionContext)
	if err != nil {
		return m, fmt.Errorf("awskms: %s: %w", k, err)
	}
	pdk := m.PlaintextDataKey
	if pdk == nil {
		pdk = make([]byte, m.Suite.KeyLen())
		if _, err := rand.Read(pdk); err != nil {
			return m, fmt.Errorf("awskms: %s: generating a data key: %w", k, err)
		}
	} else if len(pdk) != m.Suite.KeyLen() {
		return m, fmt.Errorf("%w: data key is %d bytes, suite needs %d", materials.ErrInvalidMaterials, len(pdk), m.Suite.KeyLen())
	}
	h, _ := oaepHash(k.alg)
	msg := make([]byte, 0, ecDigestLen+len(pdk))
	msg = append(append(msg, digest...), pdk...)
	ct, err := rsa.EncryptOAEP(h(), rand.Reader, k.pub, msg, nil)
	clear(msg)
	if err != nil {
		return m, fmt.Errorf("awskms: %s: RSA-OAEP encryption failed: %w", k, err)
	}
	m.PlaintextDataKey = pdk
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: RSAProviderID, ProviderInfo: []byte(k.keyARN), Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring]. It fails with
// [ErrMalformedProviderInfo] if any aws-kms-rsa encrypted data key does
// not name a key ARN, with [ErrSignedSuite] for a suite that signs, and
// otherwise, when no key gives a data key, with a
// [*materials.NoDecryptableKeyError] holding one error per key tried
// (a mismatched digest wraps [ErrEncryptionContextDigest]).
func (k *RSAKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if k.client == nil {
		return m, fmt.Errorf("awskms: %s has no AWS KMS client, so it cannot decrypt", k)
	}
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	if m.Suite.ID() == 0 {
		return m, errNoSuite
	}
	if m.Suite.Signed() {
		return m, fmt.Errorf("%w: %s cannot decrypt a message of suite %v, which signs messages", ErrSignedSuite, k, m.Suite.ID())
	}
	// Filter every key first, so that a malformed one fails the call
	// before any request is made.
	var todo []materials.EncryptedDataKey
	var inMsg []string
	for i, edk := range edks {
		if edk.ProviderID != RSAProviderID {
			continue
		}
		info := string(edk.ProviderInfo)
		if _, err := parseKeyARN(info); err != nil {
			return m, fmt.Errorf("%w: %s: encrypted data key %d has provider info %q", ErrMalformedProviderInfo, k, i, short(info))
		}
		inMsg = append(inMsg, info)
		if MRKMatch(k.keyARN, info) {
			todo = append(todo, edk)
		}
	}
	if len(todo) == 0 {
		reason := fmt.Sprintf("%s found no encrypted data key for its key", k)
		if len(inMsg) == 0 {
			reason += " (the message has no AWS KMS RSA encrypted data key)"
		} else {
			reason += " (" + keysInMessage(inMsg) + ")"
		}
		return m, &materials.NoDecryptableKeyError{Reason: reason}
	}
	want, err := ecDigest(m.EncryptionContext)
	if err != nil {
		return m, fmt.Errorf("awskms: %s: %w", k, err)
	}
	var errs []error
	for _, edk := range todo {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("awskms: %s: Decrypt with %s not attempted: %w", k, k.keyARN, err))
			break
		}
		out, err := k.decryptOne(ctx, m, edk, want)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return out, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%s could not decrypt %s", k, tried(len(todo))), Errs: errs}
}

func (k *RSAKeyring) decryptOne(ctx context.Context, m materials.DecryptionMaterials, edk materials.EncryptedDataKey, want []byte) (materials.DecryptionMaterials, error) {
	if len(edk.Ciphertext) == 0 || len(edk.Ciphertext) > maxKMSCiphertext {
		return m, fmt.Errorf("awskms: %s: encrypted data key ciphertext is %d bytes; AWS KMS accepts 1 to %d", k, len(edk.Ciphertext), maxKMSCiphertext)
	}
	dec, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId:               aws.String(k.keyARN),
		CiphertextBlob:      edk.Ciphertext,
		EncryptionAlgorithm: k.alg,
		GrantTokens:         k.grants,
	})
	if err != nil {
		return m, &KMSError{Op: "Decrypt", KeyID: k.keyARN, Err: err}
	}
	if got := aws.ToString(dec.KeyId); got != k.keyARN {
		clear(dec.Plaintext)
		return m, fmt.Errorf("%w: Decrypt with %s returned KeyId %q", ErrInvalidResponse, k.keyARN, short(got))
	}
	if len(dec.Plaintext) != ecDigestLen+m.Suite.KeyLen() {
		clear(dec.Plaintext)
		return m, fmt.Errorf("%w: Decrypt with %s returned %d bytes; want a %d-byte encryption context digest and a %d-byte data key", ErrInvalidResponse, k.keyARN, len(dec.Plaintext), ecDigestLen, m.Suite.KeyLen())
	}
	if subtle.ConstantTimeCompare(dec.Plaintext[:ecDigestLen], want) != 1 {
		clear(dec.Plaintext)
		return m, fmt.Errorf("%w (%s)", ErrEncryptionContextDigest, k)
	}
	pdk := dec.Plaintext[ecDigestLen:]
	out, err := m.WithPlaintextDataKey(pdk, edk)
	if err != nil {
		clear(dec.Plaintext)
		return m, fmt.Errorf("awskms: %s: %w", k, err)
	}
	return out, nil
}
