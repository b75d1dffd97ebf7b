package encryptsdk_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// keepingKeyring wraps a keyring and keeps the plaintext data keys it
// hands out, so a test can check that the client zeroes them.
type keepingKeyring struct {
	materials.Keyring
	kept [][]byte
}

func (k *keepingKeyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	out, err := k.Keyring.OnEncrypt(ctx, m)
	k.kept = append(k.kept, out.PlaintextDataKey)
	return out, err
}

func (k *keepingKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	out, err := k.Keyring.OnDecrypt(ctx, m, edks)
	k.kept = append(k.kept, out.PlaintextDataKey)
	return out, err
}

// TestDataKeysZeroed: once a stream has its derived key, the plaintext data
// key from the keyring is zeroed, on encrypt and on decrypt.
func TestDataKeysZeroed(t *testing.T) {
	kk := &keepingKeyring{Keyring: mustAES(t, "ns", "k", testKey(32, 4))}
	c := encryptsdk.New(kk)
	var msg bytes.Buffer
	e, err := c.Encrypt(bg, &msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Write([]byte("secret"))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := c.Decrypt(bg, bytes.NewReader(msg.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(kk.kept) != 2 {
		t.Fatalf("%d data keys seen, want 2", len(kk.kept))
	}
	for i, k := range kk.kept {
		if len(k) != 32 || !bytes.Equal(k, make([]byte, 32)) {
			t.Errorf("data key %d was not zeroed", i)
		}
	}
	if got, err := readAllSmall(d); err != nil || string(got) != "secret" {
		t.Errorf("decrypt after zeroing: %q, %v", got, err)
	}
}

func readAllSmall(d *encryptsdk.Decryptor) ([]byte, error) {
	var out bytes.Buffer
	_, err := out.ReadFrom(d)
	return out.Bytes(), err
}

// TestPKCS1NoPaddingOracle: a PKCS #1 v1.5 encrypted data key with bad
// padding does not produce a padding error. The keyring yields a candidate
// data key (random, in constant time) that fails header authentication,
// and the decryption ends with the same error, word for word, as with a
// well-padded key of the wrong value or of the wrong length.
func TestPKCS1NoPaddingOracle(t *testing.T) {
	k := rsaKey()
	kr := mustRSA(t, "ns", "rsa", keyring.PKCS1)
	c := clientFor(kr, suite(t, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256))
	ct, err := c.EncryptBytes(bg, []byte("data"), &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256})
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := c.DecryptBytes(bg, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	edk := d.Header().EncryptedDataKeys[0].Ciphertext
	at := bytes.Index(ct, edk)
	if at < 0 {
		t.Fatal("EDK not found in the message")
	}

	// A well-padded wrong key and a badly padded blob must fail alike.
	//lint:ignore SA1019 the test needs a well-padded PKCS #1 v1.5 blob
	wrongKey, err := rsa.EncryptPKCS1v15(rand.Reader, &k.PublicKey, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the test needs a well-padded PKCS #1 v1.5 blob
	wrongLength, err := rsa.EncryptPKCS1v15(rand.Reader, &k.PublicKey, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	badPadding := make([]byte, len(edk))
	badPadding[1] = 0x77 // not 0x00 0x02: invalid PKCS #1 v1.5 padding
	texts := map[string]string{}
	for name, blob := range map[string][]byte{"wrong key": wrongKey, "wrong length": wrongLength, "bad padding": badPadding} {
		msg := bytes.Clone(ct)
		copy(msg[at:], blob)
		_, _, err := c.DecryptBytes(bg, msg, nil)
		var nd *encryptsdk.NoDecryptableKeyError
		if !errors.As(err, &nd) {
			t.Errorf("%s: %v, want *NoDecryptableKeyError", name, err)
			continue
		}
		texts[name] = err.Error()
	}
	if len(texts) == 3 && (texts["wrong key"] != texts["bad padding"] || texts["wrong key"] != texts["wrong length"]) {
		t.Errorf("the errors differ:\n%s\n%s\n%s", texts["wrong key"], texts["wrong length"], texts["bad padding"])
	}
}

// TestErrorsCarryNoSecrets runs failing decryptions and checks that no
// error text holds the wrapping key, the data key or the plaintext.
func TestErrorsCarryNoSecrets(t *testing.T) {
	wrap := testKey(32, 11)
	kk := &keepingKeyring{Keyring: mustAES(t, "ns", "k", wrap)}
	c := encryptsdk.New(kk)
	pt := []byte("TOP-SECRET-PLAINTEXT-0123456789")
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{FrameLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := 0; i < len(ct)*8; i += 13 {
		msg := bytes.Clone(ct)
		msg[i/8] ^= 1 << (i % 8)
		if _, _, err := c.DecryptBytes(bg, msg, nil); err != nil {
			texts = append(texts, err.Error())
		}
	}
	wrong := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 12)))
	if _, _, err := wrong.DecryptBytes(bg, ct, nil); err != nil {
		texts = append(texts, err.Error())
	}
	if len(texts) < 10 {
		t.Fatalf("only %d failures collected", len(texts))
	}
	secrets := map[string][]byte{"wrapping key": wrap, "plaintext": pt[:8]}
	for _, text := range texts {
		for name, s := range secrets {
			for _, form := range []string{string(s), hex.EncodeToString(s), base64.StdEncoding.EncodeToString(s), strings.ToUpper(hex.EncodeToString(s))} {
				if strings.Contains(text, form) {
					t.Errorf("error %q contains the %s", text, name)
				}
			}
		}
	}
}
