package keyring_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey
}

var paddings = []keyring.Padding{keyring.PKCS1, keyring.OAEPSHA1, keyring.OAEPSHA256, keyring.OAEPSHA384, keyring.OAEPSHA512}

func newRSA(t testing.TB, p keyring.Padding, pub *rsa.PublicKey, priv crypto.Decrypter) *keyring.RawRSA {
	t.Helper()
	kr, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "ns", Name: "rsa-key", Padding: p, PublicKey: pub, PrivateKey: priv})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestPaddingNames(t *testing.T) {
	want := map[keyring.Padding]string{keyring.PKCS1: "pkcs1", keyring.OAEPSHA1: "oaep-sha1", keyring.OAEPSHA256: "oaep-sha256", keyring.OAEPSHA384: "oaep-sha384", keyring.OAEPSHA512: "oaep-sha512"}
	for p, n := range want {
		if p.String() != n {
			t.Errorf("%d.String() = %q, want %q", int(p), p.String(), n)
		}
		if got, err := keyring.ParsePadding(n); err != nil || got != p {
			t.Errorf("ParsePadding(%q) = %v, %v", n, got, err)
		}
	}
	for _, s := range []string{"", "PKCS1", "oaep", "oaep-sha224", "oaep-mgf1"} {
		if _, err := keyring.ParsePadding(s); err == nil {
			t.Errorf("ParsePadding(%q) succeeded", s)
		}
	}
	if keyring.Padding(0).String() != "Padding(0)" {
		t.Errorf("Padding(0).String() = %q", keyring.Padding(0).String())
	}
}

func TestRawRSAConstruction(t *testing.T) {
	priv := testRSAKey(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, c := range []struct {
		name string
		cfg  keyring.RawRSAConfig
	}{
		{"no keys", keyring.RawRSAConfig{Namespace: "ns", Name: "n", Padding: keyring.PKCS1}},
		{"padding 0", keyring.RawRSAConfig{Namespace: "ns", Name: "n", PublicKey: &priv.PublicKey}},
		{"padding 6", keyring.RawRSAConfig{Namespace: "ns", Name: "n", Padding: 6, PublicKey: &priv.PublicKey}},
		{"aws-kms namespace", keyring.RawRSAConfig{Namespace: "aws-kms", Name: "n", Padding: keyring.PKCS1, PublicKey: &priv.PublicKey}},
		{"empty name", keyring.RawRSAConfig{Namespace: "ns", Padding: keyring.PKCS1, PublicKey: &priv.PublicKey}},
		{"non-RSA private key", keyring.RawRSAConfig{Namespace: "ns", Name: "n", Padding: keyring.PKCS1, PrivateKey: ecDecrypter{ecKey}}},
	} {
		if _, err := keyring.NewRawRSA(c.cfg); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// ecDecrypter is a crypto.Decrypter whose public key is not RSA.
type ecDecrypter struct{ k *ecdsa.PrivateKey }

func (d ecDecrypter) Public() crypto.PublicKey { return &d.k.PublicKey }
func (d ecDecrypter) Decrypt(io.Reader, []byte, crypto.DecrypterOpts) ([]byte, error) {
	return nil, errors.New("no")
}

func oaepHash(p keyring.Padding) hash.Hash {
	switch p {
	case keyring.OAEPSHA1:
		return sha1.New()
	case keyring.OAEPSHA256:
		return sha256.New()
	case keyring.OAEPSHA384:
		return sha512.New384()
	case keyring.OAEPSHA512:
		return sha512.New()
	}
	return nil
}

func TestRawRSARoundTrip(t *testing.T) {
	priv := testRSAKey(t)
	for _, p := range paddings {
		for _, id := range []algorithms.ID{0x0014, 0x0146, 0x0578} {
			kr := newRSA(t, p, &priv.PublicKey, priv)
			ec := materials.EncryptionContext{"a": "b"}
			m, err := kr.OnEncrypt(ctx, encMaterials(t, id, ec))
			if err != nil {
				t.Fatalf("%v: %v", p, err)
			}
			edk := m.EncryptedDataKeys[0]
			if edk.ProviderID != "ns" || string(edk.ProviderInfo) != "rsa-key" || len(edk.Ciphertext) != 256 {
				t.Errorf("%v: EDK %q %q %d bytes", p, edk.ProviderID, edk.ProviderInfo, len(edk.Ciphertext))
			}
			// Independent unwrap: OAEP with the MGF1 hash equal to the OAEP hash, empty label.
			var pdk []byte
			if p == keyring.PKCS1 {
				//lint:ignore SA1019 checks the wire format of the legacy padding
				pdk, err = rsa.DecryptPKCS1v15(nil, priv, edk.Ciphertext)
			} else {
				pdk, err = rsa.DecryptOAEP(oaepHash(p), nil, priv, edk.Ciphertext, nil)
			}
			if err != nil || !bytes.Equal(pdk, m.PlaintextDataKey) {
				t.Errorf("%v: independent unwrap: %v", p, err)
			}
			out, err := kr.OnDecrypt(ctx, decMaterials(t, id, ec), m.EncryptedDataKeys)
			pdk, dk := unwrapped(t, p, out)
			if err != nil || !bytes.Equal(pdk, m.PlaintextDataKey) || !dk.Equal(edk) {
				t.Errorf("%v %v: OnDecrypt: %v", p, id, err)
			}
			// RSA does not bind the context: another context still unwraps
			// (the message's header authentication catches the change).
			if _, err := kr.OnDecrypt(ctx, decMaterials(t, id, nil), m.EncryptedDataKeys); err != nil {
				t.Errorf("%v: decrypt with another context: %v", p, err)
			}
		}
	}
}

// TestRawRSACrossPadding: a key wrapped with one padding never yields the
// data key under another.
func TestRawRSACrossPadding(t *testing.T) {
	priv := testRSAKey(t)
	for _, from := range paddings {
		m, err := newRSA(t, from, &priv.PublicKey, nil).OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range paddings {
			if to == from {
				continue
			}
			out, err := newRSA(t, to, nil, priv).OnDecrypt(ctx, decMaterials(t, 0x0478, nil), m.EncryptedDataKeys)
			if err == nil && bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
				t.Errorf("%v ciphertext decrypted under %v", from, to)
			}
			// OAEP reports the failure; PKCS #1 v1.5 may instead return a
			// random key (the Bleichenbacher defence).
			if to != keyring.PKCS1 {
				var nd *materials.NoDecryptableKeyError
				if !errors.As(err, &nd) || len(nd.Errs) != 1 {
					t.Errorf("%v ciphertext under %v: err = %v", from, to, err)
				}
			}
		}
	}
}

func TestRawRSAOneSided(t *testing.T) {
	priv := testRSAKey(t)
	pubOnly := newRSA(t, keyring.OAEPSHA256, &priv.PublicKey, nil)
	privOnly := newRSA(t, keyring.OAEPSHA256, nil, priv)
	m, err := pubOnly.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pubOnly.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), m.EncryptedDataKeys); !errors.Is(err, materials.ErrDecryptNotSupported) {
		t.Errorf("public-only decrypt: %v", err)
	}
	if _, err := privOnly.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); !errors.Is(err, materials.ErrEncryptNotSupported) {
		t.Errorf("private-only encrypt: %v", err)
	}
	out, err := privOnly.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), m.EncryptedDataKeys)
	if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
		t.Errorf("private-only decrypt: %v", err)
	}
}

