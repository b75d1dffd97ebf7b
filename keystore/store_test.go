package keystore_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/keystore"
)

const keyARN = "arn:aws:kms:us-west-2:111122223333:key/8b432da4-dde4-4bc3-a794-c7d68cbab5a6"

type world struct {
	ddb   *fakeDDB
	kms   *fakeKMS
	store *keystore.Store
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{ddb: newFakeDDB("branch-keys"), kms: newFakeKMS(keyARN)}
	s, err := keystore.New(keystore.Config{TableName: "branch-keys", LogicalKeyStoreName: "logical", KMSKeyARN: keyARN, DynamoDB: w.ddb, KMS: w.kms})
	if err != nil {
		t.Fatal(err)
	}
	w.store = s
	return w
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateKeyStore(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for range 2 { // creates, then finds the existing table
		arn, err := w.store.CreateKeyStore(ctx)
		if err != nil || arn != "arn:aws:dynamodb:us-west-2:111122223333:table/branch-keys" {
			t.Fatalf("CreateKeyStore = %q, %v", arn, err)
		}
	}
}

func TestCreateKeyLayout(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !uuidRE.MatchString(id) {
		t.Errorf("branch key ID %q is not a version 4 UUID", id)
	}
	if len(w.ddb.items) != 3 {
		t.Fatalf("%d items, want 3", len(w.ddb.items))
	}
	active := w.ddb.items[[2]string{id, "branch:ACTIVE"}]
	version := str(active["version"])
	if !regexp.MustCompile(`^branch:version:`).MatchString(version) || !uuidRE.MatchString(version[len("branch:version:"):]) {
		t.Fatalf("ACTIVE version attribute %q", version)
	}
	decryptOnly := w.ddb.items[[2]string{id, version}]
	beacon := w.ddb.items[[2]string{id, "beacon:ACTIVE"}]
	if decryptOnly == nil || beacon == nil {
		t.Fatal("version or beacon item missing")
	}
	for name, it := range map[string]map[string]types.AttributeValue{"active": active, "version": decryptOnly, "beacon": beacon} {
		if _, ok := it["enc"].(*types.AttributeValueMemberB); !ok {
			t.Errorf("%s: enc is %T", name, it["enc"])
		}
		if n, ok := it["hierarchy-version"].(*types.AttributeValueMemberN); !ok || n.Value != "1" {
			t.Errorf("%s: hierarchy-version %#v", name, it["hierarchy-version"])
		}
		if str(it["kms-arn"]) != keyARN || str(it["branch-key-id"]) != id {
			t.Errorf("%s: kms-arn %q, branch-key-id %q", name, str(it["kms-arn"]), str(it["branch-key-id"]))
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000000Z", str(it["create-time"])); err != nil {
			t.Errorf("%s: create-time %q: %v", name, str(it["create-time"]), err)
		}
		if _, ok := it["tablename"]; ok {
			t.Errorf("%s: has a tablename attribute", name)
		}
	}
	if _, ok := decryptOnly["version"]; ok {
		t.Error("version item has a version attribute")
	}
	// Reading decrypts with the item's attributes plus tablename.
	m, err := w.store.GetActiveBranchKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if "branch:version:"+m.Version != version || len(m.Key) != 32 || m.BranchKeyID != id {
		t.Errorf("active materials %v", m)
	}
	if w.kms.lastEC["tablename"] != "logical" || w.kms.lastEC["type"] != "branch:ACTIVE" || w.kms.lastEC["version"] != version || w.kms.lastEC["hierarchy-version"] != "1" {
		t.Errorf("Decrypt encryption context %v", w.kms.lastEC)
	}
	v, err := w.store.GetBranchKeyVersion(ctx, id, m.Version)
	if err != nil || !bytes.Equal(v.Key, m.Key) {
		t.Fatalf("version key differs from the active one: %v", err)
	}
	b, err := w.store.GetBeaconKey(ctx, id)
	if err != nil || len(b.Key) != 32 || bytes.Equal(b.Key, m.Key) {
		t.Fatalf("beacon key: %v", err)
	}
}

func TestCustomIDAndContext(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ec := map[string]string{"tenant": "acme", "région": "é"}
	id, err := w.store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: "acme-key", EncryptionContext: ec})
	if err != nil || id != "acme-key" {
		t.Fatalf("CreateKey = %q, %v", id, err)
	}
	if got := str(w.ddb.items[[2]string{id, "beacon:ACTIVE"}]["aws-crypto-ec:tenant"]); got != "acme" {
		t.Errorf("aws-crypto-ec:tenant = %q", got)
	}
	m, err := w.store.GetActiveBranchKey(ctx, id)
	if err != nil || m.EncryptionContext["tenant"] != "acme" || m.EncryptionContext["région"] != "é" || len(m.EncryptionContext) != 2 {
		t.Fatalf("custom context %v, %v", m.EncryptionContext, err)
	}
	if _, err := w.store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: "acme-key", EncryptionContext: ec}); !errors.Is(err, keystore.ErrExists) {
		t.Errorf("second CreateKey of the same ID: %v, want ErrExists", err)
	}
	for _, o := range []keystore.CreateKeyOptions{
		{BranchKeyID: "no-context"},
		{EncryptionContext: map[string]string{"": "x"}},
		{EncryptionContext: map[string]string{"k": "\xff"}},
	} {
		if _, err := w.store.CreateKey(ctx, &o); !errors.Is(err, keystore.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", o, err)
		}
	}
}

