package awskms_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// The ECC key-agreement keys of the fake world, all in us-west-2.
const (
	ecP256  = "arn:aws:kms:us-west-2:111122223333:key/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
	ecP256b = "arn:aws:kms:us-west-2:111122223333:key/4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"
	ecP384  = "arn:aws:kms:us-west-2:111122223333:key/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
	ecP521  = "arn:aws:kms:us-west-2:111122223333:key/6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c"
)

var ecdhKeySpecs = map[ecdh.Curve]types.KeySpec{
	ecdh.P256(): types.KeySpecEccNistP256,
	ecdh.P384(): types.KeySpecEccNistP384,
	ecdh.P521(): types.KeySpecEccNistP521,
}

// DeriveSharedSecret is the ECDH key agreement of AWS KMS with the private
// key of an ECC key-agreement key.
func (f *fakeKMS) DeriveSharedSecret(ctx context.Context, in *kms.DeriveSharedSecretInput, _ ...func(*kms.Options)) (*kms.DeriveSharedSecretOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.record("DeriveSharedSecret", aws.ToString(in.KeyId), in.GrantTokens, "")
	arn, err := f.resolve(in.KeyId)
	if err != nil {
		return nil, err
	}
	priv, ok := f.ecKeys[arn]
	if !ok {
		return nil, &types.InvalidKeyUsageException{Message: aws.String(arn + " is not a key-agreement key")}
	}
	if in.KeyAgreementAlgorithm != types.KeyAgreementAlgorithmSpecEcdh {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "KeyAgreementAlgorithm must be ECDH"}
	}
	k, err := x509.ParsePKIXPublicKey(in.PublicKey)
	if err != nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "PublicKey is not a SubjectPublicKeyInfo"}
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "PublicKey is not an EC key"}
	}
	pub, err := ek.ECDH()
	if err != nil || pub.Curve() != priv.Curve() {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "PublicKey is not on the key's curve"}
	}
	z, err := priv.ECDH(pub)
	if err != nil {
		return nil, err
	}
	return &kms.DeriveSharedSecretOutput{KeyId: aws.String(arn), SharedSecret: z, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, KeyOrigin: types.OriginTypeAwsKms}, nil
}

// GetPublicKey describes the public key of an asymmetric key.
func (f *fakeKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, _ ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.record("GetPublicKey", aws.ToString(in.KeyId), in.GrantTokens, "")
	arn, err := f.resolve(in.KeyId)
	if err != nil {
		return nil, err
	}
	if priv, ok := f.ecKeys[arn]; ok {
		der, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
		if err != nil {
			return nil, err
		}
		return &kms.GetPublicKeyOutput{KeyId: aws.String(arn), PublicKey: der, KeySpec: ecdhKeySpecs[priv.Curve()], KeyUsage: types.KeyUsageTypeKeyAgreement,
			KeyAgreementAlgorithms: []types.KeyAgreementAlgorithmSpec{types.KeyAgreementAlgorithmSpecEcdh}}, nil
	}
	if priv, ok := f.rsaKeys[arn]; ok {
		der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		return &kms.GetPublicKeyOutput{KeyId: aws.String(arn), PublicKey: der, KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt}, nil
	}
	return nil, &types.UnsupportedOperationException{Message: aws.String(arn + " is a symmetric key")}
}

// ecdhWorld is the fake world with ECC key-agreement keys; it returns
// their private keys by ARN.
func ecdhWorld(t testing.TB) (*world, map[string]*ecdh.PrivateKey) {
	t.Helper()
	w := newWorld(t)
	keys := map[string]*ecdh.PrivateKey{}
	for arn, c := range map[string]ecdh.Curve{ecP256: ecdh.P256(), ecP256b: ecdh.P256(), ecP384: ecdh.P384(), ecP521: ecdh.P521()} {
		k, err := c.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[arn] = k
		w.west.ecKeys[arn] = k
	}
	return w, keys
}

// ecdhClient is the fake region as an ECDHClient.
func (w *world) ecdhClient(t testing.TB) awskms.ECDHClient {
	return w.west
}

