package hierarchy_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/materials"
)

const (
	branchID = "tenant-a"
	v1       = "0b0b6d3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
	v2       = "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// countingStore wraps a static store and counts reads; fail makes reads fail.
type countingStore struct {
	*hierarchy.StaticKeyStore
	active, versions atomic.Int64
	delay            time.Duration
	fail             atomic.Pointer[error]
}

func (s *countingStore) GetActiveBranchKey(ctx context.Context, id string) (hierarchy.BranchKeyMaterials, error) {
	s.active.Add(1)
	time.Sleep(s.delay)
	if e := s.fail.Load(); e != nil {
		return hierarchy.BranchKeyMaterials{}, *e
	}
	return s.StaticKeyStore.GetActiveBranchKey(ctx, id)
}

func (s *countingStore) GetBranchKeyVersion(ctx context.Context, id, v string) (hierarchy.BranchKeyMaterials, error) {
	s.versions.Add(1)
	time.Sleep(s.delay)
	if e := s.fail.Load(); e != nil {
		return hierarchy.BranchKeyMaterials{}, *e
	}
	return s.StaticKeyStore.GetBranchKeyVersion(ctx, id, v)
}

func newStore(t testing.TB) *countingStore {
	t.Helper()
	s := hierarchy.NewStaticKeyStore("test-store")
	for _, m := range []struct {
		v      string
		k      byte
		active bool
	}{{v1, 1, false}, {v2, 2, true}} {
		if err := s.Add(hierarchy.BranchKeyMaterials{BranchKeyID: branchID, Version: m.v, Key: key(m.k)}, m.active); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Add(hierarchy.BranchKeyMaterials{BranchKeyID: "tenant-b", Version: v1, Key: key(3)}, true); err != nil {
		t.Fatal(err)
	}
	return &countingStore{StaticKeyStore: s}
}

func newKeyring(t testing.TB, cfg hierarchy.Config) *hierarchy.Keyring {
	t.Helper()
	if cfg.TTL == 0 {
		cfg.TTL = time.Minute
	}
	if cfg.BranchKeyID == "" && cfg.BranchKeyIDSupplier == nil {
		cfg.BranchKeyID = branchID
	}
	k, err := hierarchy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var ec = map[string]string{"purpose": "hierarchy test", "tenant": "a"}

func TestRoundTripEverySuite(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	kr := newKeyring(t, hierarchy.Config{KeyStore: store})
	for _, s := range algorithms.All() {
		c := encryptsdk.New(kr)
		if !s.Committing() {
			c.CommitmentPolicy = algorithms.ForbidEncryptAllowDecrypt
		}
		pt := []byte("hierarchical " + s.ID().String())
		ct, err := c.EncryptBytes(ctx, pt, &encryptsdk.EncryptOptions{Suite: s.ID(), EncryptionContext: ec})
		if err != nil {
			t.Fatalf("%v: %v", s.ID(), err)
		}
		// A fresh keyring (cold cache) over the same store decrypts.
		d := encryptsdk.New(newKeyring(t, hierarchy.Config{KeyStore: store}))
		d.CommitmentPolicy = c.CommitmentPolicy
		got, _, err := d.DecryptBytes(ctx, ct, nil)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%v: decrypt: %q, %v", s.ID(), got, err)
		}
	}
}

// edkOf encrypts with kr and returns the materials' encrypted data key.
func encrypt(t *testing.T, kr materials.Keyring, ctxMap map[string]string) (materials.EncryptionMaterials, materials.EncryptedDataKey) {
	t.Helper()
	suite := suite256()
	m, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{Suite: suite, EncryptionContext: ctxMap})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.EncryptedDataKeys) != 1 {
		t.Fatalf("%d encrypted data keys", len(m.EncryptedDataKeys))
	}
	return m, m.EncryptedDataKeys[0]
}

func decrypt(kr materials.Keyring, ctxMap map[string]string, edks ...materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	suite := suite256()
	return kr.OnDecrypt(context.Background(), materials.DecryptionMaterials{Suite: suite, EncryptionContext: ctxMap}, edks)
}

func TestEDKLayout(t *testing.T) {
	kr := newKeyring(t, hierarchy.Config{KeyStore: newStore(t)})
	m, edk := encrypt(t, kr, ec)
	if edk.ProviderID != "aws-kms-hierarchy" || string(edk.ProviderInfo) != branchID {
		t.Errorf("provider %q / %q", edk.ProviderID, edk.ProviderInfo)
	}
	if len(edk.Ciphertext) != 16+12+16+32+16 {
		t.Fatalf("ciphertext is %d bytes, want 92", len(edk.Ciphertext))
	}
	want, _ := hierarchy.ParseVersion(v2) // the active version
	if !bytes.Equal(edk.Ciphertext[28:44], want[:]) {
		t.Errorf("version bytes %x, want %x", edk.Ciphertext[28:44], want)
	}
	d, err := decrypt(kr, ec, edk)
	if err != nil || !bytes.Equal(d.PlaintextDataKey, m.PlaintextDataKey) {
		t.Fatalf("decrypt: %v", err)
	}
}