func TestRawRSADecryptOrder(t *testing.T) {
	priv := testRSAKey(t)
	kr := newRSA(t, keyring.OAEPSHA512, &priv.PublicKey, priv)
	m, _ := kr.OnEncrypt(ctx, encMaterials(t, 0x0578, nil))
	good := m.EncryptedDataKeys[0]
	bad := materials.EncryptedDataKey{ProviderID: good.ProviderID, ProviderInfo: good.ProviderInfo, Ciphertext: bytes.Clone(good.Ciphertext)}
	bad.Ciphertext[10] ^= 1
	otherName := materials.EncryptedDataKey{ProviderID: "ns", ProviderInfo: []byte("other"), Ciphertext: good.Ciphertext}
	otherNS := materials.EncryptedDataKey{ProviderID: "ns2", ProviderInfo: good.ProviderInfo, Ciphertext: good.Ciphertext}
	out, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, nil), []materials.EncryptedDataKey{otherName, otherNS, bad, good})
	if err != nil || !out.DataKey.Equal(good) {
		t.Errorf("bad then good: %v", err)
	}
	var nd *materials.NoDecryptableKeyError
	_, err = kr.OnDecrypt(ctx, decMaterials(t, 0x0578, nil), []materials.EncryptedDataKey{otherName, otherNS})
	if !errors.As(err, &nd) || len(nd.Errs) != 0 {
		t.Errorf("no matching EDK: %v", err)
	}
	withKey := decMaterials(t, 0x0578, nil)
	withKey.PlaintextDataKey = make([]byte, 32)
	if _, err := kr.OnDecrypt(ctx, withKey, m.EncryptedDataKeys); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Errorf("data key present: %v", err)
	}
	// An existing data key is wrapped, not replaced.
	in := encMaterials(t, 0x0578, nil)
	in.PlaintextDataKey = key(32, 5)
	m, _ = kr.OnEncrypt(ctx, in)
	if !bytes.Equal(m.PlaintextDataKey, key(32, 5)) {
		t.Error("existing data key replaced")
	}
}