func newPeer(t testing.TB, c ecdh.Curve) *ecdh.PrivateKey {
	t.Helper()
	k, err := c.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func staticKMS(t testing.TB, w *world, arn string, recipient *ecdh.PublicKey, opts ...awskms.Option) *awskms.ECDHKeyring {
	t.Helper()
	kr, err := awskms.NewECDHKeyring(context.Background(), w.ecdhClient(t), awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: arn, RecipientPublicKey: recipient}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func discoveryKMS(t testing.TB, w *world, arn string, opts ...awskms.Option) *awskms.ECDHKeyring {
	t.Helper()
	kr, err := awskms.NewECDHKeyring(context.Background(), w.ecdhClient(t), awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: arn}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func rawECDH(t testing.TB, c keyring.RawECDHConfig) *keyring.RawECDH {
	t.Helper()
	kr, err := keyring.NewRawECDH(c)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestECDHKeyringRoundTrip: for each curve, the static keyring decrypts
// what it wrote; the recipient decrypts it with a raw ECDH keyring
// (discovery or static) holding its private key, so the wire format is
// that of the raw keyring; and the KMS keyrings decrypt what raw ECDH
// keyrings wrote to the KMS key. Each operation is one DeriveSharedSecret
// request with the grant tokens.
func TestECDHKeyringRoundTrip(t *testing.T) {
	w, keys := ecdhWorld(t)
	ctx := context.Background()
	for _, arn := range []string{ecP256, ecP384, ecP521} {
		kmsKey := keys[arn]
		t.Run(kmsKey.Curve().(interface{ String() string }).String(), func(t *testing.T) {
			peer := newPeer(t, kmsKey.Curve())
			w.reset()
			kr := staticKMS(t, w, arn, peer.PublicKey(), awskms.WithGrantTokens("g1", "g2"))
			if n := w.west.Count("GetPublicKey", arn); n != 1 {
				t.Fatalf("%d GetPublicKey requests at construction, want 1", n)
			}
			w.reset()
			for _, ec := range []materials.EncryptionContext{nil, testEC} {
				em, err := kr.OnEncrypt(ctx, materials.EncryptionMaterials{Suite: suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384), EncryptionContext: ec})
				if err != nil {
					t.Fatal(err)
				}
				edk := em.EncryptedDataKeys[0]
				if edk.ProviderID != "aws-kms-ecdh" || len(edk.Ciphertext) != 32+32+32+16 {
					t.Fatalf("encrypted data key %q, %d-byte ciphertext", edk.ProviderID, len(edk.Ciphertext))
				}
				wantInfo := map[string]int{ecP256: 75, ecP384: 107, ecP521: 143}[arn]
				if len(edk.ProviderInfo) != wantInfo || edk.ProviderInfo[0] != 1 {
					t.Fatalf("provider info: %d bytes starting %x, want %d starting 01", len(edk.ProviderInfo), edk.ProviderInfo[:1], wantInfo)
				}
				dm := materials.DecryptionMaterials{Suite: em.Suite, EncryptionContext: ec}
				for _, dec := range []materials.Keyring{
					kr,
					rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: peer}),
					rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: peer, RecipientPublicKey: kmsKey.PublicKey()}),
				} {
					out, err := dec.OnDecrypt(ctx, dm, em.EncryptedDataKeys)
					if err != nil {
						t.Fatalf("%v: %v", dec, err)
					}
					if !bytes.Equal(out.PlaintextDataKey, em.PlaintextDataKey) {
						t.Fatalf("%v: another data key", dec)
					}
				}
			}
			calls := w.west.Calls()
			if len(calls) != 4 {
				t.Fatalf("%d KMS requests, want 4 (2 encrypt + 2 decrypt): %v", len(calls), calls)
			}
			for _, c := range calls {
				if c.Op != "DeriveSharedSecret" || c.KeyID != arn || !slices.Equal(c.GrantTokens, []string{"g1", "g2"}) {
					t.Fatalf("request %+v", c)
				}
			}

			// Raw ECDH keyrings write to the KMS key: ephemeral and static
			// senders to the discovery keyring, the static peer to the
			// static keyring (roles swapped).
			disc := discoveryKMS(t, w, arn)
			for _, tc := range []struct {
				enc materials.Keyring
				dec *awskms.ECDHKeyring
			}{
				{rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: kmsKey.PublicKey()}), disc},
				{rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: peer, RecipientPublicKey: kmsKey.PublicKey()}), disc},
				{rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: peer, RecipientPublicKey: kmsKey.PublicKey()}), kr},
			} {
				em := encrypt(t, tc.enc)
				if em.EncryptedDataKeys[0].ProviderID != "raw-ecdh" {
					t.Fatal(em.EncryptedDataKeys[0].ProviderID)
				}
				mustDecrypt(t, tc.dec, em)
			}
			if _, err := disc.OnEncrypt(ctx, encMaterials(t)); !errors.Is(err, materials.ErrEncryptNotSupported) {
				t.Fatalf("discovery OnEncrypt: %v", err)
			}
		})
	}
}

