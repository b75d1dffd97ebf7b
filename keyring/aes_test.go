package keyring_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

var ctx = context.Background()

func suite(t testing.TB, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func encMaterials(t testing.TB, id algorithms.ID, ec materials.EncryptionContext) materials.EncryptionMaterials {
	return materials.EncryptionMaterials{Suite: suite(t, id), EncryptionContext: ec}
}

func decMaterials(t testing.TB, id algorithms.ID, ec materials.EncryptionContext) materials.DecryptionMaterials {
	return materials.DecryptionMaterials{Suite: suite(t, id), EncryptionContext: ec}
}

func key(n int, seed byte) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func newAES(t testing.TB, ns, name string, k []byte) *keyring.RawAES {
	t.Helper()
	kr, err := keyring.NewRawAES(ns, name, k)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// ecAAD is the test's own canonical serialization (sorted by UTF-8 bytes).
func ecAAD(pairs ...string) []byte {
	if len(pairs) == 0 {
		return nil
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(len(pairs)/2))
	for _, s := range pairs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b
}

func TestRawAESConstruction(t *testing.T) {
	for _, n := range []int{0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 48, 64} {
		if _, err := keyring.NewRawAES("ns", "name", make([]byte, n)); err == nil {
			t.Errorf("%d-byte key accepted", n)
		}
	}
	for _, n := range []int{16, 24, 32} {
		if _, err := keyring.NewRawAES("ns", "name", make([]byte, n)); err != nil {
			t.Errorf("%d-byte key: %v", n, err)
		}
	}
	for _, c := range [][2]string{{"aws-kms", "name"}, {"", "name"}, {"ns", ""}} {
		if _, err := keyring.NewRawAES(c[0], c[1], make([]byte, 32)); err == nil {
			t.Errorf("namespace %q, name %q accepted", c[0], c[1])
		}
	}
	// The keyring does not keep the caller's key slice.
	k := key(32, 1)
	kr := newAES(t, "ns", "name", k)
	m, err := kr.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
	if err != nil {
		t.Fatal(err)
	}
	clear(k)
	if _, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), m.EncryptedDataKeys); err != nil {
		t.Errorf("decrypt after the caller cleared its key: %v", err)
	}
}