func TestVersionKey(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := w.store.GetActiveBranchKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.VersionKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	second, err := w.store.GetActiveBranchKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if second.Version == first.Version || bytes.Equal(second.Key, first.Key) {
		t.Fatal("VersionKey did not make a new active version")
	}
	old, err := w.store.GetBranchKeyVersion(ctx, id, first.Version)
	if err != nil || !bytes.Equal(old.Key, first.Key) {
		t.Fatalf("old version: %v", err)
	}
	if len(w.ddb.items) != 4 {
		t.Errorf("%d items after one VersionKey, want 4", len(w.ddb.items))
	}
	// A tampered ACTIVE item is not authenticated: VersionKey refuses it.
	it := w.ddb.items[[2]string{id, "branch:ACTIVE"}]
	it["create-time"] = &types.AttributeValueMemberS{Value: "2000-01-01T00:00:00.000000Z"}
	if err := w.store.VersionKey(ctx, id); !errors.Is(err, keystore.ErrKMS) {
		t.Errorf("VersionKey of a tampered item: %v, want ErrKMS", err)
	}
	if err := w.store.VersionKey(ctx, "missing"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("VersionKey of a missing key: %v, want ErrNotFound", err)
	}
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		mod  func(w *world, it map[string]types.AttributeValue)
		want error
	}{
		{"missing", func(w *world, _ map[string]types.AttributeValue) { clear(w.ddb.items) }, keystore.ErrNotFound},
		{"enc is a string", func(_ *world, it map[string]types.AttributeValue) {
			it["enc"] = &types.AttributeValueMemberS{Value: "x"}
		}, keystore.ErrMalformedItem},
		{"no enc", func(_ *world, it map[string]types.AttributeValue) { delete(it, "enc") }, keystore.ErrMalformedItem},
		{"no create-time", func(_ *world, it map[string]types.AttributeValue) { delete(it, "create-time") }, keystore.ErrMalformedItem},
		{"number attribute", func(_ *world, it map[string]types.AttributeValue) {
			it["aws-crypto-ec:n"] = &types.AttributeValueMemberN{Value: "1"}
		}, keystore.ErrMalformedItem},
		{"tablename attribute", func(_ *world, it map[string]types.AttributeValue) {
			it["tablename"] = &types.AttributeValueMemberS{Value: "x"}
		}, keystore.ErrMalformedItem},
		{"bad version", func(_ *world, it map[string]types.AttributeValue) {
			it["version"] = &types.AttributeValueMemberS{Value: "branch:version:nope"}
		}, keystore.ErrMalformedItem},
		{"hierarchy-version 2", func(_ *world, it map[string]types.AttributeValue) {
			it["hierarchy-version"] = &types.AttributeValueMemberN{Value: "2"}
		}, keystore.ErrHierarchyVersion},
		{"hierarchy-version string", func(_ *world, it map[string]types.AttributeValue) {
			it["hierarchy-version"] = &types.AttributeValueMemberS{Value: "1"}
		}, keystore.ErrMalformedItem},
		{"other KMS key", func(_ *world, it map[string]types.AttributeValue) {
			it["kms-arn"] = &types.AttributeValueMemberS{Value: "arn:aws:kms:us-west-2:111122223333:key/other"}
		}, keystore.ErrKMSKeyMismatch},
		{"tampered attribute", func(_ *world, it map[string]types.AttributeValue) {
			it["aws-crypto-ec:x"] = &types.AttributeValueMemberS{Value: "y"}
		}, keystore.ErrKMS},
		{"KMS refuses", func(w *world, _ map[string]types.AttributeValue) {
			w.kms.refuse = &kmstypes.DisabledException{Message: sp("denied")}
		}, keystore.ErrKMS},
		{"DynamoDB fails", func(w *world, _ map[string]types.AttributeValue) {
			w.ddb.getErr = &types.ProvisionedThroughputExceededException{Message: sp("slow down")}
		}, keystore.ErrDynamoDB},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			id, err := w.store.CreateKey(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.mod(w, w.ddb.items[[2]string{id, "branch:ACTIVE"}])
			_, err = w.store.GetActiveBranchKey(ctx, id)
			if !errors.Is(err, c.want) {
				t.Fatalf("GetActiveBranchKey: %v, want %v", err, c.want)
			}
			// The hierarchical keyring reports it and caches nothing.
			kr, err := hierarchy.New(hierarchy.Config{KeyStore: w.store, BranchKeyID: id, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("x"), nil); !errors.Is(err, c.want) {
				t.Errorf("encrypt: %v, want %v", err, c.want)
			}
			before := w.ddb.gets
			encryptsdk.New(kr).EncryptBytes(ctx, []byte("x"), nil)
			if w.ddb.gets != before+1 {
				t.Errorf("a failed read was cached (%d GetItem, want %d)", w.ddb.gets, before+1)
			}
		})
	}
}