// TestECDHKeyringEncryptSDK: whole messages through the public client.
func TestECDHKeyringEncryptSDK(t *testing.T) {
	w, keys := ecdhWorld(t)
	peer := newPeer(t, ecdh.P384())
	sender := staticKMS(t, w, ecP384, peer.PublicKey())
	recipient := rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: peer, RecipientPublicKey: keys[ecP384].PublicKey()})
	ctx := context.Background()
	pt := bytes.Repeat([]byte("kms ecdh "), 1000)
	ct, err := encryptsdk.New(sender).EncryptBytes(ctx, pt, &encryptsdk.EncryptOptions{EncryptionContext: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, dec := range []materials.Keyring{sender, recipient} {
		got, _, err := encryptsdk.New(dec).DecryptBytes(ctx, ct, nil)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%v: %v", dec, err)
		}
	}
	// The reverse: the peer writes, the KMS keyring reads.
	ct, err = encryptsdk.New(recipient).EncryptBytes(ctx, pt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := encryptsdk.New(sender).DecryptBytes(ctx, ct, nil); err != nil || !bytes.Equal(got, pt) {
		t.Fatal(err)
	}
}

// TestECDHKeyringWrongKey: encrypted data keys for other keys are skipped
// without a KMS request, each with a reason in the error.
func TestECDHKeyringWrongKey(t *testing.T) {
	w, _ := ecdhWorld(t)
	ctx := context.Background()
	peer := newPeer(t, ecdh.P256())
	em := encrypt(t, staticKMS(t, w, ecP256, peer.PublicKey()))
	other := newPeer(t, ecdh.P256())
	w.reset()
	for _, kr := range []*awskms.ECDHKeyring{
		discoveryKMS(t, w, ecP256b),                // another recipient
		staticKMS(t, w, ecP256, other.PublicKey()), // the sender, but with another recipient
		staticKMS(t, w, ecP256b, peer.PublicKey()), // the recipient, but another sender key
		discoveryKMS(t, w, ecP256),                 // the sender's key, not the recipient
		discoveryKMS(t, w, ecP384),                 // another curve
		staticKMS(t, w, ecP384, newPeer(t, ecdh.P384()).PublicKey()),
	} {
		w.reset()
		_, err := kr.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) || len(nd.Errs) != 1 {
			t.Fatalf("%v: %v", kr, err)
		}
		if !errors.Is(err, keyring.ErrECDHOtherKey) && !errors.Is(err, keyring.ErrECDHCurve) {
			t.Fatalf("%v: %v", kr, err)
		}
		if n := len(w.west.Calls()); n != 0 {
			t.Fatalf("%v made %d KMS requests for another key's message", kr, n)
		}
	}
	// A raw ECDH keyring with another private key does not decrypt it
	// either, and the right one does.
	if _, err := rawECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: other}).OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys); err == nil {
		t.Fatal("another private key decrypted")
	}
	// No ECDH key at all: the reason says so.
	_, err := discoveryKMS(t, w, ecP256).OnDecrypt(ctx, decMaterials(t, nil), []materials.EncryptedDataKey{{ProviderID: "aws-kms", ProviderInfo: []byte(keyA)}})
	if err == nil || !strings.Contains(err.Error(), "no ECDH encrypted data key") {
		t.Fatalf("got %v", err)
	}
}

