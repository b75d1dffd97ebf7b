package hierarchy_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/materials"
)

// gatedStore counts reads of a static store; while its gate is closed
// (hold), reads block until release. It records the largest number of
// reads in progress at once.
type gatedStore struct {
	*hierarchy.StaticKeyStore
	started, ended atomic.Int64
	running, most  atomic.Int64
	fail           atomic.Pointer[error]

	mu   sync.Mutex
	gate chan struct{} // nil: open
}

func newGatedStore(t *testing.T, branchKeys ...string) *gatedStore {
	t.Helper()
	s := hierarchy.NewStaticKeyStore("storm-store")
	for i, id := range branchKeys {
		if err := s.Add(hierarchy.BranchKeyMaterials{BranchKeyID: id, Version: v1, Key: key(byte(i + 1))}, true); err != nil {
			t.Fatal(err)
		}
	}
	return &gatedStore{StaticKeyStore: s}
}

func (s *gatedStore) hold() {
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
}

func (s *gatedStore) release() {
	s.mu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.mu.Unlock()
}

func (s *gatedStore) read(ctx context.Context, f func() (hierarchy.BranchKeyMaterials, error)) (hierarchy.BranchKeyMaterials, error) {
	s.started.Add(1)
	n := s.running.Add(1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	defer func() { s.running.Add(-1); s.ended.Add(1) }()
	s.mu.Lock()
	g := s.gate
	s.mu.Unlock()
	if g != nil {
		select {
		case <-g:
		case <-ctx.Done():
			return hierarchy.BranchKeyMaterials{}, ctx.Err()
		}
	}
	if e := s.fail.Load(); e != nil {
		return hierarchy.BranchKeyMaterials{}, *e
	}
	return f()
}

func (s *gatedStore) GetActiveBranchKey(ctx context.Context, id string) (hierarchy.BranchKeyMaterials, error) {
	return s.read(ctx, func() (hierarchy.BranchKeyMaterials, error) { return s.StaticKeyStore.GetActiveBranchKey(ctx, id) })
}

func (s *gatedStore) GetBranchKeyVersion(ctx context.Context, id, v string) (hierarchy.BranchKeyMaterials, error) {
	return s.read(ctx, func() (hierarchy.BranchKeyMaterials, error) { return s.StaticKeyStore.GetBranchKeyVersion(ctx, id, v) })
}

// waitFor polls cond for up to 5 s of real time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func stormCache(t *testing.T, st hierarchy.StormTracking) *hierarchy.Cache {
	t.Helper()
	if st.Sleep == 0 {
		st.Sleep = time.Millisecond
	}
	c, err := hierarchy.NewStormTrackingCache(100, st)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStormGracePeriod: within the grace period one caller per grace
// interval starts a background renewal; every caller keeps the entry and
// none waits.
func TestStormGracePeriod(t *testing.T) {
	store := newGatedStore(t, branchID)
	clk := &clock{t: time.Unix(1e9, 0)}
	cache := stormCache(t, hierarchy.StormTracking{GracePeriod: 10 * time.Second, GraceInterval: time.Second, InflightTTL: 5 * time.Second})
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Minute, Cache: cache, Now: clk.now})

	encrypt(t, kr, ec)
	clk.add(49 * time.Second) // 11 s before expiry: outside the grace period
	for range 20 {
		encrypt(t, kr, ec)
	}
	if n := store.started.Load(); n != 1 {
		t.Fatalf("before the grace period: %d reads, want 1", n)
	}

	clk.add(2 * time.Second) // 9 s before expiry
	store.hold()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { // none may wait for the held read
			if _, err := encryptErr(kr); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	waitFor(t, "the renewal", func() bool { return store.started.Load() == 2 })
	for range 20 {
		encrypt(t, kr, ec)
	}
	if n := store.started.Load(); n != 2 {
		t.Fatalf("50+20 uses within one grace interval: %d reads, want 2 (one renewal)", n)
	}

	clk.add(time.Second) // the renewal has been in flight for a grace interval
	encrypt(t, kr, ec)
	waitFor(t, "a second renewal", func() bool { return store.started.Load() == 3 })
	encrypt(t, kr, ec)
	if n := store.started.Load(); n != 3 {
		t.Fatalf("after one grace interval: %d reads, want 3", n)
	}

	store.release()
	waitFor(t, "the renewals to end", func() bool { return store.ended.Load() == 3 })
	clk.add(time.Second) // the renewed entry expires 60 s after t=52
	for range 20 {
		encrypt(t, kr, ec)
	}
	if n := store.started.Load(); n != 3 {
		t.Fatalf("after the renewal: %d reads, want 3", n)
	}
}

