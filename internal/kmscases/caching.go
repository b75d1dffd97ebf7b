package kmscases

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// cachingClient returns a client whose materials come through a caching
// manager over a KMS keyring for keyA.
func cachingClient(t testing.TB, w *World, maxMessages uint64) *encryptsdk.Client {
	t.Helper()
	kr := must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyA))
	cm, err := materials.NewCachingManager(materials.NewDefaultManager(kr), materials.CachingConfig{
		Cache:                materials.NewLocalCache(100),
		MaxAge:               time.Hour,
		MaxMessagesEncrypted: maxMessages,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &encryptsdk.Client{Manager: cm}
}

// testCachingCountsKMSRequests counts the requests the KMS receives:
// 10,000 encryptions at 1,000 messages per data key make 10
// GenerateDataKey calls, and decrypting all of them (10 data keys) makes 10
// Decrypt calls.
func testCachingCountsKMSRequests(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	ctx := context.Background()
	enc := cachingClient(t, w, 1000)
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, EncryptionContext: map[string]string{"tenant": "7"}}
	msgs := make([][]byte, 10000)
	for i := range msgs {
		ct, err := enc.EncryptBytes(ctx, []byte("a small record"), opts)
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = ct
	}
	if n := w.West.Count("GenerateDataKey", ""); n != 10 {
		t.Errorf("10,000 encryptions at 1,000 per data key made %d GenerateDataKey calls, want 10", n)
	}

	dec := cachingClient(t, w, 1000)
	keys := map[string]int{}
	for _, ct := range msgs {
		_, d, err := dec.DecryptBytes(ctx, ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[string(d.DataKey().Ciphertext)]++
	}
	if n := w.Decrypts(""); n != 10 {
		t.Errorf("decrypting 10,000 messages under 10 data keys made %d Decrypt calls, want 10", n)
	}
	if len(keys) != 10 {
		t.Errorf("%d distinct data keys, want 10", len(keys))
	}
	for _, n := range keys {
		if n != 1000 {
			t.Errorf("a data key encrypted %d messages, want exactly 1000", n)
		}
	}
}

// testCachingConcurrentKMS: 64 goroutines share one caching client; no data
// key encrypts more messages than the limit, and KMS sees no more calls
// than the limit requires.
func testCachingConcurrentKMS(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	ctx := context.Background()
	enc := cachingClient(t, w, 50)
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
	var mu sync.Mutex
	var msgs [][]byte
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 { // 1,600 messages in all
				ct, err := enc.EncryptBytes(ctx, []byte("concurrent"), opts)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				msgs = append(msgs, ct)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := w.West.Count("GenerateDataKey", ""); n != 1600/50 {
		t.Errorf("%d GenerateDataKey calls for 1,600 messages at 50 per key, want %d", n, 1600/50)
	}
	dec := encryptsdk.New(must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyA)))
	uses := map[string]int{}
	for _, ct := range msgs {
		_, d, err := dec.DecryptBytes(ctx, ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		uses[string(d.DataKey().Ciphertext)]++
	}
	for _, n := range uses {
		if n > 50 {
			t.Errorf("a data key encrypted %d messages, limit 50", n)
		}
	}
}
