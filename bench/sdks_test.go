package bench

import (
	"context"
	"fmt"
	"testing"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdk "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygenerated"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

// The one raw AES-256 wrapping key both SDKs use, with its namespace and
// name (the provider ID and the start of the provider info).
var (
	wrappingKey  = []byte("0123456789abcdef0123456789abcdef")
	keyNamespace = "bench-namespace"
	keyName      = "bench-key"
)

const frameLength = 4096

// suiteCase is one algorithm suite as each SDK names it.
type suiteCase struct {
	name     string // "0478"
	ours     algorithms.ID
	official mpltypes.ESDKAlgorithmSuiteId
}

var suites = []suiteCase{
	{"0178", algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256, mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmIv12Tag16HkdfSha256},
	{"0478", algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey},
	{"0578", algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384},
}

// committing reports whether the suite commits to its key; 0x0178 does not
// and needs a policy that forbids committing suites on encrypt.
func (s suiteCase) committing() bool { return s.ours != algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256 }

// ours is our SDK set up for one suite: a raw AES-256 keyring, and a
// commitment policy that allows the suite both ways.
type ours struct {
	c    *encryptsdk.Client
	opts *encryptsdk.EncryptOptions
}

func newOurs(tb testing.TB, s suiteCase) *ours {
	tb.Helper()
	kr, err := keyring.NewRawAES(keyNamespace, keyName, wrappingKey)
	if err != nil {
		tb.Fatal(err)
	}
	c := encryptsdk.New(kr)
	if !s.committing() {
		c.CommitmentPolicy = encryptsdk.ForbidEncryptAllowDecrypt
	}
	return &ours{c: c, opts: &encryptsdk.EncryptOptions{Suite: s.ours, FrameLength: frameLength}}
}

func (o *ours) encrypt(pt []byte, ec map[string]string) ([]byte, error) {
	opts := *o.opts
	opts.EncryptionContext = ec
	return o.c.EncryptBytes(context.Background(), pt, &opts)
}

func (o *ours) decrypt(ct []byte) ([]byte, map[string]string, error) {
	pt, d, err := o.c.DecryptBytes(context.Background(), ct, nil)
	if err != nil {
		return nil, nil, err
	}
	return pt, d.EncryptionContext(), nil
}

// official is the AWS Encryption SDK for Go set up for one suite, with the
// MPL's raw AES keyring (AES-256-GCM wrapping) under the same key and names.
type official struct {
	c     *esdk.Client
	kr    mpltypes.IKeyring
	suite mpltypes.ESDKAlgorithmSuiteId
}

func newOfficial(tb testing.TB, s suiteCase) *official {
	tb.Helper()
	ctx := context.Background()
	mp, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	kr, err := mp.CreateRawAesKeyring(ctx, mpltypes.CreateRawAesKeyringInput{
		KeyName:      keyName,
		KeyNamespace: keyNamespace,
		WrappingAlg:  mpltypes.AesWrappingAlgAlgAes256GcmIv12Tag16,
		WrappingKey:  wrappingKey,
	})
	if err != nil {
		tb.Fatal(err)
	}
	policy := mpltypes.ESDKCommitmentPolicyRequireEncryptRequireDecrypt
	if !s.committing() {
		policy = mpltypes.ESDKCommitmentPolicyForbidEncryptAllowDecrypt
	}
	c, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{CommitmentPolicy: &policy})
	if err != nil {
		tb.Fatal(err)
	}
	return &official{c: c, kr: kr, suite: s.official}
}

func (o *official) encrypt(pt []byte, ec map[string]string) ([]byte, error) {
	fl := int64(frameLength)
	suite := o.suite
	out, err := o.c.Encrypt(context.Background(), esdktypes.EncryptInput{
		Plaintext:         pt,
		AlgorithmSuiteId:  &suite,
		EncryptionContext: ec,
		FrameLength:       &fl,
		Keyring:           o.kr,
	})
	if err != nil {
		return nil, fmt.Errorf("official encrypt: %w", err)
	}
	return out.Ciphertext, nil
}

func (o *official) decrypt(ct []byte) ([]byte, map[string]string, error) {
	out, err := o.c.Decrypt(context.Background(), esdktypes.DecryptInput{
		Ciphertext: ct,
		Keyring:    o.kr,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("official decrypt: %w", err)
	}
	return out.Plaintext, out.EncryptionContext, nil
}
