package awskms_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
)

// The RSA keys of testdata/rsa-*.yaml.
const (
	rsaR       = "arn:aws:kms:us-west-2:111122223333:key/8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	rsaS       = "arn:aws:kms:us-west-2:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	rsaMRKWest = "arn:aws:kms:us-west-2:111122223333:key/mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	rsaMRKEast = "arn:aws:kms:us-east-1:111122223333:key/mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// rsaWorld is the world with the RSA keys seeded.
func rsaWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	for _, s := range []struct {
		srv  *kmstest.Server
		file string
	}{{w.west, "testdata/rsa-us-west-2.yaml"}, {w.east, "testdata/rsa-us-east-1.yaml"}} {
		b, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.srv.Seed("", b); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// publicKey fetches the public key of an RSA key from the test KMS.
func publicKey(t *testing.T, c awskms.Client, arn string) *rsa.PublicKey {
	t.Helper()
	out, err := c.(*kms.Client).GetPublicKey(context.Background(), &kms.GetPublicKeyInput{KeyId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub.(*rsa.PublicKey)
}

func TestRSAKeyringAgainstKMS(t *testing.T) {
	w := rsaWorld(t)
	ctx := context.Background()
	west := w.client(t, "us-west-2")
	pubR := publicKey(t, west, rsaR)
	ec := map[string]string{"purpose": "kms rsa", "tenant": "42"}
	for _, alg := range []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256} {
		t.Run(string(alg), func(t *testing.T) {
			kr := must(awskms.NewRSAKeyring(west, rsaR, alg, pubR, awskms.WithGrantTokens("grant-r")))
			c := encryptsdk.New(kr)
			for _, size := range []int{0, 1, 5000} {
				w.reset()
				pt := bytes.Repeat([]byte("r"), size)
				ct, err := c.EncryptBytes(ctx, pt, &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, EncryptionContext: ec})
				if err != nil {
					t.Fatal(err)
				}
				if n := len(w.west.Calls()) + len(w.east.Calls()); n != 0 {
					t.Fatalf("encrypting made %d KMS requests", n)
				}
				got, d, err := c.DecryptBytes(ctx, ct, &encryptsdk.DecryptOptions{EncryptionContext: ec})
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("decrypt: %v", err)
				}
				if d.DataKey().ProviderID != "aws-kms-rsa" || string(d.DataKey().ProviderInfo) != rsaR {
					t.Fatalf("data key %q %q", d.DataKey().ProviderID, d.DataKey().ProviderInfo)
				}
				calls := w.west.Calls()
				if len(calls) != 1 || calls[0].Op != "Decrypt" || calls[0].KeyID != rsaR || calls[0].EncryptionAlgorithm != string(alg) || !slices.Equal(calls[0].GrantTokens, []string{"grant-r"}) {
					t.Fatalf("calls: %+v", calls)
				}
			}
		})
	}
}

func TestRSAKeyringAgainstKMSFailures(t *testing.T) {
	w := rsaWorld(t)
	ctx := context.Background()
	west := w.client(t, "us-west-2")
	sha256 := types.EncryptionAlgorithmSpecRsaesOaepSha256
	kr := must(awskms.NewRSAKeyring(west, rsaR, sha256, publicKey(t, west, rsaR)))
	em, err := kr.OnEncrypt(ctx, materials.EncryptionMaterials{Suite: suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY), EncryptionContext: testEC})
	if err != nil {
		t.Fatal(err)
	}
	dec := func(kr materials.Keyring, ec materials.EncryptionContext, edks []materials.EncryptedDataKey) error {
		_, err := kr.OnDecrypt(ctx, materials.DecryptionMaterials{Suite: suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY), EncryptionContext: ec}, edks)
		return err
	}

	// The keyring of another key never calls KMS for R's key.
	w.reset()
	krS := must(awskms.NewRSAKeyring(west, rsaS, sha256, nil))
	var nd *materials.NoDecryptableKeyError
	if err := dec(krS, testEC, em.EncryptedDataKeys); !errors.As(err, &nd) || len(nd.Errs) != 0 {
		t.Fatalf("wrong key: %v", err)
	}
	if n := w.decrypts(""); n != 0 {
		t.Fatalf("wrong key: %d Decrypt calls", n)
	}
	// R's ciphertext relabelled as S's: KMS refuses to decrypt it with S.
	relabelled := slices.Clone(em.EncryptedDataKeys)
	relabelled[0].ProviderInfo = []byte(rsaS)
	var ke *awskms.KMSError
	if err := dec(krS, testEC, relabelled); !errors.As(err, &nd) || len(nd.Errs) != 1 || !errors.As(err, &ke) || ke.KeyID != rsaS {
		t.Fatalf("relabelled: %v", err)
	}
	if w.decrypts(rsaS) != 1 {
		t.Fatalf("relabelled: calls %+v", w.west.Calls())
	}
	// Another encryption context: KMS decrypts, the digest does not match.
	w.reset()
	if err := dec(kr, materials.EncryptionContext{"purpose": "other"}, em.EncryptedDataKeys); !errors.Is(err, awskms.ErrEncryptionContextDigest) {
		t.Fatalf("other context: %v", err)
	}
	if w.decrypts(rsaR) != 1 {
		t.Fatalf("other context: calls %+v", w.west.Calls())
	}
	// The other padding: KMS fails.
	if err := dec(must(awskms.NewRSAKeyring(west, rsaR, types.EncryptionAlgorithmSpecRsaesOaepSha1, nil)), testEC, em.EncryptedDataKeys); !errors.As(err, &ke) {
		t.Fatalf("other padding: %v", err)
	}
	// Signed suites are refused before any request.
	w.reset()
	if _, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("x"), nil); !errors.Is(err, awskms.ErrSignedSuite) {
		t.Fatalf("default (signed) suite: %v", err)
	}
	signed := materials.DecryptionMaterials{Suite: suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384), EncryptionContext: testEC}
	if _, err := kr.OnDecrypt(ctx, signed, em.EncryptedDataKeys); !errors.Is(err, awskms.ErrSignedSuite) {
		t.Fatalf("signed suite on decrypt: %v", err)
	}
	if n := len(w.west.Calls()); n != 0 {
		t.Fatalf("%d requests for a signed suite", n)
	}
}

func TestRSAKeyringMRKAgainstKMS(t *testing.T) {
	w := rsaWorld(t)
	ctx := context.Background()
	east := w.client(t, "us-east-1")
	sha1 := types.EncryptionAlgorithmSpecRsaesOaepSha1
	enc := encryptsdk.New(must(awskms.NewRSAKeyring(nil, rsaMRKEast, sha1, publicKey(t, east, rsaMRKEast))))
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
	ct, err := enc.EncryptBytes(ctx, []byte("replicated"), opts)
	if err != nil {
		t.Fatal(err)
	}
	w.reset()
	dec := encryptsdk.New(must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaMRKWest, sha1, nil)))
	if pt, _, err := dec.DecryptBytes(ctx, ct, nil); err != nil || string(pt) != "replicated" {
		t.Fatalf("replica: %v", err)
	}
	if w.west.Count("Decrypt", rsaMRKWest) != 1 || len(w.east.Calls()) != 0 {
		t.Fatalf("calls: west %+v, east %+v", w.west.Calls(), w.east.Calls())
	}
}
