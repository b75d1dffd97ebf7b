package pkcs11_test

import (
	"testing"

	"github.com/go-esdk/esdk/materials"
)

// FuzzAESKeyringOnDecrypt hands the token AES keyring arbitrary encrypted
// data keys under its own namespace: none may panic, and none may yield a
// data key (the key's ciphertexts are unforgeable).
func FuzzAESKeyringOnDecrypt(f *testing.F) {
	tok := openToken(f)
	r := newRef(f, tok, "aes")
	if err := tok.GenerateAESKey(bg, r, 256); err != nil {
		f.Fatal(err)
	}
	kr, err := tok.NewAESKeyring(bg, "ns", "name", r)
	if err != nil {
		f.Fatal(err)
	}
	m, err := kr.OnEncrypt(bg, encMaterials(f, map[string]string{"a": "b"}))
	if err != nil {
		f.Fatal(err)
	}
	edk := m.EncryptedDataKeys[0]
	f.Add(edk.ProviderInfo, edk.Ciphertext)
	f.Add(edk.ProviderInfo[:len(edk.ProviderInfo)-1], edk.Ciphertext)
	f.Add([]byte("name"), []byte{})
	f.Fuzz(func(t *testing.T, info, ct []byte) {
		dm := decMaterials(t, map[string]string{"a": "b"})
		out, err := kr.OnDecrypt(bg, dm, []materials.EncryptedDataKey{{ProviderID: "ns", ProviderInfo: info, Ciphertext: ct}})
		genuine := string(info) == string(edk.ProviderInfo) && string(ct) == string(edk.Ciphertext)
		if err == nil && !genuine {
			t.Fatalf("a forged encrypted data key unwrapped to %d bytes", len(out.PlaintextDataKey))
		}
		if genuine && err != nil {
			t.Fatalf("the genuine key failed: %v", err)
		}
	})
}
