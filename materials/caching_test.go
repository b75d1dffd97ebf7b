package materials

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
)

// cacheCountingKeyring makes a fresh random data key per OnEncrypt and "unwraps"
// by copying the EDK ciphertext; it counts its calls.
type cacheCountingKeyring struct{ enc, dec atomic.Int64 }

func (k *cacheCountingKeyring) OnEncrypt(_ context.Context, m EncryptionMaterials) (EncryptionMaterials, error) {
	k.enc.Add(1)
	m.PlaintextDataKey = make([]byte, m.Suite.KeyLen())
	rand.Read(m.PlaintextDataKey)
	return m.WithEncryptedDataKey(EncryptedDataKey{ProviderID: "count", Ciphertext: append([]byte(nil), m.PlaintextDataKey...)}), nil
}

func (k *cacheCountingKeyring) OnDecrypt(_ context.Context, m DecryptionMaterials, edks []EncryptedDataKey) (DecryptionMaterials, error) {
	k.dec.Add(1)
	return m.WithPlaintextDataKey(append([]byte(nil), edks[0].Ciphertext...), edks[0])
}

type cacheTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cacheTestClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *cacheTestClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestCaching(t *testing.T, cfg CachingConfig) (*CachingManager, *cacheCountingKeyring, *cacheTestClock) {
	t.Helper()
	kr := &cacheCountingKeyring{}
	if cfg.Cache == nil {
		cfg.Cache = NewLocalCache(100)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = time.Hour
	}
	cm, err := NewCachingManager(NewDefaultManager(kr), cfg)
	if err != nil {
		t.Fatal(err)
	}
	clock := &cacheTestClock{t: time.Unix(1e9, 0)}
	cm.now = clock.now
	return cm, kr, clock
}

func cacheEncReq(n int64, ec EncryptionContext) EncryptionRequest {
	return EncryptionRequest{EncryptionContext: ec, PlaintextLength: n, Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
}

func TestCachingMessageLimitExact(t *testing.T) {
	cm, kr, _ := newTestCaching(t, CachingConfig{MaxMessagesEncrypted: 3})
	var keys []string
	for i := 0; i < 7; i++ {
		m, err := cm.GetEncryptionMaterials(context.Background(), cacheEncReq(10, nil))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, string(m.PlaintextDataKey))
	}
	// Messages 1-3 share a key, 4-6 the next, 7 a third.
	for i, k := range keys {
		if same := k == keys[i/3*3]; !same {
			t.Errorf("message %d did not reuse the key of message %d", i+1, i/3*3+1)
		}
	}
	if keys[2] == keys[3] || keys[5] == keys[6] {
		t.Error("a data key was used past the message limit")
	}
	if got := kr.enc.Load(); got != 3 {
		t.Errorf("%d keyring calls, want 3", got)
	}
}

func TestCachingByteLimit(t *testing.T) {
	cm, kr, _ := newTestCaching(t, CachingConfig{MaxBytesEncrypted: 100})
	ctx := context.Background()
	a, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(60, nil))
	b, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(40, nil)) // exactly 100: reused
	c, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, nil))  // 101: new key
	if string(a.PlaintextDataKey) != string(b.PlaintextDataKey) || string(b.PlaintextDataKey) == string(c.PlaintextDataKey) {
		t.Error("byte limit not applied exactly")
	}
	// A single message above the limit bypasses the cache.
	cm.GetEncryptionMaterials(ctx, cacheEncReq(101, nil))
	cm.GetEncryptionMaterials(ctx, cacheEncReq(101, nil))
	if got := kr.enc.Load(); got != 4 {
		t.Errorf("%d keyring calls, want 4", got)
	}
}

func TestCachingMaxAge(t *testing.T) {
	cm, kr, clock := newTestCaching(t, CachingConfig{MaxAge: time.Minute})
	ctx := context.Background()
	a, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, nil))
	clock.add(59 * time.Second)
	b, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, nil))
	clock.add(time.Second)
	c, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, nil))
	if string(a.PlaintextDataKey) != string(b.PlaintextDataKey) {
		t.Error("entry not reused before it expired")
	}
	if string(b.PlaintextDataKey) == string(c.PlaintextDataKey) {
		t.Error("expired entry was used")
	}
	if kr.enc.Load() != 2 {
		t.Errorf("%d keyring calls, want 2", kr.enc.Load())
	}
}

