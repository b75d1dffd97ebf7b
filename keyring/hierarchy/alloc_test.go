package hierarchy_test

import (
	"context"
	"testing"

	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/materials"
)

// warmKeyring returns a keyring with a warm cache (the active version and
// the version of the returned encrypted data key).
func warmKeyring(t testing.TB) (*hierarchy.Keyring, []materials.EncryptedDataKey) {
	t.Helper()
	kr := newKeyring(t, hierarchy.Config{KeyStore: newStore(t)})
	ctx := context.Background()
	em, err := kr.OnEncrypt(ctx, materials.EncryptionMaterials{Suite: suite256(), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	edks := em.EncryptedDataKeys
	if _, err := kr.OnDecrypt(ctx, materials.DecryptionMaterials{Suite: suite256(), EncryptionContext: ec}, edks); err != nil {
		t.Fatal(err)
	}
	return kr, edks
}

// Allocations of a warm OnDecrypt and OnEncrypt: the wrapping key is
// derived for every message (AES and GCM state: 2), plus the additional
// data (1), the sorted keys of the encryption context (1) and the data
// key (1) or the encrypted data key (ciphertext, provider info and the
// materials' new list: 3). The branch key lookup allocates nothing.
const (
	warmDecryptAllocs = 5
	warmEncryptAllocs = 7
)

func TestWarmAllocs(t *testing.T) {
	kr, edks := warmKeyring(t)
	ctx := context.Background()
	dm := materials.DecryptionMaterials{Suite: suite256(), EncryptionContext: ec}
	n := testing.AllocsPerRun(200, func() {
		if _, err := kr.OnDecrypt(ctx, dm, edks); err != nil {
			t.Fatal(err)
		}
	})
	if n > warmDecryptAllocs {
		t.Errorf("warm OnDecrypt: %v allocations, want at most %d", n, warmDecryptAllocs)
	}
	em := materials.EncryptionMaterials{Suite: suite256(), EncryptionContext: ec, PlaintextDataKey: make([]byte, 32)}
	n = testing.AllocsPerRun(200, func() {
		if _, err := kr.OnEncrypt(ctx, em); err != nil {
			t.Fatal(err)
		}
	})
	if n > warmEncryptAllocs {
		t.Errorf("warm OnEncrypt (data key given): %v allocations, want at most %d", n, warmEncryptAllocs)
	}
}

func BenchmarkWarmOnDecrypt(b *testing.B) {
	kr, edks := warmKeyring(b)
	ctx := context.Background()
	dm := materials.DecryptionMaterials{Suite: suite256(), EncryptionContext: ec}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.OnDecrypt(ctx, dm, edks); err != nil {
			b.Fatal(err)
		}
	}
}
