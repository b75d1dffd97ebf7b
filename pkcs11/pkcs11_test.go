package pkcs11_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
	"github.com/go-esdk/esdk/pkcs11"
)

var bg = context.Background()

var testEC = map[string]string{"purpose": "pkcs11 test", "tenant": "42"}

func encrypt(t testing.TB, kr materials.Keyring, pt []byte) []byte {
	t.Helper()
	ct, err := encryptsdk.New(kr).EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{EncryptionContext: testEC})
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	return ct
}

func decrypt(kr materials.Keyring, ct []byte) ([]byte, error) {
	pt, _, err := encryptsdk.New(kr).DecryptBytes(bg, ct, nil)
	return pt, err
}

func mustDecrypt(t testing.TB, kr materials.Keyring, ct, want []byte) {
	t.Helper()
	pt, err := decrypt(kr, ct)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	if !bytes.Equal(pt, want) {
		t.Fatalf("decrypted %d bytes, not the %d encrypted", len(pt), len(want))
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestKeysAreNonExtractable(t *testing.T) {
	tok := openToken(t)
	aesRef, impRef, rsaRef := newRef(t, tok, "aes"), newRef(t, tok, "imported"), newRef(t, tok, "rsa")
	if err := tok.GenerateAESKey(bg, aesRef, 256); err != nil {
		t.Fatal(err)
	}
	if err := tok.ImportAESKey(bg, impRef, randBytes(32)); err != nil {
		t.Fatal(err)
	}
	if err := tok.GenerateRSAKeyPair(bg, rsaRef, 2048); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ref         pkcs11.KeyRef
		secret, all int
	}{{aesRef, 1, 1}, {impRef, 1, 1}, {rsaRef, 1, 2}} {
		infos, err := tok.KeyInfo(bg, c.ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != c.all {
			t.Fatalf("%v: %d objects, want %d", c.ref, len(infos), c.all)
		}
		secret := 0
		for _, ki := range infos {
			if ki.Class == "public" {
				continue
			}
			secret++
			if ki.Extractable || !ki.Sensitive {
				t.Errorf("%v: %s key has CKA_EXTRACTABLE=%v CKA_SENSITIVE=%v; want false, true", c.ref, ki.Class, ki.Extractable, ki.Sensitive)
			}
		}
		if secret != c.secret {
			t.Errorf("%v: %d secret or private keys, want %d", c.ref, secret, c.secret)
		}
	}
	// A second key with the same label is refused: lookups must stay unique.
	if err := tok.GenerateAESKey(bg, aesRef, 256); !errors.Is(err, pkcs11.ErrAmbiguousKey) {
		t.Errorf("generating a duplicate key: %v, want ErrAmbiguousKey", err)
	}
}

func TestAESRoundTrip(t *testing.T) {
	tok := openToken(t)
	r := newRef(t, tok, "aes")
	if err := tok.GenerateAESKey(bg, r, 256); err != nil {
		t.Fatal(err)
	}
	for _, lookup := range []pkcs11.KeyRef{{Label: r.Label}, {ID: r.ID}, r} {
		kr, err := tok.NewAESKeyring(bg, "hsm", "aes-key", lookup)
		if err != nil {
			t.Fatalf("lookup %v: %v", lookup, err)
		}
		for _, n := range []int{0, 1, 1024, 100000} {
			pt := randBytes(n)
			ct := encrypt(t, kr, pt)
			mustDecrypt(t, kr, ct, pt)
		}
	}
	kr, err := tok.NewAESKeyring(bg, "hsm", "aes-key", r)
	if err != nil {
		t.Fatal(err)
	}
	ct := encrypt(t, kr, []byte("bound to its encryption context"))
	// Another name, or a different token key, does not decrypt.
	other, _ := tok.NewAESKeyring(bg, "hsm", "other-name", r)
	if _, err := decrypt(other, ct); err == nil {
		t.Error("a keyring with another key name decrypted the message")
	}
	r2 := newRef(t, tok, "aes2")
	if err := tok.GenerateAESKey(bg, r2, 256); err != nil {
		t.Fatal(err)
	}
	wrong, _ := tok.NewAESKeyring(bg, "hsm", "aes-key", r2)
	_, err = decrypt(wrong, ct)
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) || !strings.Contains(err.Error(), "did not authenticate") {
		t.Errorf("decrypt with another token key: %v; want a NoDecryptableKeyError saying the key did not authenticate", err)
	}
	// The encryption context is the AAD: a tampered EDK's context fails.
	// (The message header binds it too; here the keyring is called directly.)
	m, err := kr.OnEncrypt(bg, encMaterials(t, map[string]string{"a": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	dm := decMaterials(t, map[string]string{"a": "2"})
	if _, err := kr.OnDecrypt(bg, dm, m.EncryptedDataKeys); err == nil {
		t.Error("unwrapped a data key under another encryption context")
	}
	dm = decMaterials(t, map[string]string{"a": "1"})
	out, err := kr.OnDecrypt(bg, dm, m.EncryptedDataKeys)
	if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
		t.Errorf("unwrap under the same context: %v", err)
	}
}

// TestAESInteropRawAES imports known key bytes onto the token (as a
// non-extractable object) and decrypts across the token keyring and the
// library's raw AES keyring both ways.
func TestAESInteropRawAES(t *testing.T) {
	tok := openToken(t)
	for _, size := range []int{16, 24, 32} {
		key := randBytes(size)
		r := newRef(t, tok, fmt.Sprint("known", size))
		if err := tok.ImportAESKey(bg, r, key); err != nil {
			t.Fatal(err)
		}
		hsm, err := tok.NewAESKeyring(bg, "my-namespace", "my-key", r)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := keyring.NewRawAES("my-namespace", "my-key", key)
		if err != nil {
			t.Fatal(err)
		}
		pt := randBytes(3000)
		mustDecrypt(t, raw, encrypt(t, hsm, pt), pt)
		mustDecrypt(t, hsm, encrypt(t, raw, pt), pt)
		// Another key in the raw keyring does not decrypt the token's message.
		rawOther, _ := keyring.NewRawAES("my-namespace", "my-key", randBytes(size))
		if _, err := decrypt(rawOther, encrypt(t, hsm, pt)); err == nil {
			t.Errorf("AES-%d: a raw keyring with another key decrypted", size*8)
		}
	}
}

var paddings = []keyring.Padding{keyring.PKCS1, keyring.OAEPSHA1, keyring.OAEPSHA256, keyring.OAEPSHA384, keyring.OAEPSHA512}

func TestRSARoundTrip(t *testing.T) {
	tok := openToken(t)
	r := newRef(t, tok, "rsa")
	if err := tok.GenerateRSAKeyPair(bg, r, 2048); err != nil {
		t.Fatal(err)
	}
	key, err := tok.RSAKey(bg, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paddings {
		t.Run(p.String(), func(t *testing.T) {
			kr, err := tok.NewRSAKeyring(bg, "hsm", "rsa-key", p, r)
			if errors.Is(err, pkcs11.ErrUnsupportedMechanism) {
				// SoftHSM2 2.6 accepts only SHA-1 in CK_RSA_PKCS_OAEP_PARAMS;
				// the SHA-2 OAEP paddings then fail here, clearly, rather
				// than on the first message. Tokens such as CloudHSM offer them.
				if p == keyring.PKCS1 || p == keyring.OAEPSHA1 {
					t.Fatalf("SoftHSM2 must support %v: %v", p, err)
				}
				t.Logf("the token refuses %v (ErrUnsupportedMechanism): %v", p, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pt := randBytes(5000)
			mustDecrypt(t, kr, encrypt(t, kr, pt), pt)
			// A public-key-only raw RSA keyring writes what the token decrypts.
			pubOnly, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "hsm", Name: "rsa-key", Padding: p, PublicKey: key.Public().(*rsa.PublicKey)})
			if err != nil {
				t.Fatal(err)
			}
			mustDecrypt(t, kr, encrypt(t, pubOnly, pt), pt)
			// A message for another RSA key fails, as with any wrong key
			// (for PKCS #1 v1.5 at header authentication).
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			otherKR, _ := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: "hsm", Name: "rsa-key", Padding: p, PublicKey: &other.PublicKey})
			if _, err := decrypt(kr, encrypt(t, otherKR, pt)); err == nil {
				t.Error("the token key decrypted a message for another key")
			}
		})
	}
}

func encMaterials(t testing.TB, ec map[string]string) materials.EncryptionMaterials {
	t.Helper()
	s, err := algorithms.Lookup(algorithms.AES_256_GCM_IV12_TAG16_NO_KDF)
	if err != nil {
		t.Fatal(err)
	}
	return materials.EncryptionMaterials{Suite: s, EncryptionContext: ec}
}

func decMaterials(t testing.TB, ec map[string]string) materials.DecryptionMaterials {
	t.Helper()
	s, err := algorithms.Lookup(algorithms.AES_256_GCM_IV12_TAG16_NO_KDF)
	if err != nil {
		t.Fatal(err)
	}
	return materials.DecryptionMaterials{Suite: s, EncryptionContext: ec}
}

// TestConcurrent runs 8 goroutines encrypting and decrypting at once
// through one token (AES and RSA keys), with fewer sessions than
// goroutines so that some wait for a session.
func TestConcurrent(t *testing.T) {
	needSoftHSM(t)
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: tokenLabel, PIN: userPIN, MaxSessions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ar, rr := newRef(t, tok, "aes"), newRef(t, tok, "rsa")
	if err := tok.GenerateAESKey(bg, ar, 256); err != nil {
		t.Fatal(err)
	}
	if err := tok.GenerateRSAKeyPair(bg, rr, 2048); err != nil {
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
	multi, err := keyring.NewMulti(aesKR, rsaKR)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				pt := randBytes(1024 + g*i)
				ct, err := encryptsdk.New(multi).EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{EncryptionContext: testEC})
				if err != nil {
					errs <- err
					return
				}
				for _, kr := range []materials.Keyring{aesKR, rsaKR} {
					got, _, err := encryptsdk.New(kr).DecryptBytes(bg, ct, nil)
					if err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(got, pt) {
						errs <- fmt.Errorf("goroutine %d message %d: wrong plaintext", g, i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestWrongPIN(t *testing.T) {
	needSoftHSM(t)
	const wrong = "9999-not-the-pin"
	// No handle is open for this token, so the token itself checks the PIN.
	_, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: pinToken, PIN: wrong})
	if !errors.Is(err, pkcs11.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v, want ErrWrongPIN", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("the error shows the PIN: %v", err)
	}
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: pinToken, PIN: userPIN})
	if err != nil {
		t.Fatalf("right PIN after a wrong one: %v", err)
	}
	defer tok.Close()
	// While the token is logged in for this process, a second Open with a
	// wrong PIN is still refused.
	_, err = pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: pinToken, PIN: wrong})
	if !errors.Is(err, pkcs11.ErrWrongPIN) || strings.Contains(err.Error(), wrong) {
		t.Fatalf("wrong PIN on an open token: %v, want ErrWrongPIN without the PIN", err)
	}
	tok2, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, Slot: ptr(tok.Slot()), PIN: userPIN})
	if err != nil {
		t.Fatalf("second handle by slot: %v", err)
	}
	if tok2.Label() != pinToken {
		t.Errorf("slot %d has token %q, want %q", tok.Slot(), tok2.Label(), pinToken)
	}
	tok2.Close()
}