func sp(s string) *string { return &s }

func TestConfigErrors(t *testing.T) {
	ddb, k := newFakeDDB("t"), newFakeKMS(keyARN)
	for _, c := range []keystore.Config{
		{LogicalKeyStoreName: "l", KMSKeyARN: keyARN, DynamoDB: ddb, KMS: k},
		{TableName: "t", KMSKeyARN: keyARN, DynamoDB: ddb, KMS: k},
		{TableName: "t", LogicalKeyStoreName: "l", KMSKeyARN: "alias/x", DynamoDB: ddb, KMS: k},
		{TableName: "t", LogicalKeyStoreName: "l", KMSKeyARN: "arn:aws:kms:us-west-2:111122223333:alias/x", DynamoDB: ddb, KMS: k},
		{TableName: "t", LogicalKeyStoreName: "l", KMSKeyARN: keyARN, KMS: k},
	} {
		if _, err := keystore.New(c); !errors.Is(err, keystore.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}

// TestKeyringOverStore: messages encrypted before a VersionKey still
// decrypt after it, through the hierarchical keyring.
func TestKeyringOverStore(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := hierarchy.New(hierarchy.Config{KeyStore: w.store, BranchKeyID: id, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := encryptsdk.New(kr)
	before, err := c.EncryptBytes(ctx, []byte("before"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.VersionKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	fresh, _ := hierarchy.New(hierarchy.Config{KeyStore: w.store, BranchKeyID: id, TTL: time.Hour})
	after, err := encryptsdk.New(fresh).EncryptBytes(ctx, []byte("after"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for want, ct := range map[string][]byte{"before": before, "after": after} {
		got, _, err := encryptsdk.New(fresh).DecryptBytes(ctx, ct, nil)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v", want, got, err)
		}
	}
}
