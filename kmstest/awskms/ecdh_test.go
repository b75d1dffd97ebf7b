package awskms_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// createECDHKey creates a key-agreement key through the AWS SDK.
func createECDHKey(t *testing.T, c *kms.Client, spec types.KeySpec) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: spec, KeyUsage: types.KeyUsageTypeKeyAgreement, Description: aws.String("ecdh test")})
	if err != nil {
		t.Fatal(err)
	}
	md := out.KeyMetadata
	if md.KeyUsage != types.KeyUsageTypeKeyAgreement || md.KeySpec != spec || !slices.Equal(md.KeyAgreementAlgorithms, []types.KeyAgreementAlgorithmSpec{types.KeyAgreementAlgorithmSpecEcdh}) {
		t.Fatalf("CreateKey metadata %+v", md)
	}
	return aws.ToString(md.Arn)
}

func genKey(t *testing.T, c ecdh.Curve) *ecdh.PrivateKey {
	t.Helper()
	k, err := c.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKMSECDHRoundTrip runs the AWS KMS ECDH keyring against the test
// KMS's DeriveSharedSecret over HTTP, for each curve: the static keyring
// decrypts what it wrote, the recipient's raw ECDH keyring decrypts it,
// the discovery keyring of a KMS recipient decrypts what raw ECDH senders
// wrote to it; each operation is one request with the grant tokens.
func TestKMSECDHRoundTrip(t *testing.T) {
	w := newWorld(t)
	c := w.west.Client()
	ctx := context.Background()
	for _, tc := range []struct {
		spec  types.KeySpec
		curve ecdh.Curve
	}{{types.KeySpecEccNistP256, ecdh.P256()}, {types.KeySpecEccNistP384, ecdh.P384()}, {types.KeySpecEccNistP521, ecdh.P521()}} {
		t.Run(string(tc.spec), func(t *testing.T) {
			arn := createECDHKey(t, c, tc.spec)
			kmsPriv, ok := w.west.ECDHPrivateKey(arn)
			if !ok {
				t.Fatal("the server does not own the key it created")
			}
			peer := genKey(t, tc.curve)
			w.reset()
			static, err := awskms.NewECDHKeyring(ctx, c, awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: arn, RecipientPublicKey: peer.PublicKey()}, awskms.WithGrantTokens("gt-ecdh"))
			if err != nil {
				t.Fatal(err)
			}
			discovery, err := awskms.NewECDHKeyring(ctx, c, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: arn}, awskms.WithGrantTokens("gt-ecdh"))
			if err != nil {
				t.Fatal(err)
			}
			if n := w.west.Count("GetPublicKey", arn); n != 2 {
				t.Fatalf("%d GetPublicKey requests for two keyrings", n)
			}
			w.reset()
			pt := bytes.Repeat([]byte("DeriveSharedSecret "), 300)
			ec := map[string]string{"purpose": "kms ecdh"}
			msg, err := encryptsdk.New(static).EncryptBytes(ctx, pt, &encryptsdk.EncryptOptions{EncryptionContext: ec})
			if err != nil {
				t.Fatal(err)
			}
			peerStatic := rawRing(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: peer, RecipientPublicKey: kmsPriv.PublicKey()})
			for _, dec := range []materials.Keyring{
				static,
				rawRing(t, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: peer}),
				peerStatic,
			} {
				got, _, err := encryptsdk.New(dec).DecryptBytes(ctx, msg, &encryptsdk.DecryptOptions{EncryptionContext: ec})
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%v: %v", dec, err)
				}
			}
			// The raw ECDH peer writes to the KMS key; ephemeral too.
			for _, enc := range []materials.Keyring{
				peerStatic,
				rawRing(t, keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: kmsPriv.PublicKey()}),
			} {
				msg, err := encryptsdk.New(enc).EncryptBytes(ctx, pt, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, dec := range []*awskms.ECDHKeyring{discovery, static} {
					if dec == static && enc != peerStatic {
						continue // a static keyring reads only its own pair's messages
					}
					got, _, err := encryptsdk.New(dec).DecryptBytes(ctx, msg, nil)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("%v reading %v: %v", dec, enc, err)
					}
				}
			}
			// 1 encrypt + 1 static decrypt + 2 discovery + 1 static.
			calls := w.west.Calls()
			if len(calls) != 5 {
				t.Fatalf("%d requests, want 5: %+v", len(calls), calls)
			}
			for _, call := range calls {
				if call.Op != "DeriveSharedSecret" || call.KeyID != arn || !slices.Equal(call.GrantTokens, []string{"gt-ecdh"}) {
					t.Fatalf("request %+v", call)
				}
			}
		})
	}
}

