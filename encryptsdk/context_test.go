package encryptsdk_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// TestRequiredEncryptionContext: a required-encryption-context manager
// keeps "a" out of the header but authenticates it; the reader must supply
// it again.
func TestRequiredEncryptionContext(t *testing.T) {
	pt := []byte("required context")
	ec := map[string]string{"a": "1", "b": "2"}
	kinds := []struct {
		name string
		kr   materials.Keyring
		// wrongA is the error for a wrong value of "a". The raw RSA keyring
		// does not bind the context, so the header tag catches it; the raw
		// AES keyring binds it to the data key, so unwrapping fails first.
		wrongA func(error) bool
	}{
		{"raw RSA", mustRSA(t, "rsa-ns", "rsa", keyring.OAEPSHA256), func(err error) bool { return errors.Is(err, encryptsdk.ErrHeaderAuthentication) }},
		{"raw AES", mustAES(t, "aes-ns", "aes", testKey(32, 4)), func(err error) bool {
			var nd *encryptsdk.NoDecryptableKeyError
			return errors.As(err, &nd)
		}},
	}
	for _, kind := range kinds {
		for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256} {
			s := suite(t, id)
			rcm, err := materials.NewRequiredContextManager(materials.NewDefaultManager(kind.kr), []string{"a"})
			if err != nil {
				t.Fatal(err)
			}
			c := &encryptsdk.Client{Manager: rcm, CommitmentPolicy: policyFor(s, true)}
			name := kind.name + " " + s.ID().String()

			var buf bytes.Buffer
			e, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{Suite: id, EncryptionContext: ec})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, ok := e.Header().EncryptionContext["a"]; ok || e.Header().EncryptionContext["b"] != "2" {
				t.Errorf("%s: header context %v; want b and not a", name, e.Header().EncryptionContext)
			}
			e.Write(pt)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			ct := buf.Bytes()
			if bytes.Contains(ct, []byte{0, 1, 'a', 0, 1, '1'}) {
				t.Errorf("%s: the required pair is stored in the message", name)
			}

			// Without "a".
			for _, opts := range []*encryptsdk.DecryptOptions{nil, {EncryptionContext: map[string]string{"b": "2"}}} {
				if got, _, err := c.DecryptBytes(bg, ct, opts); err == nil {
					t.Errorf("%s: decrypted without the required pair: %q", name, got)
				}
			}
			// A plain default manager cannot decrypt it without "a" either.
			plain := &encryptsdk.Client{Manager: materials.NewDefaultManager(kind.kr), CommitmentPolicy: c.CommitmentPolicy}
			if _, _, err := plain.DecryptBytes(bg, ct, nil); err == nil {
				t.Errorf("%s: default manager decrypted without the required pair", name)
			}

			// With the right value.
			for _, cl := range []*encryptsdk.Client{c, plain} {
				got, d, err := cl.DecryptBytes(bg, ct, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"a": "1"}})
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%s: with a=1: %q, %v", name, got, err)
				}
				got2 := d.EncryptionContext()
				if got2["a"] != "1" || got2["b"] != "2" {
					t.Errorf("%s: EncryptionContext() = %v, want a and b", name, got2)
				}
				if _, ok := d.Header().EncryptionContext["a"]; ok {
					t.Errorf("%s: parsed header has a", name)
				}
			}

			// With a wrong value.
			_, _, err = c.DecryptBytes(bg, ct, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"a": "2"}})
			if err == nil || !kind.wrongA(err) {
				t.Errorf("%s: with a=2: %v", name, err)
			}
			// A wrong value of a stored pair is caught before any key is tried.
			_, _, err = c.DecryptBytes(bg, ct, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"a": "1", "b": "3"}})
			errIs(t, err, encryptsdk.ErrEncryptionContextMismatch, name+" with b=3")
		}
	}

	// Encrypting without the required key fails.
	rcm, _ := materials.NewRequiredContextManager(materials.NewDefaultManager(mustAES(t, "ns", "k", testKey(32, 1))), []string{"a"})
	c := &encryptsdk.Client{Manager: rcm}
	var buf bytes.Buffer
	_, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{EncryptionContext: map[string]string{"b": "2"}})
	errIs(t, err, encryptsdk.ErrEncryptionContextMismatch, "encrypt without the required key")
	if buf.Len() != 0 {
		t.Errorf("failed Encrypt wrote %d bytes", buf.Len())
	}
}