// TestStormFailedRenewal: a failed renewal leaves the entry in use and is
// retried once per grace interval; past expiry the failure is returned.
func TestStormFailedRenewal(t *testing.T) {
	store := newGatedStore(t, branchID)
	clk := &clock{t: time.Unix(1e9, 0)}
	cache := stormCache(t, hierarchy.StormTracking{GracePeriod: 10 * time.Second, GraceInterval: 2 * time.Second})
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, TTL: time.Minute, Cache: cache, Now: clk.now})
	encrypt(t, kr, ec)

	boom := errors.New("store down")
	store.fail.Store(&boom)
	clk.add(55 * time.Second)
	encrypt(t, kr, ec)
	waitFor(t, "the failed renewal", func() bool { return store.ended.Load() == 2 })
	for range 10 {
		encrypt(t, kr, ec) // same grace interval: no new attempt
	}
	if n := store.started.Load(); n != 2 {
		t.Fatalf("after a failed renewal, same interval: %d reads, want 2", n)
	}
	clk.add(2 * time.Second)
	encrypt(t, kr, ec)
	waitFor(t, "the second attempt", func() bool { return store.ended.Load() == 3 })
	if n := store.started.Load(); n != 3 {
		t.Fatalf("next interval: %d reads, want 3", n)
	}
	clk.add(3 * time.Second) // expired
	m, err := encryptErr(kr)
	if !errors.Is(err, boom) {
		t.Fatalf("expired entry, store down: %v, %v", m.EncryptedDataKeys, err)
	}
}

// TestStormColdWaitersShareOneRead: concurrent callers of a missing entry
// wait for one read and share its result, or its failure.
func TestStormColdWaitersShareOneRead(t *testing.T) {
	store := newGatedStore(t, branchID)
	cache := stormCache(t, hierarchy.StormTracking{})
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, Cache: cache, Now: func() time.Time { return time.Unix(1e9, 0) }})
	for _, fail := range []bool{true, false} {
		boom := errors.New("store down")
		if fail {
			store.fail.Store(&boom)
		} else {
			store.fail.Store(nil)
		}
		before := store.started.Load()
		store.hold()
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 64 {
			wg.Go(func() {
				if _, err := encryptErr(kr); errors.Is(err, boom) {
					failed.Add(1)
				} else if err != nil {
					t.Error(err)
				}
			})
		}
		waitFor(t, "63 callers waiting for one read", func() bool { return hierarchy.Waiting(cache) == 63 })
		store.release()
		wg.Wait()
		if n := store.started.Load() - before; n != 1 {
			t.Errorf("fail=%v: 64 cold callers made %d reads, want 1", fail, n)
		}
		if want := map[bool]int64{true: 64, false: 0}[fail]; failed.Load() != want {
			t.Errorf("fail=%v: %d callers saw the failure, want %d", fail, failed.Load(), want)
		}
	}
}

// TestStormWaitersNeverMissAFailedRead: callers that keep waking (a
// short Sleep) while a read fails share its failure: none of them takes
// the ended read for no read at all and starts another.
func TestStormWaitersNeverMissAFailedRead(t *testing.T) {
	store := newGatedStore(t, branchID)
	boom := errors.New("store down")
	store.fail.Store(&boom)
	cache := stormCache(t, hierarchy.StormTracking{Sleep: time.Microsecond})
	kr := newKeyring(t, hierarchy.Config{KeyStore: store, Cache: cache, Now: func() time.Time { return time.Unix(1e9, 0) }})
	for round := range 50 {
		before := store.started.Load()
		store.hold()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := encryptErr(kr); !errors.Is(err, boom) {
					t.Errorf("round %d: %v, want the store's failure", round, err)
				}
			})
		}
		waitFor(t, "7 callers waiting for one read", func() bool { return hierarchy.Waiting(cache) == 7 })
		store.release()
		wg.Wait()
		if n := store.started.Load() - before; n != 1 {
			t.Fatalf("round %d: 8 cold callers made %d reads, want 1", round, n)
		}
	}
}