func TestDecryptFailures(t *testing.T) {
	store := newStore(t)
	kr := newKeyring(t, hierarchy.Config{KeyStore: store})
	_, edk := encrypt(t, kr, ec)
	mod := func(f func(e *materials.EncryptedDataKey)) materials.EncryptedDataKey {
		e := edk
		e.ProviderInfo = bytes.Clone(edk.ProviderInfo)
		e.Ciphertext = bytes.Clone(edk.Ciphertext)
		f(&e)
		return e
	}
	var noKey *materials.NoDecryptableKeyError
	cases := []struct {
		name string
		edk  materials.EncryptedDataKey
		ec   map[string]string
		want error // nil: no key tried
	}{
		{"other encryption context", edk, map[string]string{"purpose": "other"}, hierarchy.ErrUnwrap},
		{"tampered tag", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext[91] ^= 1 }), ec, hierarchy.ErrUnwrap},
		{"tampered salt", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext[0] ^= 1 }), ec, hierarchy.ErrUnwrap},
		{"older version named", mod(func(e *materials.EncryptedDataKey) { u, _ := hierarchy.ParseVersion(v1); copy(e.Ciphertext[28:], u[:]) }), ec, hierarchy.ErrUnwrap},
		{"unknown version", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext[30] ^= 1 }), ec, hierarchy.ErrBranchKeyNotFound},
		{"short ciphertext", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext = e.Ciphertext[:91] }), ec, hierarchy.ErrMalformedEDK},
		{"long ciphertext", mod(func(e *materials.EncryptedDataKey) { e.Ciphertext = append(e.Ciphertext, 0) }), ec, hierarchy.ErrMalformedEDK},
		{"provider info not UTF-8", mod(func(e *materials.EncryptedDataKey) { e.ProviderInfo = []byte{0xff, 0xfe} }), ec, hierarchy.ErrMalformedEDK},
		{"other branch key", mod(func(e *materials.EncryptedDataKey) { e.ProviderInfo = []byte("tenant-b") }), ec, nil},
		{"other provider", mod(func(e *materials.EncryptedDataKey) { e.ProviderID = "aws-kms" }), ec, nil},
	}
	for _, c := range cases {
		_, err := decrypt(kr, c.ec, c.edk)
		if !errors.As(err, &noKey) {
			t.Errorf("%s: %v, want a NoDecryptableKeyError", c.name, err)
			continue
		}
		if c.want == nil && len(noKey.Errs) != 0 {
			t.Errorf("%s: tried a key: %v", c.name, err)
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// The good key after bad ones still decrypts.
	if _, err := decrypt(kr, ec, cases[1].edk, cases[5].edk, edk); err != nil {
		t.Errorf("good key after bad ones: %v", err)
	}
}

func TestSupplier(t *testing.T) {
	store := newStore(t)
	sup := hierarchy.BranchKeyIDSupplierFunc(func(_ context.Context, ec materials.EncryptionContext) (string, error) {
		if ec["tenant"] == "" {
			return "", errors.New("no tenant")
		}
		return "tenant-" + ec["tenant"], nil
	})
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, BranchKeyIDSupplier: sup})
	for _, tenant := range []string{"a", "b"} {
		c := map[string]string{"tenant": tenant}
		m, edk := encrypt(t, kr, c)
		if string(edk.ProviderInfo) != "tenant-"+tenant {
			t.Errorf("tenant %s: branch key %q", tenant, edk.ProviderInfo)
		}
		d, err := decrypt(kr, c, edk)
		if err != nil || !bytes.Equal(d.PlaintextDataKey, m.PlaintextDataKey) {
			t.Errorf("tenant %s: %v", tenant, err)
		}
	}
	suite := suite256()
	if _, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{Suite: suite}); err == nil {
		t.Error("supplier error not returned")
	}
}

