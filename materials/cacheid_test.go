package materials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
)

// echoManager returns decryption materials whose data key is derived from
// the whole request, so that two requests served by one cache entry show.
type echoManager struct{ calls atomic.Int64 }

func (m *echoManager) GetEncryptionMaterials(context.Context, EncryptionRequest) (EncryptionMaterials, error) {
	panic("not used")
}

func (m *echoManager) DecryptMaterials(_ context.Context, req DecryptionRequest) (DecryptionMaterials, error) {
	m.calls.Add(1)
	ec, required, err := MergeReproduced(req.EncryptionContext, req.ReproducedEncryptionContext)
	if err != nil {
		return DecryptionMaterials{}, err
	}
	h := sha256.New()
	for _, k := range req.EncryptedDataKeys {
		h.Write(k.Ciphertext)
	}
	return DecryptionMaterials{Suite: req.Suite, EncryptionContext: ec, RequiredEncryptionContextKeys: required, PlaintextDataKey: h.Sum(nil)}, nil
}

// TestCacheIDsAreInjective: two different decryption requests whose parts,
// written back to back, give the same bytes (one EDK more in B, the
// reproduced context of A spelling that EDK's encoding) must not share a
// cache entry: B must not get A's materials and encryption context.
func TestCacheIDsAreInjective(t *testing.T) {
	suite, err := algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	if err != nil {
		t.Fatal(err)
	}
	// R, the reproduced context of A: {"\x01": 255 bytes of 'x' then 00 00}.
	v := append(bytes.Repeat([]byte("x"), 255), 0, 0)
	recA := EncryptionContext{"\x01": string(v)}
	r, err := recA.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// E2, the extra EDK of B, is encoded as 00 00 || R without its last
	// two bytes: empty provider ID, info R[2:3], ciphertext R[5:len-2].
	e1 := EncryptedDataKey{ProviderID: "", ProviderInfo: nil, Ciphertext: []byte("x")}
	e2 := EncryptedDataKey{ProviderID: "", ProviderInfo: r[2:3], Ciphertext: r[5 : len(r)-2]}
	if int(r[3])<<8|int(r[4]) != len(e2.Ciphertext) {
		t.Fatalf("crafted EDK does not line up: %d vs %d", int(r[3])<<8|int(r[4]), len(e2.Ciphertext))
	}
	reqA := DecryptionRequest{Suite: suite, EncryptedDataKeys: []EncryptedDataKey{e1}, ReproducedEncryptionContext: recA}
	reqB := DecryptionRequest{Suite: suite, EncryptedDataKeys: []EncryptedDataKey{e1, e2}}

	under := &echoManager{}
	cm, err := NewCachingManager(under, CachingConfig{Cache: NewLocalCache(10), MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ma, err := cm.DecryptMaterials(context.Background(), reqA)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := cm.DecryptMaterials(context.Background(), reqB)
	if err != nil {
		t.Fatal(err)
	}
	if got := under.calls.Load(); got != 2 {
		t.Errorf("underlying manager called %d times for two different requests, want 2 (cache IDs collided)", got)
	}
	if bytes.Equal(ma.PlaintextDataKey, mb.PlaintextDataKey) {
		t.Error("request B got the data key of request A")
	}
	if _, ok := mb.EncryptionContext["\x01"]; ok {
		t.Error("request B got the encryption context of request A")
	}
}

// TestCacheIDRequiredKeysCounted: required keys are counted, so moving a
// key between the required list and what follows it changes the ID.
func TestCacheIDRequiredKeysCounted(t *testing.T) {
	cm, _, _ := newTestCaching(t, CachingConfig{})
	seen := map[string]int{}
	reqs := []EncryptionRequest{
		{EncryptionContext: EncryptionContext{"a": "b"}},
		{EncryptionContext: EncryptionContext{"a": "b"}, RequiredEncryptionContextKeys: []string{""}},
		{EncryptionContext: EncryptionContext{"a": "b"}, RequiredEncryptionContextKeys: []string{"", ""}},
		{EncryptionContext: EncryptionContext{"a": "b"}, RequiredEncryptionContextKeys: []string{"a"}},
	}
	for i, req := range reqs {
		id, err := cm.encryptKey(req)
		if err != nil {
			t.Fatal(err)
		}
		if j, ok := seen[id]; ok {
			t.Errorf("requests %d and %d share a cache ID", j, i)
		}
		seen[id] = i
	}
}