// TestECDHKeyringBadEncryptedDataKeys: malformed provider info, a key of
// another curve, an invalid point, a truncated ciphertext, a flipped
// commitment bit and another encryption context are each skipped with
// their reason; the good key after them is still found.
func TestECDHKeyringBadEncryptedDataKeys(t *testing.T) {
	w, _ := ecdhWorld(t)
	ctx := context.Background()
	peer := newPeer(t, ecdh.P256())
	kr := staticKMS(t, w, ecP256, peer.PublicKey())
	good := encrypt(t, kr).EncryptedDataKeys[0]
	mod := func(f func(e *materials.EncryptedDataKey)) materials.EncryptedDataKey {
		e := materials.EncryptedDataKey{ProviderID: good.ProviderID, ProviderInfo: bytes.Clone(good.ProviderInfo), Ciphertext: bytes.Clone(good.Ciphertext)}
		f(&e)
		return e
	}
	// A sender key that is not on the curve: a discovery keyring for the
	// message's recipient would otherwise ask KMS with it.
	// (x = 2^256-1 is not a field element of P-256).
	offCurve := mod(func(e *materials.EncryptedDataKey) {
		copy(e.ProviderInfo[len(e.ProviderInfo)-32:], bytes.Repeat([]byte{0xff}, 32))
	})
	for _, tc := range []struct {
		name string
		edk  materials.EncryptedDataKey
		want error
		kr   materials.Keyring
	}{
		{"version", mod(func(e *materials.EncryptedDataKey) { e.ProviderInfo[0] = 2 }), keyring.ErrECDHProviderInfo, kr},
		{"length past the end", mod(func(e *materials.EncryptedDataKey) { e.ProviderInfo = e.ProviderInfo[:60] }), keyring.ErrECDHProviderInfo, kr},
		{"P-384 key", materials.EncryptedDataKey{ProviderID: "aws-kms-ecdh", ProviderInfo: p384Info(t), Ciphertext: good.Ciphertext}, keyring.ErrECDHCurve, kr},
		{"truncated ciphertext", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext = e.Ciphertext[:len(e.Ciphertext)-1] }), keyring.ErrECDHCiphertext, kr},
		{"commitment bit", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext[40] ^= 1 }), keyring.ErrECDHCommitment, kr},
		{"tag bit", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext[len(e.Ciphertext)-1] ^= 1 }), keyring.ErrECDHAuthentication, kr},
		{"invalid sender point", offCurve, keyring.ErrECDHPublicKey, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := tc.kr
			if dec == nil {
				// The discovery keyring of the message's recipient; the
				// recipient here is a raw key, so make it a KMS key.
				w.west.ecKeys[ecP256b] = peer
				dec = discoveryKMS(t, w, ecP256b)
			}
			w.reset()
			_, err := dec.OnDecrypt(ctx, decMaterials(t, testEC), []materials.EncryptedDataKey{tc.edk})
			var nd *materials.NoDecryptableKeyError
			if !errors.As(err, &nd) || !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, keyring.ErrECDHProviderInfo) || errors.Is(tc.want, keyring.ErrECDHCurve) || errors.Is(tc.want, keyring.ErrECDHCiphertext) || errors.Is(tc.want, keyring.ErrECDHPublicKey) {
				if n := len(w.west.Calls()); n != 0 {
					t.Fatalf("%d KMS requests for a malformed key", n)
				}
			}
			// The good key after the bad one is found.
			if _, err := dec.OnDecrypt(ctx, decMaterials(t, testEC), []materials.EncryptedDataKey{tc.edk, good}); tc.kr != nil && err != nil {
				t.Fatal(err)
			}
		})
	}
	// Another encryption context: the commitment key differs.
	_, err := kr.OnDecrypt(ctx, decMaterials(t, materials.EncryptionContext{"purpose": "other"}), []materials.EncryptedDataKey{good})
	if !errors.Is(err, keyring.ErrECDHCommitment) {
		t.Fatalf("another encryption context: %v", err)
	}
}

// p384Info is a well-formed provider info of P-384 keys.
func p384Info(t testing.TB) []byte {
	k := newPeer(t, ecdh.P384())
	b := k.PublicKey().Bytes()
	c := append([]byte{2 | b[len(b)-1]&1}, b[1:49]...)
	info := []byte{1, 0, 0, 0, 49}
	info = append(info, c...)
	info = append(info, 0, 0, 0, 49)
	return append(info, c...)
}