func TestConfigErrors(t *testing.T) {
	store := newStore(t)
	sup := hierarchy.BranchKeyIDSupplierFunc(func(context.Context, materials.EncryptionContext) (string, error) { return "", nil })
	for _, cfg := range []hierarchy.Config{
		{BranchKeyID: branchID, TTL: time.Minute},
		{KeyStore: store, TTL: time.Minute},
		{KeyStore: store, BranchKeyID: branchID, BranchKeyIDSupplier: sup, TTL: time.Minute},
		{KeyStore: store, BranchKeyID: branchID},
		{KeyStore: store, BranchKeyID: branchID, TTL: time.Minute, RefreshBefore: time.Minute},
		{KeyStore: store, BranchKeyID: "\xff", TTL: time.Minute},
	} {
		if _, err := hierarchy.New(cfg); !errors.Is(err, hierarchy.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := hierarchy.NewCache(0); err == nil {
		t.Error("NewCache(0) succeeded")
	}
}

// TestStoreReturnsWrongKey: the keyring checks what the store returns.
func TestStoreReturnsWrongKey(t *testing.T) {
	for name, m := range map[string]hierarchy.BranchKeyMaterials{
		"other ID":      {BranchKeyID: "tenant-b", Version: v1, Key: key(1)},
		"short key":     {BranchKeyID: branchID, Version: v1, Key: key(1)[:16]},
		"bad version":   {BranchKeyID: branchID, Version: "not-a-uuid", Key: key(1)},
		"other version": {BranchKeyID: branchID, Version: v2, Key: key(1)},
	} {
		kr := newKeyring(t, hierarchy.Config{KeyStore: fixedStore{m}})
		suite := suite256()
		_, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{Suite: suite})
		if name != "other version" && !errors.Is(err, hierarchy.ErrKeyStore) {
			t.Errorf("%s: encrypt: %v, want ErrKeyStore", name, err)
		}
		// Decrypt asks for v1; "other version" returns v2.
		good := newKeyring(t, hierarchy.Config{KeyStore: fixedStore{{BranchKeyID: branchID, Version: v1, Key: key(1)}}})
		_, edk := encrypt(t, good, nil)
		if _, err := decrypt(kr, nil, edk); !errors.Is(err, hierarchy.ErrKeyStore) {
			t.Errorf("%s: decrypt: %v, want ErrKeyStore", name, err)
		}
	}
}

type fixedStore [1]hierarchy.BranchKeyMaterials

func (s fixedStore) GetActiveBranchKey(context.Context, string) (hierarchy.BranchKeyMaterials, error) {
	return s[0], nil
}
func (s fixedStore) GetBranchKeyVersion(context.Context, string, string) (hierarchy.BranchKeyMaterials, error) {
	return s[0], nil
}
func (fixedStore) LogicalKeyStoreName() string { return "fixed" }

func TestVersionText(t *testing.T) {
	u, err := hierarchy.ParseVersion("0B0B6D3E-1A2B-4C3D-8E4F-5A6B7C8D9E0F")
	if err != nil {
		t.Fatal(err)
	}
	if got := hierarchy.FormatVersion(u); got != v1 {
		t.Errorf("FormatVersion = %s, want %s", got, v1)
	}
	for _, bad := range []string{"", v1[:35], v1 + "0", "0b0b6d3e-1a2b-4c3d-8e4f_5a6b7c8d9e0f", "0b0b6d3e-1a2b-4c3d-8e4f-5a6b7c8d9e0g", "0b0b6d3e1a2b-4c3d-8e4f-5a6b7c8d9e0f0"} {
		if _, err := hierarchy.ParseVersion(bad); !errors.Is(err, hierarchy.ErrInvalidVersion) {
			t.Errorf("ParseVersion(%q): %v", bad, err)
		}
	}
}

// TestCacheIdentifiers checks the identifiers against the specification's
// construction, computed here independently.
func TestCacheIdentifiers(t *testing.T) {
	enc := sha512.Sum384([]byte("\x02\x00\x01\x00part\x00store\x00bk"))
	dec := sha512.Sum384([]byte("\x02\x00\x02\x00part\x00store\x00bk\x00" + v1))
	gotEnc, gotDec := hierarchy.CacheIdentifiers([]byte("part"), "store", "bk", v1)
	if gotEnc != enc || gotDec != dec {
		t.Errorf("cache identifiers %x %x, want %x %x", gotEnc, gotDec, enc, dec)
	}
}

func TestCacheTTLAndFailures(t *testing.T) {
	store := newStore(t)
	clk := &clock{t: time.Unix(1e9, 0)}
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Minute, Now: clk.now})
	_, edk := encrypt(t, kr, ec)
	for range 100 {
		encrypt(t, kr, ec)
		if _, err := decrypt(kr, ec, edk); err != nil {
			t.Fatal(err)
		}
	}
	if a, v := store.active.Load(), store.versions.Load(); a != 1 || v != 1 {
		t.Fatalf("within one TTL: %d active reads, %d version reads; want 1, 1", a, v)
	}
	clk.add(time.Minute)
	encrypt(t, kr, ec)
	decrypt(kr, ec, edk)
	if a, v := store.active.Load(), store.versions.Load(); a != 2 || v != 2 {
		t.Fatalf("after the TTL: %d active reads, %d version reads; want 2, 2", a, v)
	}
	// A failed read is not cached: the next request reads again.
	clk.add(time.Minute)
	boom := errors.New("store down")
	store.fail.Store(&boom)
	if _, err := decrypt(kr, ec, edk); !errors.Is(err, boom) {
		t.Fatalf("decrypt with the store down: %v", err)
	}
	store.fail.Store(nil)
	if _, err := decrypt(kr, ec, edk); err != nil {
		t.Fatal(err)
	}
	if v := store.versions.Load(); v != 4 {
		t.Fatalf("%d version reads, want 4 (the failed one not cached)", v)
	}
}

