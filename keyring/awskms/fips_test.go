package awskms_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/fips140"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
)

// TestFIPSOnlyKMSKeyrings: in FIPS 140-only mode (scripts/test runs this
// with GODEBUG=fips140=only) the AWS KMS keyring wraps and unwraps (AWS
// KMS does the cryptography); the AWS KMS RSA keyring encrypts with
// OAEP-SHA256 and refuses OAEP-SHA1 when it encrypts; the AWS KMS ECDH
// keyring refuses the static schema, which wraps, and accepts discovery.
// Outside that mode nothing is refused.
func TestFIPSOnlyKMSKeyrings(t *testing.T) {
	ctx := context.Background()
	only := fips140.Enforced()
	refused := func(what string, err error) {
		t.Helper()
		if only && !errors.Is(err, algorithms.ErrFIPSUnapproved) {
			t.Errorf("%s: got %v, want an error wrapping ErrFIPSUnapproved", what, err)
		}
		if !only && err != nil {
			t.Errorf("%s outside FIPS 140-only mode: %v", what, err)
		}
	}

	dk := bytes.Repeat([]byte{7}, 32)
	kr, err := awskms.NewKeyring(&fakeClient{keyID: keyA, plaintext: dk}, keyA)
	if err != nil {
		t.Fatal(err)
	}
	m, err := kr.OnEncrypt(ctx, encMaterials(t))
	if err != nil || !bytes.Equal(m.PlaintextDataKey, dk) {
		t.Fatalf("AWS KMS keyring OnEncrypt: %v", err)
	}
	if _, err := kr.OnDecrypt(ctx, decMaterials(t, testEC), m.EncryptedDataKeys); err != nil {
		t.Fatalf("AWS KMS keyring OnDecrypt: %v", err)
	}

	priv, _ := rsaKeys(t)
	rk, err := awskms.NewRSAKeyring(nil, keyA, types.EncryptionAlgorithmSpecRsaesOaepSha256, &priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rk.OnEncrypt(ctx, encMaterials(t)); err != nil {
		t.Fatalf("AWS KMS RSA keyring, OAEP-SHA256: %v", err)
	}
	_, err = awskms.NewRSAKeyring(nil, keyA, types.EncryptionAlgorithmSpecRsaesOaepSha1, &priv.PublicKey)
	refused("AWS KMS RSA keyring, OAEP-SHA1, encrypting", err)
	if _, err := awskms.NewRSAKeyring(&fakeClient{keyID: keyA}, keyA, types.EncryptionAlgorithmSpecRsaesOaepSha1, nil); err != nil {
		t.Errorf("AWS KMS RSA keyring, OAEP-SHA1, decrypting only (by AWS KMS): %v", err)
	}

	kmsKey := newPeer(t, ecdh.P384())
	recipient := newPeer(t, ecdh.P384())
	fake := &ecdhFake{keyID: ecP384}
	_, err = awskms.NewECDHKeyring(ctx, fake, awskms.ECDHConfig{Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: ecP384, KeyPublicKey: kmsKey.PublicKey(), RecipientPublicKey: recipient.PublicKey()})
	refused("AWS KMS ECDH keyring, static", err)
	if only && !errors.Is(err, keyring.ErrFIPSECDHWrap) {
		t.Errorf("AWS KMS ECDH keyring, static: got %v, want ErrFIPSECDHWrap", err)
	}
	if _, err := awskms.NewECDHKeyring(ctx, fake, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: ecP384, KeyPublicKey: kmsKey.PublicKey()}); err != nil {
		t.Errorf("AWS KMS ECDH keyring, discovery: %v", err)
	}
}
