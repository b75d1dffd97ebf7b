package pkcs11_test

import (
	"errors"
	"testing"

	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
	"github.com/go-esdk/esdk/pkcs11"
)

// TestMultiWithKMS: a message for a multi-keyring of a token key and a KMS
// key (the in-process test KMS) decrypts with either keyring alone.
func TestMultiWithKMS(t *testing.T) {
	tok := openToken(t)
	srv := kmstest.Start(t, "us-west-2")
	arn, err := srv.AddKey("5e1f0c2d-7a3b-4c5d-8e9f-0a1b2c3d4e5f", randBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	kmsKR, err := awskms.NewKeyring(srv.Client(), arn)
	if err != nil {
		t.Fatal(err)
	}
	ar, rr := newRef(t, tok, "aes"), newRef(t, tok, "rsa")
	if err := tok.GenerateAESKey(bg, ar, 256); err != nil {
		t.Fatal(err)
	}
	if err := tok.GenerateRSAKeyPair(bg, rr, 3072); err != nil {
		t.Fatal(err)
	}
	aesKR, err := tok.NewAESKeyring(bg, "hsm", "aes", ar)
	if err != nil {
		t.Fatal(err)
	}
	rsaKR, err := tok.NewRSAKeyring(bg, "hsm", "rsa", keyring.OAEPSHA1, rr)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		generator materials.Keyring
		children  []materials.Keyring
	}{
		{"KMS generates, token AES wraps", kmsKR, []materials.Keyring{aesKR}},
		{"token AES generates, KMS wraps", aesKR, []materials.Keyring{kmsKR}},
		{"KMS generates, token RSA wraps", kmsKR, []materials.Keyring{rsaKR}},
	} {
		t.Run(c.name, func(t *testing.T) {
			multi, err := keyring.NewMulti(c.generator, c.children...)
			if err != nil {
				t.Fatal(err)
			}
			pt := randBytes(4096)
			ct := encrypt(t, multi, pt)
			mustDecrypt(t, c.generator, ct, pt)
			for _, kr := range c.children {
				mustDecrypt(t, kr, ct, pt)
			}
			mustDecrypt(t, multi, ct, pt)
		})
	}
	// With the token key removed, the KMS key alone still decrypts.
	multi, _ := keyring.NewMulti(kmsKR, aesKR)
	pt := randBytes(100)
	ct := encrypt(t, multi, pt)
	if _, err := tok.DestroyKeys(bg, ar); err != nil {
		t.Fatal(err)
	}
	if _, err := decrypt(aesKR, ct); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("token keyring after removal: %v, want ErrKeyNotFound", err)
	}
	mustDecrypt(t, kmsKR, ct, pt)
}
