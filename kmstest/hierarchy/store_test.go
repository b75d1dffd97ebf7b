package hierarchy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/keystore"
	"github.com/go-esdk/esdk/kmstest/moto"
)

var tableSeq atomic.Int64

type world struct {
	srv    *moto.Server
	ddb    *dynamodb.Client
	keyARN string
	table  string
	store  *keystore.Store
}

// newWorld starts moto, creates a KMS key and a key store table.
func newWorld(t *testing.T) *world {
	t.Helper()
	srv := moto.Start(t)
	ctx := context.Background()
	arn, err := srv.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{srv: srv, ddb: srv.DynamoDB(), keyARN: arn, table: fmt.Sprintf("branch-keys-%d", tableSeq.Add(1))}
	w.store = w.newStore(t, arn)
	tableARN, err := w.store.CreateKeyStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", moto.Region, moto.AccountID, w.table); tableARN != want {
		t.Errorf("table ARN %q, want %q", tableARN, want)
	}
	return w
}

func (w *world) newStore(t *testing.T, keyARN string) *keystore.Store {
	t.Helper()
	s, err := keystore.New(keystore.Config{TableName: w.table, LogicalKeyStoreName: "go-esdk-test", KMSKeyARN: keyARN,
		DynamoDB: w.srv.DynamoDB(), KMS: w.srv.KMS()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) item(t *testing.T, id, typ string) map[string]types.AttributeValue {
	t.Helper()
	out, err := w.ddb.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(w.table), Key: map[string]types.AttributeValue{
		"branch-key-id": &types.AttributeValueMemberS{Value: id}, "type": &types.AttributeValueMemberS{Value: typ}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func (w *world) putItem(t *testing.T, it map[string]types.AttributeValue) {
	t.Helper()
	if _, err := w.ddb.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.table), Item: it}); err != nil {
		t.Fatal(err)
	}
}

func s(v types.AttributeValue) string {
	if x, ok := v.(*types.AttributeValueMemberS); ok {
		return x.Value
	}
	return fmt.Sprintf("<%T>", v)
}

func TestStoreOperations(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := w.store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: "tenant-7", EncryptionContext: map[string]string{"tenant": "7"}})
	if err != nil || custom != "tenant-7" {
		t.Fatalf("CreateKey with an ID: %q, %v", custom, err)
	}
	if _, err := w.store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: "tenant-7", EncryptionContext: map[string]string{"tenant": "7"}}); !errors.Is(err, keystore.ErrExists) {
		t.Errorf("CreateKey of an existing ID: %v, want ErrExists", err)
	}
	// The items as DynamoDB holds them.
	active := w.item(t, custom, "branch:ACTIVE")
	if n, ok := active["hierarchy-version"].(*types.AttributeValueMemberN); !ok || n.Value != "1" {
		t.Errorf("hierarchy-version %#v", active["hierarchy-version"])
	}
	if _, ok := active["enc"].(*types.AttributeValueMemberB); !ok {
		t.Errorf("enc %T", active["enc"])
	}
	if s(active["kms-arn"]) != w.keyARN || s(active["aws-crypto-ec:tenant"]) != "7" {
		t.Errorf("kms-arn %q, aws-crypto-ec:tenant %q", s(active["kms-arn"]), s(active["aws-crypto-ec:tenant"]))
	}
	version := s(active["version"])
	if w.item(t, custom, version) == nil || w.item(t, custom, "beacon:ACTIVE") == nil {
		t.Fatalf("no %q or beacon item", version)
	}

	m1, err := w.store.GetActiveBranchKey(ctx, custom)
	if err != nil {
		t.Fatal(err)
	}
	if "branch:version:"+m1.Version != version || m1.EncryptionContext["tenant"] != "7" || len(m1.Key) != 32 {
		t.Errorf("active materials %v %v", m1, m1.EncryptionContext)
	}
	if err := w.store.VersionKey(ctx, custom); err != nil {
		t.Fatal(err)
	}
	m2, err := w.store.GetActiveBranchKey(ctx, custom)
	if err != nil || m2.Version == m1.Version || bytes.Equal(m2.Key, m1.Key) {
		t.Fatalf("after VersionKey: %v, %v", m2, err)
	}
	old, err := w.store.GetBranchKeyVersion(ctx, custom, m1.Version)
	if err != nil || !bytes.Equal(old.Key, m1.Key) {
		t.Fatalf("old version: %v", err)
	}
	b, err := w.store.GetBeaconKey(ctx, id)
	if err != nil || len(b.Key) != 32 {
		t.Fatalf("beacon key: %v", err)
	}

	// Messages written before the rotation decrypt after it.
	kr := keyring(t, w.store, custom, hierarchy.Config{})
	before, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("before"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.VersionKey(ctx, custom); err != nil {
		t.Fatal(err)
	}
	kr2 := keyring(t, w.store, custom, hierarchy.Config{})
	after, err := encryptsdk.New(kr2).EncryptBytes(ctx, []byte("after"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for want, ct := range map[string][]byte{"before": before, "after": after} {
		got, _, err := encryptsdk.New(kr2).DecryptBytes(ctx, ct, nil)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v", want, got, err)
		}
	}
}

func keyring(t testing.TB, store hierarchy.KeyStore, id string, cfg hierarchy.Config) *hierarchy.Keyring {
	t.Helper()
	cfg.KeyStore, cfg.BranchKeyID = store, id
	if cfg.TTL == 0 {
		cfg.TTL = time.Hour
	}
	kr, err := hierarchy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

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

// TestCallCounts: 10,000 messages under one branch key make one GetItem
// and one AWS KMS Decrypt per cache TTL, for encryption and decryption.
func TestCallCounts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	const n = 10000
	ttl := 10 * time.Minute
	enc := encryptsdk.New(keyring(t, w.store, id, hierarchy.Config{TTL: ttl, Now: clk.now}))
	dec := encryptsdk.New(keyring(t, w.store, id, hierarchy.Config{TTL: ttl, Now: clk.now}))
	pt := bytes.Repeat([]byte("m"), 64)
	// An unsigned suite keeps 40,000 messages quick; the keyring does the
	// same for every suite.
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
	check := func(what string, gets, decrypts int) {
		t.Helper()
		g, d := w.srv.Count(moto.GetItem), w.srv.Count(moto.KMSDecrypt)
		t.Logf("%s: %d GetItem, %d KMS Decrypt", what, g, d)
		if g != gets || d != decrypts {
			t.Fatalf("%s: %d GetItem and %d KMS Decrypt, want %d and %d", what, g, d, gets, decrypts)
		}
	}
	w.srv.ResetCounts()
	msgs := make([][]byte, n)
	for i := range n {
		if msgs[i], err = enc.EncryptBytes(ctx, pt, opts); err != nil {
			t.Fatal(err)
		}
	}
	check("10,000 encryptions", 1, 1)
	for i := range n {
		if _, _, err := dec.DecryptBytes(ctx, msgs[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	check("then 10,000 decryptions", 2, 2)
	// One TTL later: one more read of each entry, then none.
	clk.add(ttl)
	for i := range n {
		if _, err := enc.EncryptBytes(ctx, pt, opts); err != nil {
			t.Fatal(err)
		}
		if _, _, err := dec.DecryptBytes(ctx, msgs[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	check("then 10,000 of each one TTL later", 4, 4)
}

// TestColdCacheNoStampede: 64 concurrent cold decryptions (and then 64
// concurrent cold encryptions) make exactly one GetItem and one KMS
// Decrypt.
func TestColdCacheNoStampede(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := encryptsdk.New(keyring(t, w.store, id, hierarchy.Config{})).EncryptBytes(ctx, []byte("stampede"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"decrypt", "encrypt"} {
		c := encryptsdk.New(keyring(t, w.store, id, hierarchy.Config{}))
		w.srv.ResetCounts()
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				<-start
				var err error
				if op == "decrypt" {
					_, _, err = c.DecryptBytes(ctx, ct, nil)
				} else {
					_, err = c.EncryptBytes(ctx, []byte("x"), nil)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		g, d := w.srv.Count(moto.GetItem), w.srv.Count(moto.KMSDecrypt)
		t.Logf("64 concurrent cold %ss: %d GetItem, %d KMS Decrypt", op, g, d)
		if g != 1 || d != 1 {
			t.Errorf("64 concurrent cold %ss: %d GetItem, %d KMS Decrypt; want 1 and 1", op, g, d)
		}
	}
}

// TestStormTrackingCallCounts: with the storm-tracking cache, 64
// concurrent cold decryptions make one GetItem and one KMS Decrypt; within
// the grace period 64 concurrent decryptions all use the entry and make
// one background renewal (one more of each), and the renewed entry serves
// the rest.
func TestStormTrackingCallCounts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := encryptsdk.New(keyring(t, w.store, id, hierarchy.Config{})).EncryptBytes(ctx, []byte("storm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := hierarchy.NewStormTrackingCache(100, hierarchy.StormTracking{GracePeriod: 10 * time.Second, GraceInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	c := encryptsdk.New(keyring(t, w.store, id, hierarchy.Config{TTL: time.Minute, Cache: cache, Now: clk.now}))
	w.srv.ResetCounts()
	counts := func() (int, int) { return w.srv.Count(moto.GetItem), w.srv.Count(moto.KMSDecrypt) }
	concurrent := func() {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				if _, _, err := c.DecryptBytes(ctx, ct, nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	concurrent()
	if g, d := counts(); g != 1 || d != 1 {
		t.Fatalf("64 concurrent cold decryptions: %d GetItem, %d KMS Decrypt; want 1 and 1", g, d)
	}
	clk.add(45 * time.Second) // 15 s before expiry: outside the grace period
	for range 100 {
		if _, _, err := c.DecryptBytes(ctx, ct, nil); err != nil {
			t.Fatal(err)
		}
	}
	if g, d := counts(); g != 1 || d != 1 {
		t.Fatalf("before the grace period: %d GetItem, %d KMS Decrypt; want 1 and 1", g, d)
	}
	clk.add(10 * time.Second) // 5 s before expiry
	concurrent()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if g, d := counts(); g == 2 && d == 2 {
			break
		}
		if time.Now().After(deadline) {
			g, d := counts()
			t.Fatalf("within the grace period: %d GetItem, %d KMS Decrypt; want 2 and 2 (one renewal)", g, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The renewal has its answers; give it a moment to store the entry.
	time.Sleep(100 * time.Millisecond)
	for range 100 { // the renewal in flight or done: no other
		if _, _, err := c.DecryptBytes(ctx, ct, nil); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(30 * time.Second) // past the first entry's expiry, inside the renewed one's
	for range 100 {
		if _, _, err := c.DecryptBytes(ctx, ct, nil); err != nil {
			t.Fatal(err)
		}
	}
	if g, d := counts(); g != 2 || d != 2 {
		t.Fatalf("after the renewal: %d GetItem, %d KMS Decrypt; want 2 and 2", g, d)
	}
}