func rawRing(t *testing.T, c keyring.RawECDHConfig) *keyring.RawECDH {
	t.Helper()
	kr, err := keyring.NewRawECDH(c)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestKMSECDHWrongKey: a keyring for another KMS key finds nothing and
// asks KMS nothing; DeriveSharedSecret with a symmetric or unknown key
// fails with the AWS SDK's error types.
func TestKMSECDHWrongKey(t *testing.T) {
	w := newWorld(t)
	c := w.west.Client()
	ctx := context.Background()
	a, err := w.west.AddECDHKey("ecdh-a", genKey(t, ecdh.P256()))
	if err != nil {
		t.Fatal(err)
	}
	b := createECDHKey(t, c, types.KeySpecEccNistP256)
	peer := genKey(t, ecdh.P256())
	enc, err := awskms.NewECDHKeyring(ctx, c, awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: a, RecipientPublicKey: peer.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := encryptsdk.New(enc).EncryptBytes(ctx, []byte("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := awskms.NewECDHKeyring(ctx, c, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: b})
	if err != nil {
		t.Fatal(err)
	}
	w.reset()
	_, _, err = encryptsdk.New(other).DecryptBytes(ctx, msg, nil)
	var nd *encryptsdk.NoDecryptableKeyError
	if !errors.As(err, &nd) || !errors.Is(err, keyring.ErrECDHOtherKey) {
		t.Fatalf("got %v", err)
	}
	if n := w.west.Count("DeriveSharedSecret", ""); n != 0 {
		t.Fatalf("%d DeriveSharedSecret requests for another key's message", n)
	}

	// A key that is not a key-agreement key: the keyring refuses it at
	// construction (GetPublicKey through local-kms), and KMS refuses
	// DeriveSharedSecret with it.
	if _, err := awskms.NewECDHKeyring(ctx, c, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: keyA}); err == nil {
		t.Fatal("symmetric key accepted")
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
	for _, tc := range []struct {
		key  string
		want any
	}{{keyA, new(*types.InvalidKeyUsageException)}, {keyB + "0", new(*types.NotFoundException)}} {
		_, err := c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: aws.String(tc.key), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: pubDER})
		if !errors.As(err, tc.want) {
			t.Errorf("DeriveSharedSecret with %s: %v", tc.key, err)
		}
	}
}

// TestKMSECDHServer: the test KMS's DeriveSharedSecret computes the same
// secret as crypto/ecdh, accepts key IDs as well as ARNs, and refuses bad
// requests as KMS does.
func TestKMSECDHServer(t *testing.T) {
	w := newWorld(t)
	c := w.west.Client()
	ctx := context.Background()
	priv := genKey(t, ecdh.P384())
	arn, err := w.west.AddECDHKey("ecdh-p384", priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.west.AddECDHKey("ecdh-p384", priv); err == nil {
		t.Fatal("duplicate key ID accepted")
	}
	if _, err := w.west.AddECDHKey(keyAID, priv); err == nil {
		t.Fatal("key ID of a local-kms key accepted")
	}
	peer := genKey(t, ecdh.P384())
	der, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
	want, _ := peer.ECDH(priv.PublicKey())
	for _, id := range []string{arn, "ecdh-p384"} {
		out, err := c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: aws.String(id), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: der, GrantTokens: []string{"x"}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.SharedSecret, want) || aws.ToString(out.KeyId) != arn || out.KeyAgreementAlgorithm != types.KeyAgreementAlgorithmSpecEcdh {
			t.Fatalf("DeriveSharedSecret(%s): %+v", id, out)
		}
	}
	pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String("ecdh-p384")})
	if err != nil || pk.KeyUsage != types.KeyUsageTypeKeyAgreement || pk.KeySpec != types.KeySpecEccNistP384 || aws.ToString(pk.KeyId) != arn {
		t.Fatalf("GetPublicKey: %+v, %v", pk, err)
	}
	if d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)}); err != nil || d.KeyMetadata.KeyUsage != types.KeyUsageTypeKeyAgreement {
		t.Fatalf("DescribeKey: %v", err)
	}
	p256, _ := x509.MarshalPKIXPublicKey(genKey(t, ecdh.P256()).PublicKey())
	for name, in := range map[string]*kms.DeriveSharedSecretInput{
		"other curve": {KeyId: aws.String(arn), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: p256},
		"not SPKI":    {KeyId: aws.String(arn), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: []byte("junk")},
		"algorithm":   {KeyId: aws.String(arn), KeyAgreementAlgorithm: "OTHER", PublicKey: der},
	} {
		var ae smithy.APIError
		if _, err := c.DeriveSharedSecret(ctx, in); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: aws.String(arn), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: der, DryRun: aws.Bool(true)}); !errors.As(err, new(*types.DryRunOperationException)) {
		t.Errorf("DryRun: %v", err)
	}
	if _, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccSecgP256k1, KeyUsage: types.KeyUsageTypeKeyAgreement}); err == nil {
		t.Error("secp256k1 key-agreement key created")
	}
	// Other requests still reach local-kms.
	if _, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyA)}); err == nil {
		t.Error("GetPublicKey of a symmetric key succeeded")
	}
}