// TestSharedCacheTTL: an entry written by a keyring with a long TTL is
// not used by a keyring with a shorter one once that has passed.
func TestSharedCacheTTL(t *testing.T) {
	store := newStore(t)
	clk := &clock{t: time.Unix(1e9, 0)}
	cache, _ := hierarchy.NewCache(10)
	long := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Hour, Cache: cache, PartitionID: "p", Now: clk.now})
	short := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Minute, Cache: cache, PartitionID: "p", Now: clk.now})
	other := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Hour, Cache: cache, PartitionID: "q", Now: clk.now})
	encrypt(t, long, nil)
	encrypt(t, short, nil)
	if n := store.active.Load(); n != 1 {
		t.Fatalf("same partition: %d reads, want 1", n)
	}
	encrypt(t, other, nil)
	if n := store.active.Load(); n != 2 {
		t.Fatalf("other partition: %d reads, want 2", n)
	}
	clk.add(2 * time.Minute)
	encrypt(t, long, nil)
	if n := store.active.Load(); n != 2 {
		t.Fatalf("long TTL after 2 minutes: %d reads, want 2", n)
	}
	encrypt(t, short, nil)
	if n := store.active.Load(); n != 3 {
		t.Fatalf("short TTL after 2 minutes: %d reads, want 3", n)
	}
}

func TestNoCacheAndLRU(t *testing.T) {
	store := newStore(t)
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, Cache: hierarchy.NoCache()})
	for range 5 {
		encrypt(t, kr, nil)
	}
	if n := store.active.Load(); n != 5 {
		t.Errorf("no cache: %d reads, want 5", n)
	}
	store = newStore(t)
	cache, _ := hierarchy.NewCache(1)
	a := newKeyring(t, hierarchy.Config{KeyStore: store, Cache: cache, BranchKeyID: "tenant-a"})
	b := newKeyring(t, hierarchy.Config{KeyStore: store, Cache: cache, BranchKeyID: "tenant-b"})
	encrypt(t, a, nil)
	encrypt(t, b, nil) // evicts a's entry
	encrypt(t, a, nil)
	if n, l := store.active.Load(), cache.Len(); n != 3 || l != 1 {
		t.Errorf("LRU of 1: %d reads, %d entries; want 3, 1", n, l)
	}
}

// TestNoStampede: concurrent cold requests for one branch key version
// make one key-store read.
func TestNoStampede(t *testing.T) {
	store := newStore(t)
	store.delay = 50 * time.Millisecond
	kr := newKeyring(t, hierarchy.Config{KeyStore: store})
	_, edk := encrypt(t, newKeyring(t, hierarchy.Config{KeyStore: store.StaticKeyStore}), ec)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			if _, err := decrypt(kr, ec, edk); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := store.versions.Load(); n != 1 {
		t.Errorf("64 concurrent cold decrypts: %d reads, want 1", n)
	}
}

// TestCanceledReaderDoesNotFailOthers: when the request that reads the
// store is canceled, a waiting request reads again itself.
func TestCanceledReaderDoesNotFailOthers(t *testing.T) {
	store := newStore(t)
	store.delay = 100 * time.Millisecond
	slow := &ctxStore{countingStore: store}
	kr := newKeyring(t, hierarchy.Config{KeyStore: slow})
	suite := suite256()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := kr.OnEncrypt(ctx, materials.EncryptionMaterials{Suite: suite})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	other := make(chan error)
	go func() {
		_, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{Suite: suite})
		other <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled request: %v", err)
	}
	if err := <-other; err != nil {
		t.Errorf("waiting request: %v", err)
	}
}

