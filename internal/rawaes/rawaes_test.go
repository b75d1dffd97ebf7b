package rawaes

import (
	"bytes"
	"testing"

	"github.com/go-esdk/esdk/materials"
)

func TestInfoRoundTrip(t *testing.T) {
	iv := bytes.Repeat([]byte{7}, 12)
	info := AppendInfo(nil, "key", iv)
	if len(info) != InfoLen(3) {
		t.Fatalf("info is %d bytes, want %d", len(info), InfoLen(3))
	}
	want := append([]byte("key\x00\x00\x00\x80\x00\x00\x00\x0c"), iv...)
	if !bytes.Equal(info, want) {
		t.Fatalf("info = %x, want %x", info, want)
	}
	edk := materials.EncryptedDataKey{ProviderID: "ns", ProviderInfo: info, Ciphertext: make([]byte, 16)}
	if got, ok := IV(edk, "ns", "key"); !ok || !bytes.Equal(got, iv) {
		t.Fatalf("IV = %x, %v", got, ok)
	}
}

func TestIVRefuses(t *testing.T) {
	iv := make([]byte, 12)
	good := materials.EncryptedDataKey{ProviderID: "ns", ProviderInfo: AppendInfo(nil, "key", iv), Ciphertext: make([]byte, 16)}
	change := func(f func(e *materials.EncryptedDataKey)) materials.EncryptedDataKey {
		e := good
		e.ProviderInfo = bytes.Clone(good.ProviderInfo)
		f(&e)
		return e
	}
	for name, edk := range map[string]materials.EncryptedDataKey{
		"other namespace":  change(func(e *materials.EncryptedDataKey) { e.ProviderID = "other" }),
		"other name":       change(func(e *materials.EncryptedDataKey) { e.ProviderInfo[0] = 'K' }),
		"tag length 96":    change(func(e *materials.EncryptedDataKey) { e.ProviderInfo[6] = 0x60 }),
		"IV length 16":     change(func(e *materials.EncryptedDataKey) { e.ProviderInfo[10] = 16 }),
		"short info":       change(func(e *materials.EncryptedDataKey) { e.ProviderInfo = e.ProviderInfo[:10] }),
		"long info":        change(func(e *materials.EncryptedDataKey) { e.ProviderInfo = append(e.ProviderInfo, 0) }),
		"ciphertext < tag": change(func(e *materials.EncryptedDataKey) { e.Ciphertext = e.Ciphertext[:15] }),
	} {
		if _, ok := IV(edk, "ns", "key"); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckNames(t *testing.T) {
	for _, c := range []struct {
		ns, name string
		ok       bool
	}{{"ns", "k", true}, {"", "k", false}, {"ns", "", false}, {"aws-kms", "k", false}} {
		if err := CheckNames(c.ns, c.name); (err == nil) != c.ok {
			t.Errorf("CheckNames(%q, %q) = %v", c.ns, c.name, err)
		}
	}
}