// TestRawAESWireFormat checks the EDK byte layout and opens it with
// crypto/cipher directly, with the serialized context as AAD.
func TestRawAESWireFormat(t *testing.T) {
	for _, kl := range []int{16, 24, 32} {
		for _, id := range []algorithms.ID{0x0014, 0x0346, 0x0478, 0x0578} {
			wrapKey := key(kl, byte(kl))
			name := "my key \U0001F511"
			kr := newAES(t, "my-namespace", name, wrapKey)
			ec := materials.EncryptionContext{"\U0001F600": "b", "\uFFFD": "a", "x": "y"}
			in := encMaterials(t, id, ec)
			m, err := kr.OnEncrypt(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			s := suite(t, id)
			if len(m.PlaintextDataKey) != s.KeyLen() {
				t.Fatalf("generated a %d-byte data key for %v", len(m.PlaintextDataKey), s)
			}
			if len(in.EncryptedDataKeys) != 0 || in.PlaintextDataKey != nil {
				t.Error("OnEncrypt modified its input")
			}
			if len(m.EncryptedDataKeys) != 1 {
				t.Fatalf("%d EDKs", len(m.EncryptedDataKeys))
			}
			edk := m.EncryptedDataKeys[0]
			if edk.ProviderID != "my-namespace" {
				t.Errorf("provider ID %q", edk.ProviderID)
			}
			info := edk.ProviderInfo
			n := len(name)
			if len(info) != n+20 || string(info[:n]) != name ||
				binary.BigEndian.Uint32(info[n:]) != 128 || binary.BigEndian.Uint32(info[n+4:]) != 12 {
				t.Fatalf("provider info %x, want name || u32(128) || u32(12) || IV", info)
			}
			if len(edk.Ciphertext) != s.KeyLen()+16 {
				t.Errorf("EDK ciphertext is %d bytes, want %d", len(edk.Ciphertext), s.KeyLen()+16)
			}
			block, _ := aes.NewCipher(wrapKey)
			gcm, _ := cipher.NewGCM(block)
			aad := ecAAD("x", "y", "\uFFFD", "a", "\U0001F600", "b")
			pdk, err := gcm.Open(nil, info[n+8:], edk.Ciphertext, aad)
			if err != nil || !bytes.Equal(pdk, m.PlaintextDataKey) {
				t.Fatalf("independent unwrap: %x, %v", pdk, err)
			}
		}
	}
}

func TestRawAESFreshIVAndExistingKey(t *testing.T) {
	kr := newAES(t, "ns", "k", key(32, 0))
	pdk := key(32, 100)
	in := encMaterials(t, 0x0478, nil)
	in.PlaintextDataKey = pdk
	a, err := kr.OnEncrypt(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := kr.OnEncrypt(ctx, in)
	if !bytes.Equal(a.PlaintextDataKey, pdk) || !bytes.Equal(b.PlaintextDataKey, pdk) {
		t.Error("an existing data key was replaced")
	}
	if bytes.Equal(a.EncryptedDataKeys[0].ProviderInfo, b.EncryptedDataKeys[0].ProviderInfo) {
		t.Error("two encryptions used the same IV")
	}
	// Wrapping with a second keyring appends.
	kr2 := newAES(t, "ns", "k2", key(16, 0))
	c, err := kr2.OnEncrypt(ctx, a)
	if err != nil || len(c.EncryptedDataKeys) != 2 || len(a.EncryptedDataKeys) != 1 {
		t.Errorf("second wrap: %d EDKs (input now %d), %v", len(c.EncryptedDataKeys), len(a.EncryptedDataKeys), err)
	}
}

func TestRawAESDecrypt(t *testing.T) {
	ec := materials.EncryptionContext{"purpose": "test"}
	kr := newAES(t, "ns", "k", key(32, 0))
	m, err := kr.OnEncrypt(ctx, encMaterials(t, 0x0578, ec))
	if err != nil {
		t.Fatal(err)
	}
	good := m.EncryptedDataKeys[0]

	out, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), m.EncryptedDataKeys)
	if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) || !out.DataKey.Equal(good) {
		t.Fatalf("round trip: %v", err)
	}

	noKey := func(name string, err error, wantErrs int) {
		t.Helper()
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) {
			t.Errorf("%s: err = %v, want *NoDecryptableKeyError", name, err)
			return
		}
		if len(nd.Errs) != wantErrs {
			t.Errorf("%s: %d per-key errors, want %d: %v", name, len(nd.Errs), wantErrs, err)
		}
	}

	// A different encryption context fails (the context is the AAD).
	for _, other := range []materials.EncryptionContext{nil, {"purpose": "other"}, {"purpose": "test", "x": "y"}} {
		_, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, other), m.EncryptedDataKeys)
		noKey("different context", err, 1)
	}
	// A keyring with the same name and a different key fails.
	_, err = newAES(t, "ns", "k", key(32, 1)).OnDecrypt(ctx, decMaterials(t, 0x0578, ec), m.EncryptedDataKeys)
	noKey("different key", err, 1)
	// EDKs of another name or namespace are skipped, not tried.
	for _, o := range []*keyring.RawAES{newAES(t, "ns", "k2", key(32, 0)), newAES(t, "ns2", "k", key(32, 0)), newAES(t, "ns", "K", key(32, 0))} {
		_, err = o.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), m.EncryptedDataKeys)
		noKey("other name", err, 0)
	}
	// Malformed provider info is skipped.
	n := len("k")
	edit := func(f func(*materials.EncryptedDataKey)) materials.EncryptedDataKey {
		e := materials.EncryptedDataKey{ProviderID: good.ProviderID, ProviderInfo: bytes.Clone(good.ProviderInfo), Ciphertext: bytes.Clone(good.Ciphertext)}
		f(&e)
		return e
	}
	for _, c := range []struct {
		name string
		edk  materials.EncryptedDataKey
	}{
		{"tag bits 96", edit(func(e *materials.EncryptedDataKey) { binary.BigEndian.PutUint32(e.ProviderInfo[n:], 96) })},
		{"IV length 16", edit(func(e *materials.EncryptedDataKey) { binary.BigEndian.PutUint32(e.ProviderInfo[n+4:], 16) })},
		{"short info", edit(func(e *materials.EncryptedDataKey) { e.ProviderInfo = e.ProviderInfo[:len(e.ProviderInfo)-1] })},
		{"long info", edit(func(e *materials.EncryptedDataKey) { e.ProviderInfo = append(e.ProviderInfo, 0) })},
		{"short ciphertext", edit(func(e *materials.EncryptedDataKey) { e.Ciphertext = e.Ciphertext[:15] })},
		{"empty", materials.EncryptedDataKey{ProviderID: "ns"}},
	} {
		_, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), []materials.EncryptedDataKey{c.edk})
		if err == nil {
			t.Errorf("%s: decrypted", c.name)
		}
	}
	// A tampered EDK fails and the next one is tried.
	bad := edit(func(e *materials.EncryptedDataKey) { e.Ciphertext[3] ^= 1 })
	badIV := edit(func(e *materials.EncryptedDataKey) { e.ProviderInfo[len(e.ProviderInfo)-1] ^= 1 })
	out, err = kr.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), []materials.EncryptedDataKey{bad, badIV, good})
	if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) || !out.DataKey.Equal(good) {
		t.Errorf("bad EDKs then a good one: %v", err)
	}
	_, err = kr.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), []materials.EncryptedDataKey{bad, badIV})
	noKey("two bad EDKs", err, 2)
	// An EDK wrapping a key of the wrong length for the suite.
	short, _ := kr.OnEncrypt(ctx, encMaterials(t, 0x0114, ec)) // 16-byte data key
	_, err = kr.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), short.EncryptedDataKeys)
	if !errors.Is(err, materials.ErrInvalidMaterials) {
		t.Errorf("wrong-length data key: %v", err)
	}
	// A data key already present.
	withKey := decMaterials(t, 0x0578, ec)
	withKey.PlaintextDataKey = make([]byte, 32)
	if _, err := kr.OnDecrypt(ctx, withKey, m.EncryptedDataKeys); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Errorf("data key present: %v", err)
	}
	// Error messages carry no key material.
	_, err = kr.OnDecrypt(ctx, decMaterials(t, 0x0578, nil), m.EncryptedDataKeys)
	if err == nil || strings.Contains(err.Error(), string(m.PlaintextDataKey)) {
		t.Errorf("error: %v", err)
	}
}

func TestRawAESBadContext(t *testing.T) {
	kr := newAES(t, "ns", "k", key(32, 0))
	bad := materials.EncryptionContext{"k": strings.Repeat("v", 70000)}
	if _, err := kr.OnEncrypt(ctx, encMaterials(t, 0x0478, bad)); err == nil {
		t.Error("encrypt with an unserializable context succeeded")
	}
	if _, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0478, bad), nil); err == nil {
		t.Error("decrypt with an unserializable context succeeded")
	}
}
