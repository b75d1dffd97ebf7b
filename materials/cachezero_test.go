package materials

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func filledKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func isZero(b []byte) bool { return len(b) > 0 && bytes.Count(b, []byte{0}) == len(b) }

// TestLocalCacheZeroesDataKeys: a LocalCache zeroes the plaintext data key
// of every entry it lets go of — evicted, replaced, deleted, expired, or
// held when the cache is closed.
func TestLocalCacheZeroesDataKeys(t *testing.T) {
	now := time.Unix(1e9, 0)
	entry := func(enc bool) (*CacheEntry, []byte) {
		pdk := filledKey(7)
		e := &CacheEntry{Expires: now.Add(time.Hour)}
		if enc {
			e.Encryption = &EncryptionMaterials{PlaintextDataKey: pdk}
		} else {
			e.Decryption = &DecryptionMaterials{PlaintextDataKey: pdk}
		}
		return e, pdk
	}
	for _, enc := range []bool{true, false} {
		c := NewLocalCache(1)
		e1, k1 := entry(enc)
		c.Put("a", e1)
		e2, k2 := entry(enc)
		c.Put("b", e2) // evicts a
		if !isZero(k1) {
			t.Errorf("enc=%v: evicted entry's data key not zeroed", enc)
		}
		e3, k3 := entry(enc)
		c.Put("b", e3) // replaces b
		if !isZero(k2) {
			t.Errorf("enc=%v: replaced entry's data key not zeroed", enc)
		}
		c.Delete("b", e3)
		if !isZero(k3) {
			t.Errorf("enc=%v: deleted entry's data key not zeroed", enc)
		}
		e4, k4 := entry(enc)
		c.Put("c", e4)
		if _, ok := c.Get("c", now.Add(2*time.Hour)); ok || !isZero(k4) {
			t.Errorf("enc=%v: expired entry returned (%v) or its data key not zeroed", enc, ok)
		}
		e5, k5 := entry(enc)
		c.Put("d", e5)
		c.Close()
		if !isZero(k5) || c.Len() != 0 {
			t.Errorf("enc=%v: Close left %d entries, data key zeroed: %v", enc, c.Len(), isZero(k5))
		}
		e6, k6 := entry(enc)
		c.Put("e", e6)
		if _, ok := c.Get("e", now); ok || !isZero(k6) {
			t.Errorf("enc=%v: a closed cache kept an entry", enc)
		}
	}
}

// TestCachedMaterialsOutliveEviction: materials a caller got from the
// caching manager are its own copy; evicting (and zeroing) the entry does
// not change them, and a zeroed entry is never served.
func TestCachedMaterialsOutliveEviction(t *testing.T) {
	cache := NewLocalCache(1)
	cm, _, _ := newTestCaching(t, CachingConfig{Cache: cache})
	m1, err := cm.GetEncryptionMaterials(context.Background(), cacheEncReq(10, EncryptionContext{"a": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	keep := bytes.Clone(m1.PlaintextDataKey)
	if _, err := cm.GetEncryptionMaterials(context.Background(), cacheEncReq(10, EncryptionContext{"a": "2"})); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m1.PlaintextDataKey, keep) || isZero(keep) {
		t.Error("materials returned to a caller changed when their entry was evicted")
	}
	e := &CacheEntry{Encryption: &EncryptionMaterials{PlaintextDataKey: filledKey(1)}, Expires: time.Unix(1e9, 0).Add(time.Hour)}
	e.Zero()
	if e.use(1, 10, 100) {
		t.Error("a zeroed entry can still be used")
	}
}
