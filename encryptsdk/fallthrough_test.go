package encryptsdk_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

var otherRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func rsaKeyring(t testing.TB, name string, p keyring.Padding, k *rsa.PrivateKey) *keyring.RawRSA {
	t.Helper()
	kr, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "ns", Name: name, Padding: p, PublicKey: &k.PublicKey, PrivateKey: k})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

var allPaddings = []keyring.Padding{keyring.PKCS1, keyring.OAEPSHA1, keyring.OAEPSHA256, keyring.OAEPSHA384, keyring.OAEPSHA512}

// fallThroughSuites: committing suites (key commitment is the first check)
// and non-committing ones (header authentication is the only check),
// signed and unsigned.
var fallThroughSuites = []algorithms.ID{
	algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
	algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
	algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256,
	algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
}

// TestRSAKeyRotationFallThrough: a message wrapped for an old and a new
// RSA key under one name decrypts with a reader that holds only the new
// key, for every padding. With PKCS #1 v1.5 the old key's EDK yields a
// random data key (implicit rejection), which the client must try, see
// fail, and pass over for the next.
func TestRSAKeyRotationFallThrough(t *testing.T) {
	oldKey, newKey := rsaKey(), otherRSAKey()
	for _, p := range allPaddings {
		for _, id := range fallThroughSuites {
			s := suite(t, id)
			writer := mustMulti(t, rsaKeyring(t, "k", p, oldKey), rsaKeyring(t, "k", p, newKey))
			pt := []byte(fmt.Sprintf("rotated %v %v", p, id))
			ct, err := clientFor(writer, s).EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id})
			if err != nil {
				t.Fatal(err)
			}
			reader := clientFor(rsaKeyring(t, "k", p, newKey), s)
			got, d, err := reader.DecryptBytes(bg, ct, nil)
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("%v, %v: %v", p, id, err)
				continue
			}
			if edks := d.Header().EncryptedDataKeys; !bytes.Equal(d.DataKey().Ciphertext, edks[1].Ciphertext) {
				t.Errorf("%v, %v: DataKey is not the new key's EDK", p, id)
			}
			// The streaming path too.
			sd, err := reader.Decrypt(bg, bytes.NewReader(ct), nil)
			if err == nil {
				got, err = readAllSmall(sd)
			}
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("%v, %v, streaming: %v", p, id, err)
			}
		}
	}
}

// TestRSAMultiKeyringFallThrough: a multi-keyring [RSA, AES] whose RSA
// keyring holds the wrong key (same name) falls through to the AES
// keyring, for every padding; so does [RSA, RSA] and a caching manager
// over the multi-keyring.
func TestRSAMultiKeyringFallThrough(t *testing.T) {
	aesKey := testKey(32, 3)
	for _, p := range allPaddings {
		for _, id := range fallThroughSuites {
			s := suite(t, id)
			writer := mustMulti(t, mustAES(t, "ns", "aes", aesKey), rsaKeyring(t, "rsa", p, rsaKey()))
			pt := []byte(fmt.Sprintf("fallback %v %v", p, id))
			ct, err := clientFor(writer, s).EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id})
			if err != nil {
				t.Fatal(err)
			}
			// EDK order in the message: AES, then RSA; the reader tries
			// RSA first.
			reader := mustMulti(t, nil, rsaKeyring(t, "rsa", p, otherRSAKey()), mustAES(t, "ns", "aes", aesKey))
			c := clientFor(reader, s)
			got, d, err := c.DecryptBytes(bg, ct, nil)
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("%v, %v: %v", p, id, err)
				continue
			}
			if d.DataKey().ProviderInfo == nil || string(d.DataKey().ProviderInfo[:3]) != "aes" {
				t.Errorf("%v, %v: DataKey is %q, want the AES keyring's", p, id, d.DataKey().ProviderInfo)
			}
			cm, err := materials.NewCachingManager(materials.NewDefaultManager(reader), materials.CachingConfig{Cache: materials.NewLocalCache(4), MaxAge: 1 << 40})
			if err != nil {
				t.Fatal(err)
			}
			cc := &encryptsdk.Client{Manager: cm, CommitmentPolicy: c.CommitmentPolicy}
			for range 2 { // a miss, then a hit
				if got, _, err := cc.DecryptBytes(bg, ct, nil); err != nil || !bytes.Equal(got, pt) {
					t.Errorf("%v, %v, caching manager: %v", p, id, err)
				}
			}
		}
	}
}