// TestECDHKeyringConfig: construction checks, and GetPublicKey's answer.
func TestECDHKeyringConfig(t *testing.T) {
	w, keys := ecdhWorld(t)
	rsaW, _, _ := rsaWorld(t)
	ctx := context.Background()
	p256 := newPeer(t, ecdh.P256()).PublicKey()
	for _, tc := range []struct {
		name string
		c    awskms.ECDHClient
		cfg  awskms.ECDHConfig
		want error
	}{
		{"no schema", w.west, awskms.ECDHConfig{KeyARN: ecP256, RecipientPublicKey: p256}, nil},
		{"static without recipient", w.west, awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: ecP256}, nil},
		{"discovery with recipient", w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: ecP256, RecipientPublicKey: p256}, nil},
		{"alias", w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: "alias/x"}, nil},
		{"alias ARN", w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: "arn:aws:kms:us-west-2:111122223333:alias/x"}, nil},
		{"curve mismatch", w.west, awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: ecP384, RecipientPublicKey: p256}, keyring.ErrECDHCurve},
		{"curve mismatch, given key", w.west, awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: ecP384, KeyPublicKey: keys[ecP384].PublicKey(), RecipientPublicKey: p256}, keyring.ErrECDHCurve},
		{"RSA key", rsaW.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: rsaWest}, awskms.ErrKeyUsage},
		{"symmetric key", w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: keyA}, nil},
		{"no such key", w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: keyB + "0"}, nil},
	} {
		if _, err := awskms.NewECDHKeyring(ctx, tc.c, tc.cfg); err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	var kerr *awskms.KMSError
	if _, err := awskms.NewECDHKeyring(ctx, w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: keyA}); !errors.As(err, &kerr) || kerr.Op != "GetPublicKey" {
		t.Errorf("symmetric key: %v", err)
	}
	if _, err := awskms.NewECDHKeyring(ctx, nil, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: ecP256}); err == nil {
		t.Error("nil client accepted")
	}
	// With the KMS key's public key given, no GetPublicKey request.
	w.reset()
	if _, err := awskms.NewECDHKeyring(ctx, w.west, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: ecP256, KeyPublicKey: keys[ecP256].PublicKey()}); err != nil {
		t.Fatal(err)
	}
	if n := len(w.west.Calls()); n != 0 {
		t.Fatalf("%d requests with the public key given", n)
	}
	// Schema names are those of the Material Providers Library.
	if awskms.KMSPrivateKeyToStaticPublicKey.String() != "KmsPrivateKeyToStaticPublicKey" || awskms.KMSPublicKeyDiscovery.String() != "KmsPublicKeyDiscovery" {
		t.Fatal("schema names")
	}
}

// ecdhFake answers DeriveSharedSecret and GetPublicKey with whatever its
// fields say, to test the checks of responses a real KMS would not send.
type ecdhFake struct {
	keyID  string
	alg    types.KeyAgreementAlgorithmSpec
	secret []byte
	usage  types.KeyUsageType
	spec   types.KeySpec
	pub    []byte
}

func (f *ecdhFake) DeriveSharedSecret(context.Context, *kms.DeriveSharedSecretInput, ...func(*kms.Options)) (*kms.DeriveSharedSecretOutput, error) {
	return &kms.DeriveSharedSecretOutput{KeyId: aws.String(f.keyID), KeyAgreementAlgorithm: f.alg, SharedSecret: bytes.Clone(f.secret)}, nil
}

func (f *ecdhFake) GetPublicKey(context.Context, *kms.GetPublicKeyInput, ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	return &kms.GetPublicKeyOutput{KeyId: aws.String(f.keyID), KeyUsage: f.usage, KeySpec: f.spec, PublicKey: f.pub}, nil
}