func ptr[T any](v T) *T { return &v }

func TestRemovedKey(t *testing.T) {
	tok := openToken(t)
	ar, rr := newRef(t, tok, "aes"), newRef(t, tok, "rsa")
	if err := tok.GenerateAESKey(bg, ar, 128); err != nil {
		t.Fatal(err)
	}
	if err := tok.GenerateRSAKeyPair(bg, rr, 2048); err != nil {
		t.Fatal(err)
	}
	aesKR, err := tok.NewAESKeyring(bg, "hsm", "aes", ar)
	if err != nil {
		t.Fatal(err)
	}
	rsaKR, err := tok.NewRSAKeyring(bg, "hsm", "rsa", keyring.PKCS1, rr)
	if err != nil {
		t.Fatal(err)
	}
	aesCT, rsaCT := encrypt(t, aesKR, []byte("a")), encrypt(t, rsaKR, []byte("r"))
	for _, r := range []pkcs11.KeyRef{ar, rr} {
		if n, err := tok.DestroyKeys(bg, r); err != nil || n == 0 {
			t.Fatalf("destroy %v: %d, %v", r, n, err)
		}
	}
	if _, err := decrypt(aesKR, aesCT); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("AES decrypt with the key removed: %v, want ErrKeyNotFound", err)
	}
	if _, err := encryptsdk.New(aesKR).EncryptBytes(bg, []byte("x"), nil); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("AES encrypt with the key removed: %v, want ErrKeyNotFound", err)
	}
	if _, err := decrypt(rsaKR, rsaCT); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("RSA decrypt with the key removed: %v, want ErrKeyNotFound", err)
	}
	if _, err := tok.NewAESKeyring(bg, "hsm", "aes", ar); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("AES keyring for a removed key: %v, want ErrKeyNotFound", err)
	}
	if _, err := tok.NewRSAKeyring(bg, "hsm", "rsa", keyring.OAEPSHA1, rr); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("RSA keyring for a removed key: %v, want ErrKeyNotFound", err)
	}
	// An AES key is not found by the RSA lookup, nor the reverse.
	ar2 := newRef(t, tok, "aes2")
	if err := tok.GenerateAESKey(bg, ar2, 128); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.RSAKey(bg, ar2); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("RSA lookup of an AES key: %v, want ErrKeyNotFound", err)
	}
}