// TestRSAWrongKeyOneErrorShape: with only a wrong RSA key the decryption
// fails with *NoDecryptableKeyError for every padding — for PKCS #1 v1.5
// whether the EDK's padding is valid or not, and with the same text, so
// the error says nothing about which step failed (no padding oracle).
func TestRSAWrongKeyOneErrorShape(t *testing.T) {
	for _, p := range allPaddings {
		for _, id := range fallThroughSuites {
			s := suite(t, id)
			ct, err := clientFor(rsaKeyring(t, "k", p, rsaKey()), s).EncryptBytes(bg, []byte("x"), &encryptsdk.EncryptOptions{Suite: id})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = clientFor(rsaKeyring(t, "k", p, otherRSAKey()), s).DecryptBytes(bg, ct, nil)
			var nd *encryptsdk.NoDecryptableKeyError
			if !errors.As(err, &nd) {
				t.Errorf("%v, %v: %v (%T), want *NoDecryptableKeyError", p, id, err, err)
			}
		}
	}
}

// refusingKeyring fails every decryption with err, as a KMS keyring does
// when access is denied.
type refusingKeyring struct{ err error }

func (refusingKeyring) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return m, errors.New("refusingKeyring cannot encrypt")
}

func (k refusingKeyring) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, _ []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	return m, k.err
}

// TestMultiKeyringKeepsFailuresBesideCandidates: when a multi-keyring's
// RSA PKCS #1 v1.5 child yields only a candidate that does not
// authenticate, the error still carries the failures of the other
// children, so a refused KMS call is not hidden behind "candidate did not
// authenticate".
func TestMultiKeyringKeepsFailuresBesideCandidates(t *testing.T) {
	errDenied := errors.New("access denied to the wrapping key")
	id := algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
	s := suite(t, id)
	// A wrong key yields a candidate only when the EDK's ciphertext, read as
	// a number, is below the wrong key's modulus (else RSA decryption fails
	// outright): encrypt until it does.
	var ct []byte
	for try := 0; ; try++ {
		if try == 64 {
			t.Fatal("no message whose EDK the wrong key turns into a candidate")
		}
		var err error
		ct, err = clientFor(rsaKeyring(t, "rsa", keyring.PKCS1, rsaKey()), s).EncryptBytes(bg, []byte("x"), &encryptsdk.EncryptOptions{Suite: id})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = clientFor(rsaKeyring(t, "rsa", keyring.PKCS1, otherRSAKey()), s).DecryptBytes(bg, ct, nil)
		if err != nil && strings.Contains(err.Error(), "did not authenticate") {
			break
		}
	}
	for _, order := range []string{"rsa first", "refusing first"} {
		wrong, refusing := materials.Keyring(rsaKeyring(t, "rsa", keyring.PKCS1, otherRSAKey())), materials.Keyring(refusingKeyring{errDenied})
		reader := mustMulti(t, nil, wrong, refusing)
		if order == "refusing first" {
			reader = mustMulti(t, nil, refusing, wrong)
		}
		_, _, err := clientFor(reader, s).DecryptBytes(bg, ct, nil)
		var nd *encryptsdk.NoDecryptableKeyError
		if !errors.As(err, &nd) {
			t.Fatalf("%s: err = %v, want *NoDecryptableKeyError", order, err)
		}
		if !errors.Is(err, errDenied) {
			t.Errorf("%s: err = %v, want it to carry the refusing keyring's failure", order, err)
		}
		if !strings.Contains(err.Error(), "did not authenticate") {
			t.Errorf("%s: err = %v, want the candidate's failure too", order, err)
		}
	}
}