func TestECDHKeyringInvalidResponses(t *testing.T) {
	ctx := context.Background()
	kmsKey := newPeer(t, ecdh.P256())
	der, _ := x509.MarshalPKIXPublicKey(kmsKey.PublicKey())
	der384, _ := x509.MarshalPKIXPublicKey(newPeer(t, ecdh.P384()).PublicKey())
	peer := newPeer(t, ecdh.P256())
	good := ecdhFake{keyID: ecP256, alg: types.KeyAgreementAlgorithmSpecEcdh, secret: make([]byte, 32), usage: types.KeyUsageTypeKeyAgreement, spec: types.KeySpecEccNistP256, pub: der}
	cfg := awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: ecP256, RecipientPublicKey: peer.PublicKey()}

	// GetPublicKey.
	for name, f := range map[string]func(*ecdhFake){
		"KeyId":          func(f *ecdhFake) { f.keyID = ecP256b },
		"usage":          func(f *ecdhFake) { f.usage = types.KeyUsageTypeSignVerify },
		"spec":           func(f *ecdhFake) { f.spec = types.KeySpecEccSecgP256k1 },
		"spec and curve": func(f *ecdhFake) { f.spec = types.KeySpecEccNistP384 },
		"not SPKI":       func(f *ecdhFake) { f.pub = []byte("junk") },
		"empty":          func(f *ecdhFake) { f.pub = nil },
		"P-384 key":      func(f *ecdhFake) { f.pub = der384 },
	} {
		c := good
		f(&c)
		if _, err := awskms.NewECDHKeyring(ctx, &c, cfg); !errors.Is(err, awskms.ErrInvalidResponse) && !errors.Is(err, awskms.ErrKeyUsage) && !errors.Is(err, keyring.ErrECDHCurve) {
			t.Errorf("GetPublicKey %s: got %v", name, err)
		}
	}
	c := good
	if _, err := awskms.NewECDHKeyring(ctx, &c, cfg); err != nil {
		t.Fatal(err)
	}

	// DeriveSharedSecret.
	for name, f := range map[string]func(*ecdhFake){
		"KeyId":     func(f *ecdhFake) { f.keyID = ecP256b },
		"no KeyId":  func(f *ecdhFake) { f.keyID = "" },
		"algorithm": func(f *ecdhFake) { f.alg = "OTHER" },
		"short":     func(f *ecdhFake) { f.secret = f.secret[:31] },
		"empty":     func(f *ecdhFake) { f.secret = nil },
	} {
		c := good
		kr, err := awskms.NewECDHKeyring(ctx, &c, awskms.ECDHConfig{Schema: cfg.Schema, KeyARN: ecP256, KeyPublicKey: kmsKey.PublicKey(), RecipientPublicKey: peer.PublicKey()})
		if err != nil {
			t.Fatal(err)
		}
		em := encrypt(t, kr)
		f(&c)
		if _, err := kr.OnEncrypt(ctx, encMaterials(t)); !errors.Is(err, awskms.ErrInvalidResponse) {
			t.Errorf("DeriveSharedSecret %s on encrypt: got %v", name, err)
		}
		_, err = kr.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) || !errors.Is(err, awskms.ErrInvalidResponse) {
			t.Errorf("DeriveSharedSecret %s on decrypt: got %v", name, err)
		}
	}
}

// TestECDHKeyringKMSErrors: a failed DeriveSharedSecret is a *KMSError
// naming the operation and key; on decrypt it is collected and the next
// key is tried.
func TestECDHKeyringKMSErrors(t *testing.T) {
	w, keys := ecdhWorld(t)
	ctx := context.Background()
	peer := newPeer(t, ecdh.P256())
	kr := staticKMS(t, w, ecP256, peer.PublicKey())
	em := encrypt(t, kr)
	delete(w.west.ecKeys, ecP256) // the key is gone
	var kerr *awskms.KMSError
	if _, err := kr.OnEncrypt(ctx, encMaterials(t)); !errors.As(err, &kerr) || kerr.Op != "DeriveSharedSecret" || kerr.KeyID != ecP256 {
		t.Fatalf("encrypt: %v", err)
	}
	_, err := kr.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
	if !errors.As(err, &kerr) {
		t.Fatalf("decrypt: %v", err)
	}
	w.west.ecKeys[ecP256] = keys[ecP256]
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := kr.OnDecrypt(cctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	// Materials that already hold a data key are refused before any request.
	w.reset()
	m := decMaterials(t, em.EncryptionContext)
	m.PlaintextDataKey = make([]byte, 32)
	if _, err := kr.OnDecrypt(ctx, m, em.EncryptedDataKeys); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Fatal(err)
	}
	if len(w.west.Calls()) != 0 {
		t.Fatal("requests made")
	}
}