func TestModuleMissing(t *testing.T) {
	dir := t.TempDir()
	notLib := filepath.Join(dir, "not-a-library.so")
	if err := os.WriteFile(notLib, []byte("not an ELF file"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", filepath.Join(dir, "missing.so"), notLib} {
		_, err := pkcs11.Open(pkcs11.Config{ModulePath: path, TokenLabel: tokenLabel, PIN: userPIN})
		if !errors.Is(err, pkcs11.ErrModule) {
			t.Errorf("module %q: %v, want ErrModule", path, err)
		}
		if err != nil && strings.Contains(err.Error(), userPIN) {
			t.Errorf("the error shows the PIN: %v", err)
		}
	}
}

func TestTokenNotFound(t *testing.T) {
	needSoftHSM(t)
	_, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: "no-such-token", PIN: userPIN})
	if !errors.Is(err, pkcs11.ErrTokenNotFound) {
		t.Errorf("missing label: %v, want ErrTokenNotFound", err)
	}
	_, err = pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, Slot: ptr(uint(987654321)), PIN: userPIN})
	if !errors.Is(err, pkcs11.ErrTokenNotFound) {
		t.Errorf("missing slot: %v, want ErrTokenNotFound", err)
	}
	_, err = pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, PIN: userPIN})
	if !errors.Is(err, pkcs11.ErrConfig) {
		t.Errorf("neither label nor slot: %v, want ErrConfig", err)
	}
}