func TestCachingSeparatesContextsAndBypasses(t *testing.T) {
	cm, kr, _ := newTestCaching(t, CachingConfig{})
	ctx := context.Background()
	a, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, EncryptionContext{"k": "1"}))
	b, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, EncryptionContext{"k": "2"}))
	if string(a.PlaintextDataKey) == string(b.PlaintextDataKey) {
		t.Error("different encryption contexts shared a data key")
	}
	// Unknown length and identity-KDF suites bypass the cache.
	cm.GetEncryptionMaterials(ctx, cacheEncReq(-1, nil))
	cm.GetEncryptionMaterials(ctx, cacheEncReq(-1, nil))
	req := cacheEncReq(1, nil)
	req.CommitmentPolicy = algorithms.ForbidEncryptAllowDecrypt
	req.Suite = algorithms.AES_256_GCM_IV12_TAG16_NO_KDF
	cm.GetEncryptionMaterials(ctx, req)
	cm.GetEncryptionMaterials(ctx, req)
	if got := kr.enc.Load(); got != 6 {
		t.Errorf("%d keyring calls, want 6", got)
	}
	// Clearing returned materials does not damage the cached entry.
	m, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, EncryptionContext{"k": "1"}))
	clear(m.PlaintextDataKey)
	m2, _ := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, EncryptionContext{"k": "1"}))
	if string(m2.PlaintextDataKey) != string(a.PlaintextDataKey) {
		t.Error("cached data key was modified through returned materials")
	}
}

func TestCachingDecryptOneCall(t *testing.T) {
	cm, kr, _ := newTestCaching(t, CachingConfig{})
	ctx := context.Background()
	em, err := cm.GetEncryptionMaterials(ctx, cacheEncReq(1, EncryptionContext{"a": "b"}))
	if err != nil {
		t.Fatal(err)
	}
	req := DecryptionRequest{Suite: em.Suite, EncryptedDataKeys: em.EncryptedDataKeys, EncryptionContext: em.EncryptionContext}
	for i := 0; i < 100; i++ {
		m, err := cm.DecryptMaterials(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.PlaintextDataKey) != string(em.PlaintextDataKey) {
			t.Fatal("wrong data key")
		}
	}
	if kr.dec.Load() != 1 {
		t.Errorf("%d decrypt calls for 100 messages under one data key, want 1", kr.dec.Load())
	}
}

func TestCachingConcurrentLimits(t *testing.T) {
	cm, kr, _ := newTestCaching(t, CachingConfig{MaxMessagesEncrypted: 100})
	var wg sync.WaitGroup
	var mu sync.Mutex
	uses := map[string]int{}
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ { // 3200 messages
				m, err := cm.GetEncryptionMaterials(context.Background(), cacheEncReq(10, nil))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				uses[string(m.PlaintextDataKey)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, n := range uses {
		if n > 100 {
			t.Errorf("a data key encrypted %d messages, limit 100", n)
		}
	}
	if got := kr.enc.Load(); got != 32 {
		t.Errorf("%d keyring calls for 3200 messages at 100 per key, want 32", got)
	}
}

func TestLocalCacheLRU(t *testing.T) {
	c := NewLocalCache(2)
	now := time.Unix(0, 0)
	e := func() *CacheEntry { return &CacheEntry{Expires: now.Add(time.Hour)} }
	c.Put("a", e())
	c.Put("b", e())
	c.Get("a", now) // a is now most recent
	c.Put("c", e()) // evicts b
	for k, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, ok := c.Get(k, now); ok != want {
			t.Errorf("Get(%q) = %v, want %v", k, ok, want)
		}
	}
	if _, ok := c.Get("a", now.Add(time.Hour)); ok {
		t.Error("expired entry returned")
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d after the expired entry was dropped, want 1", c.Len())
	}
}

func TestCachingConfigErrors(t *testing.T) {
	under := NewDefaultManager(&cacheCountingKeyring{})
	for i, cfg := range []CachingConfig{
		{MaxAge: time.Second},
		{Cache: NewLocalCache(1)},
		{Cache: NewLocalCache(1), MaxAge: time.Second, MaxMessagesEncrypted: 1<<32 + 1},
	} {
		if _, err := NewCachingManager(under, cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	if _, err := NewCachingManager(nil, CachingConfig{Cache: NewLocalCache(1), MaxAge: time.Second}); err == nil {
		t.Error("nil manager accepted")
	}
}