// ctxStore fails reads whose context ends during the delay.
type ctxStore struct{ *countingStore }

func (s *ctxStore) GetActiveBranchKey(ctx context.Context, id string) (hierarchy.BranchKeyMaterials, error) {
	m, err := s.countingStore.GetActiveBranchKey(ctx, id)
	if ctx.Err() != nil {
		return hierarchy.BranchKeyMaterials{}, ctx.Err()
	}
	return m, err
}

func TestPrewarmAndRefresh(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	clk := &clock{t: time.Unix(1e9, 0)}
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Minute, RefreshBefore: 10 * time.Second, Now: clk.now})
	if err := kr.Prewarm(ctx, branchID); err != nil {
		t.Fatal(err)
	}
	if err := kr.Prewarm(ctx, branchID, v1, v2); err != nil {
		t.Fatal(err)
	}
	if a, v := store.active.Load(), store.versions.Load(); a != 1 || v != 2 {
		t.Fatalf("prewarm: %d, %d reads; want 1, 2", a, v)
	}
	_, edk := encrypt(t, kr, ec)
	if _, err := decrypt(kr, ec, edk); err != nil {
		t.Fatal(err)
	}
	if a, v := store.active.Load(), store.versions.Load(); a != 1 || v != 2 {
		t.Fatalf("after prewarm: %d, %d reads; want 1, 2", a, v)
	}
	if err := kr.Prewarm(ctx, branchID, "not-a-uuid"); err == nil {
		t.Error("prewarm of a bad version succeeded")
	}
	// 55 s later the entry is within RefreshBefore of expiring: the next
	// request uses it and starts one background refresh.
	clk.add(55 * time.Second)
	encrypt(t, kr, nil)
	deadline := time.Now().Add(5 * time.Second)
	for store.active.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := store.active.Load(); n != 2 {
		t.Fatalf("%d active reads after the refresh point, want 2", n)
	}
	// The refreshed entry lives a full TTL from the refresh.
	clk.add(30 * time.Second)
	encrypt(t, kr, nil)
	time.Sleep(20 * time.Millisecond)
	if n := store.active.Load(); n != 2 {
		t.Errorf("%d active reads 30 s after the refresh, want 2", n)
	}
}

func ExampleNew() {
	store := hierarchy.NewStaticKeyStore("example")
	err := store.Add(hierarchy.BranchKeyMaterials{
		BranchKeyID: "tenant-42",
		Version:     "6c2d6a51-2ad4-4b7e-9d47-4f3c1e2b9a10",
		Key:         bytes.Repeat([]byte{7}, 32), // from the key store in practice
	}, true)
	if err != nil {
		panic(err)
	}
	kr, err := hierarchy.New(hierarchy.Config{KeyStore: store, BranchKeyID: "tenant-42", TTL: 10 * time.Minute})
	if err != nil {
		panic(err)
	}
	c := encryptsdk.New(kr)
	ctx := context.Background()
	ct, err := c.EncryptBytes(ctx, []byte("hello"), &encryptsdk.EncryptOptions{EncryptionContext: map[string]string{"tenant": "42"}})
	if err != nil {
		panic(err)
	}
	pt, _, err := c.DecryptBytes(ctx, ct, nil)
	fmt.Println(string(pt), err)
	// Output: hello <nil>
}

func suite256() algorithms.Suite {
	s, err := algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	if err != nil {
		panic(err)
	}
	return s
}

// TestFailedRefreshKeepsEntry: a background renewal that fails leaves the
// still-valid entry in use, and the next use tries again.
func TestFailedRefreshKeepsEntry(t *testing.T) {
	store := newStore(t)
	clk := &clock{t: time.Unix(1e9, 0)}
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Minute, RefreshBefore: 10 * time.Second, Now: clk.now})
	encrypt(t, kr, nil)
	clk.add(55 * time.Second)
	boom := errors.New("store down")
	store.fail.Store(&boom)
	wait := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for store.active.Load() < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond) // let the failed renewal finish
		if got := store.active.Load(); got != n {
			t.Fatalf("%d active reads, want %d", got, n)
		}
	}
	encrypt(t, kr, nil) // uses the entry, starts a renewal that fails
	wait(2)
	encrypt(t, kr, nil) // still served from the entry; tries again
	wait(3)
	store.fail.Store(nil)
	clk.add(6 * time.Second) // past the old entry's expiry
	encrypt(t, kr, nil)
	if n := store.active.Load(); n != 4 {
		t.Fatalf("%d active reads after expiry, want 4", n)
	}
}