// countingDecrypter wraps an RSA key the way a hardware module would.
type countingDecrypter struct {
	k     *rsa.PrivateKey
	calls atomic.Int32
}

func (d *countingDecrypter) Public() crypto.PublicKey { return &d.k.PublicKey }
func (d *countingDecrypter) Decrypt(r io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	d.calls.Add(1)
	return d.k.Decrypt(r, msg, opts)
}

func TestRawRSACustomDecrypter(t *testing.T) {
	priv := testRSAKey(t)
	for _, p := range paddings {
		d := &countingDecrypter{k: priv}
		kr := newRSA(t, p, &priv.PublicKey, d)
		m, err := kr.OnEncrypt(ctx, encMaterials(t, 0x0178, nil))
		if err != nil {
			t.Fatal(err)
		}
		out, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0178, nil), m.EncryptedDataKeys)
		if pdk, _ := unwrapped(t, p, out); err != nil || !bytes.Equal(pdk, m.PlaintextDataKey) {
			t.Errorf("%v: %v", p, err)
		}
		if d.calls.Load() != 1 {
			t.Errorf("%v: Decrypt called %d times", p, d.calls.Load())
		}
	}
}

func TestParseRSAPEM(t *testing.T) {
	priv := testRSAKey(t)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	pkix, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

	for name, data := range map[string][]byte{
		"PKCS8":                  enc("PRIVATE KEY", pkcs8),
		"PKCS1":                  enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(priv)),
		"PKCS8 with text around": append(append([]byte("comment\n"), enc("PRIVATE KEY", pkcs8)...), "trailer"...),
	} {
		k, err := keyring.ParseRSAPrivateKeyPEM(data)
		if err != nil || !k.Equal(priv) {
			t.Errorf("private %s: %v", name, err)
		}
	}
	for name, data := range map[string][]byte{
		"PKIX":  enc("PUBLIC KEY", pkix),
		"PKCS1": enc("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&priv.PublicKey)),
	} {
		k, err := keyring.ParseRSAPublicKeyPEM(data)
		if err != nil || !k.Equal(&priv.PublicKey) {
			t.Errorf("public %s: %v", name, err)
		}
	}

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPKIX, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	for name, data := range map[string][]byte{
		"empty":                nil,
		"not PEM":              []byte("hello"),
		"DER without PEM":      pkcs8,
		"garbage in PEM":       enc("PRIVATE KEY", []byte("garbage")),
		"PKCS1 labelled PKCS8": enc("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(priv)),
		"PKCS8 labelled PKCS1": enc("RSA PRIVATE KEY", pkcs8),
		"EC key":               enc("PRIVATE KEY", ecPKCS8),
		"public key":           enc("PUBLIC KEY", pkix),
	} {
		if _, err := keyring.ParseRSAPrivateKeyPEM(data); err == nil {
			t.Errorf("private %s: accepted", name)
		}
	}
	for name, data := range map[string][]byte{
		"empty":          nil,
		"not PEM":        []byte("-----BEGIN PUBLIC KEY-----\nnot base64\n"),
		"garbage in PEM": enc("PUBLIC KEY", []byte("garbage")),
		"PKCS1 as PKIX":  enc("PUBLIC KEY", x509.MarshalPKCS1PublicKey(&priv.PublicKey)),
		"EC key":         enc("PUBLIC KEY", ecPKIX),
		"private key":    enc("PRIVATE KEY", pkcs8),
	} {
		if _, err := keyring.ParseRSAPublicKeyPEM(data); err == nil {
			t.Errorf("public %s: accepted", name)
		}
	}
}

// unwrapped returns the one data key an RSA keyring's OnDecrypt obtained:
// with OAEP the authenticated PlaintextDataKey, with PKCS #1 v1.5 (which
// cannot authenticate a key) the single candidate and no
// PlaintextDataKey.
func unwrapped(t *testing.T, p keyring.Padding, m materials.DecryptionMaterials) ([]byte, materials.EncryptedDataKey) {
	t.Helper()
	if p != keyring.PKCS1 {
		if len(m.Candidates) != 0 {
			t.Errorf("%v: %d candidate keys, want none", p, len(m.Candidates))
		}
		return m.PlaintextDataKey, m.DataKey
	}
	if m.PlaintextDataKey != nil || len(m.Candidates) != 1 {
		t.Errorf("%v: plaintext data key set: %v, %d candidates; want only 1 candidate", p, m.PlaintextDataKey != nil, len(m.Candidates))
		return nil, materials.EncryptedDataKey{}
	}
	return m.Candidates[0].PlaintextDataKey, m.Candidates[0].DataKey
}