// TestStormFanOut: at most FanOut distinct entries are read at once.
func TestStormFanOut(t *testing.T) {
	ids := []string{"t0", "t1", "t2", "t3", "t4", "t5"}
	store := newGatedStore(t, ids...)
	cache := stormCache(t, hierarchy.StormTracking{FanOut: 2})
	clk := &clock{t: time.Unix(1e9, 0)}
	store.hold()
	var wg sync.WaitGroup
	for _, id := range ids {
		kr := newKeyring(t, hierarchy.Config{KeyStore: store, BranchKeyID: id, Cache: cache, PartitionID: "p", Now: clk.now})
		wg.Go(func() {
			if _, err := encryptErr(kr); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, "two reads", func() bool { return store.started.Load() == 2 })
	time.Sleep(20 * time.Millisecond)
	if n := store.started.Load(); n != 2 {
		t.Fatalf("fan-out 2: %d reads in flight, want 2", n)
	}
	store.release()
	wg.Wait()
	if n, most := store.started.Load(), store.most.Load(); n != 6 || most > 2 {
		t.Fatalf("fan-out 2: %d reads (want 6), %d at once (want at most 2)", n, most)
	}
}

// TestStormInflightTTL: a caller that waits InflightTTL fails with
// ErrInflightTTL, whether it waits for the same entry or for a fan-out
// slot; with InflightTTL beyond the grace interval, a caller instead
// starts its own read once the one in flight is a grace interval old.
func TestStormInflightTTL(t *testing.T) {
	for _, tc := range []struct {
		name        string
		st          hierarchy.StormTracking
		second      string // branch key of the waiting caller
		wantErr     bool
		wantStarted int64
	}{
		{"same entry", hierarchy.StormTracking{GraceInterval: time.Second, InflightTTL: time.Second}, "t0", true, 1},
		{"fan-out", hierarchy.StormTracking{GraceInterval: time.Second, InflightTTL: 2 * time.Second, FanOut: 1}, "t1", true, 1},
		{"grace interval", hierarchy.StormTracking{GraceInterval: time.Second, InflightTTL: 5 * time.Second}, "t0", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newGatedStore(t, "t0", "t1")
			cache := stormCache(t, tc.st)
			clk := &clock{t: time.Unix(1e9, 0)}
			first := newKeyring(t, hierarchy.Config{KeyStore: store, BranchKeyID: "t0", Cache: cache, PartitionID: "p", Now: clk.now})
			second := newKeyring(t, hierarchy.Config{KeyStore: store, BranchKeyID: tc.second, Cache: cache, PartitionID: "p", Now: clk.now})
			store.hold()
			defer store.release()
			firstDone := make(chan error, 1)
			go func() { _, err := encryptErr(first); firstDone <- err }()
			waitFor(t, "the first read", func() bool { return store.started.Load() == 1 })
			secondDone := make(chan error, 1)
			go func() { _, err := encryptErr(second); secondDone <- err }()
			waitFor(t, "the second caller to wait", func() bool { return hierarchy.Waiting(cache) > 0 })
			// Advance the clock until the second caller gives up or reads.
			var err error
		wait:
			for deadline := time.Now().Add(5 * time.Second); ; {
				select {
				case err = <-secondDone:
					break wait
				default:
				}
				if store.started.Load() == 2 {
					store.release()
					err = <-secondDone
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the second caller neither failed nor read")
				}
				clk.add(100 * time.Millisecond)
				time.Sleep(2 * time.Millisecond)
			}
			if got := errors.Is(err, hierarchy.ErrInflightTTL); got != tc.wantErr || (!tc.wantErr && err != nil) {
				t.Fatalf("second caller: %v, want ErrInflightTTL: %v", err, tc.wantErr)
			}
			if n := store.started.Load(); n != tc.wantStarted {
				t.Fatalf("%d reads, want %d", n, tc.wantStarted)
			}
			store.release()
			if err := <-firstDone; err != nil {
				t.Fatalf("first caller: %v", err)
			}
		})
	}
}

func TestStormConfig(t *testing.T) {
	for _, st := range []hierarchy.StormTracking{
		{GraceInterval: 3 * time.Second, InflightTTL: 2 * time.Second},
		{GracePeriod: 5 * time.Second, InflightTTL: 6 * time.Second},
		{GracePeriod: -time.Second},
		{FanOut: -1},
	} {
		if _, err := hierarchy.NewStormTrackingCache(10, st); err == nil {
			t.Errorf("NewStormTrackingCache(%+v) accepted", st)
		}
	}
	if _, err := hierarchy.NewStormTrackingCache(0, hierarchy.StormTracking{}); err == nil {
		t.Error("NewStormTrackingCache(0) accepted")
	}
	// Defaults follow a short grace period.
	if _, err := hierarchy.NewStormTrackingCache(10, hierarchy.StormTracking{GracePeriod: 500 * time.Millisecond}); err != nil {
		t.Errorf("grace period 500 ms with defaults: %v", err)
	}
	store := newStore(t)
	cache := stormCache(t, hierarchy.StormTracking{})
	for _, cfg := range []hierarchy.Config{
		{KeyStore: store, BranchKeyID: branchID, TTL: time.Minute, RefreshBefore: time.Second, Cache: cache},
		{KeyStore: store, BranchKeyID: branchID, TTL: 10 * time.Second, Cache: cache},
	} {
		if _, err := hierarchy.New(cfg); !errors.Is(err, hierarchy.ErrConfig) {
			t.Errorf("New(RefreshBefore %v, TTL %v, storm-tracking cache): %v", cfg.RefreshBefore, cfg.TTL, err)
		}
	}
	if _, err := hierarchy.New(hierarchy.Config{KeyStore: store, BranchKeyID: branchID, TTL: 11 * time.Second, Cache: cache}); err != nil {
		t.Errorf("TTL above the grace period: %v", err)
	}
}

// encryptErr runs OnEncrypt for a 256-bit suite and returns its error
// (for goroutines, where encrypt's t.Fatal is not allowed).
func encryptErr(kr *hierarchy.Keyring) (materials.EncryptionMaterials, error) {
	out, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{Suite: suite256(), EncryptionContext: ec})
	if err != nil {
		return out, fmt.Errorf("encrypt: %w", err)
	}
	return out, nil
}
