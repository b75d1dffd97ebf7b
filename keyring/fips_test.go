package keyring_test

// FIPS 140-3 mode: what the keyrings accept and refuse with and without
// GODEBUG=fips140=only. scripts/test runs these tests in that mode
// (go test -run FIPSOnly ./...); without it they check that nothing is
// refused.

import (
	"crypto/ecdh"
	"crypto/fips140"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// refusedOnlyInFIPSOnly checks that err is a refusal wrapping
// ErrFIPSUnapproved in FIPS 140-only mode and nil otherwise.
func refusedOnlyInFIPSOnly(t *testing.T, what string, err error) {
	t.Helper()
	if fips140.Enforced() {
		if !errors.Is(err, algorithms.ErrFIPSUnapproved) {
			t.Errorf("%s: got %v, want an error wrapping ErrFIPSUnapproved", what, err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s outside FIPS 140-only mode: %v", what, err)
	}
}

// TestFIPSOnlyRawAES: the raw AES keyring wraps and unwraps in every mode
// (its IVs are random: Go's approved AES-GCM with random nonces), for
// every key size.
func TestFIPSOnlyRawAES(t *testing.T) {
	for _, kl := range []int{16, 24, 32} {
		kr := newAES(t, "ns", "name", key(kl, 3))
		m, err := kr.OnEncrypt(ctx, encMaterials(t, 0x0578, nil))
		if err != nil {
			t.Fatalf("AES-%d wrap: %v", kl*8, err)
		}
		d, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, nil), m.EncryptedDataKeys)
		if err != nil {
			t.Fatalf("AES-%d unwrap: %v", kl*8, err)
		}
		if string(d.PlaintextDataKey) != string(m.PlaintextDataKey) {
			t.Fatalf("AES-%d: unwrapped a different data key", kl*8)
		}
		bad := m.EncryptedDataKeys[0]
		bad.Ciphertext = append([]byte(nil), bad.Ciphertext...)
		bad.Ciphertext[0] ^= 1
		if _, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, nil), []materials.EncryptedDataKey{bad}); err == nil {
			t.Fatalf("AES-%d: a changed encrypted data key unwrapped", kl*8)
		}
	}
}

// TestFIPSOnlyRawRSA: in FIPS 140-only mode the raw RSA keyring refuses
// PKCS #1 v1.5, OAEP-SHA1 and keys Go's module refuses, at construction;
// OAEP with SHA-256/384/512 wraps and unwraps with a 2048-bit key.
func TestFIPSOnlyRawRSA(t *testing.T) {
	k := testRSAKey(t)
	for _, p := range []keyring.Padding{keyring.PKCS1, keyring.OAEPSHA1} {
		_, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "ns", Name: "n", Padding: p, PublicKey: &k.PublicKey, PrivateKey: k})
		refusedOnlyInFIPSOnly(t, p.String(), err)
		_, err = keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "ns", Name: "n", Padding: p, PrivateKey: k})
		refusedOnlyInFIPSOnly(t, p.String()+" (private key only)", err)
	}
	for _, p := range []keyring.Padding{keyring.OAEPSHA256, keyring.OAEPSHA384, keyring.OAEPSHA512} {
		kr := newRSA(t, p, &k.PublicKey, k)
		m, err := kr.OnEncrypt(ctx, encMaterials(t, 0x0578, nil))
		if err != nil {
			t.Fatalf("%v wrap: %v", p, err)
		}
		if _, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, nil), m.EncryptedDataKeys); err != nil {
			t.Fatalf("%v unwrap: %v", p, err)
		}
	}
	one := big.NewInt(1)
	for _, c := range []struct {
		what string
		pub  rsa.PublicKey
	}{
		{"1024-bit key", rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(one, 1023), one), E: 65537}},
		{"2049-bit key", rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(one, 2048), one), E: 65537}},
		{"public exponent 3", rsa.PublicKey{N: k.N, E: 3}},
	} {
		_, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "ns", Name: "n", Padding: keyring.OAEPSHA256, PublicKey: &c.pub})
		refusedOnlyInFIPSOnly(t, c.what, err)
	}
}

// TestFIPSOnlyRawECDH: in FIPS 140-only mode the raw ECDH schemas that
// wrap (static, ephemeral) are refused at construction with
// ErrFIPSECDHWrap; the discovery schema, which only unwraps, is accepted
// (its unwrapping with the approved AES-GCM is checked by the ECDH test
// vectors under GODEBUG=fips140=only in scripts/test).
func TestFIPSOnlyRawECDH(t *testing.T) {
	for _, c := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521()} {
		sender, recipient := genECDH(t, c), genECDH(t, c)
		_, err := keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: sender, RecipientPublicKey: recipient.PublicKey()})
		refusedOnlyInFIPSOnly(t, "static", err)
		if fips140.Enforced() && !errors.Is(err, keyring.ErrFIPSECDHWrap) {
			t.Errorf("static: got %v, want ErrFIPSECDHWrap", err)
		}
		_, err = keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: recipient.PublicKey()})
		refusedOnlyInFIPSOnly(t, "ephemeral", err)
		if _, err := keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: recipient}); err != nil {
			t.Errorf("discovery: %v", err)
		}
	}
}