func TestUnsupportedMechanism(t *testing.T) {
	tok := openToken(t)
	r := newRef(t, tok, "rsa")
	if err := tok.GenerateRSAKeyPair(bg, r, 2048); err != nil {
		t.Fatal(err)
	}
	key, err := tok.RSAKey(bg, r)
	if err != nil {
		t.Fatal(err)
	}
	// OAEP with a label, or with an MGF1 hash other than the OAEP hash,
	// is not what the raw RSA keyring uses and is refused before the token.
	for _, opts := range []*rsa.OAEPOptions{
		{Hash: crypto.SHA256, Label: []byte("label")},
		{Hash: crypto.SHA256, MGFHash: crypto.SHA1},
		{Hash: crypto.MD5},
	} {
		if _, err := key.Decrypt(nil, make([]byte, 256), opts); !errors.Is(err, pkcs11.ErrUnsupportedMechanism) {
			t.Errorf("OAEP %+v: %v, want ErrUnsupportedMechanism", opts, err)
		}
	}
	// The raw keyrings' naming rules apply.
	ar := newRef(t, tok, "aes")
	if err := tok.GenerateAESKey(bg, ar, 256); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.NewAESKeyring(bg, "aws-kms", "x", ar); !errors.Is(err, pkcs11.ErrConfig) {
		t.Errorf("reserved namespace: %v, want ErrConfig", err)
	}
}

func TestClosedToken(t *testing.T) {
	needSoftHSM(t)
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: tokenLabel, PIN: userPIN})
	if err != nil {
		t.Fatal(err)
	}
	r := newRef(t, openToken(t), "aes")
	if err := tok.GenerateAESKey(bg, r, 256); err != nil {
		t.Fatal(err)
	}
	kr, err := tok.NewAESKeyring(bg, "hsm", "aes", r)
	if err != nil {
		t.Fatal(err)
	}
	tok.Close()
	if _, err := encryptsdk.New(kr).EncryptBytes(bg, []byte("x"), nil); !errors.Is(err, pkcs11.ErrClosed) {
		t.Errorf("encrypt after Close: %v, want ErrClosed", err)
	}
}
