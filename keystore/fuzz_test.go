package keystore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/keystore"
)

// fuzzAttrs are the attribute names the edits of FuzzReadItem change;
// the last entry takes its name from the input.
var fuzzAttrs = []string{"branch-key-id", "type", "version", "enc", "kms-arn", "create-time",
	"hierarchy-version", "tablename", "aws-crypto-ec:tenant", ""}

// editItem applies the edits encoded in data to item: each edit is an
// attribute (byte), a kind (byte) and a value (length byte, bytes).
func editItem(item map[string]types.AttributeValue, data []byte) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	bytesOf := func() []byte {
		n := min(int(next()), len(data))
		b := data[:n]
		data = data[n:]
		return b
	}
	for len(data) > 0 {
		name := fuzzAttrs[int(next())%len(fuzzAttrs)]
		kind := next() % 8
		val := bytesOf()
		if name == "" {
			name = string(bytesOf())
		}
		switch kind {
		case 0:
			delete(item, name)
		case 1:
			item[name] = &types.AttributeValueMemberS{Value: string(val)}
		case 2:
			item[name] = &types.AttributeValueMemberN{Value: string(val)}
		case 3:
			item[name] = &types.AttributeValueMemberB{Value: bytes.Clone(val)}
		case 4:
			item[name] = &types.AttributeValueMemberBOOL{Value: len(val) > 0}
		case 5:
			item[name] = &types.AttributeValueMemberNULL{Value: true}
		case 6:
			item[name] = &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: string(val)}}}
		case 7:
			// Keep the attribute but append to its text or bytes.
			switch v := item[name].(type) {
			case *types.AttributeValueMemberS:
				item[name] = &types.AttributeValueMemberS{Value: v.Value + string(val)}
			case *types.AttributeValueMemberN:
				item[name] = &types.AttributeValueMemberN{Value: v.Value + string(val)}
			case *types.AttributeValueMemberB:
				item[name] = &types.AttributeValueMemberB{Value: append(bytes.Clone(v.Value), val...)}
			}
		}
	}
}

// FuzzReadItem reads edited key store items (active, version and beacon)
// through the key store: whatever the item, a read either fails with one
// of the store's errors or returns exactly the key that was created (the
// AWS KMS encryption context covers every attribute), and never panics.
func FuzzReadItem(f *testing.F) {
	ctx := context.Background()
	ddb, k := newFakeDDB("branch-keys"), newFakeKMS(keyARN)
	cfg := keystore.Config{TableName: "branch-keys", LogicalKeyStoreName: "logical", KMSKeyARN: keyARN, DynamoDB: ddb, KMS: k}
	store, err := keystore.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	id, err := store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: "fuzz-key", EncryptionContext: map[string]string{"tenant": "a"}})
	if err != nil {
		f.Fatal(err)
	}
	active, err := store.GetActiveBranchKey(ctx, id)
	if err != nil {
		f.Fatal(err)
	}
	beacon, err := store.GetBeaconKey(ctx, id)
	if err != nil {
		f.Fatal(err)
	}
	items := ddb.items
	types3 := []string{"branch:ACTIVE", "branch:version:" + active.Version, "beacon:ACTIVE"}
	for _, typ := range types3 {
		if items[[2]string{id, typ}] == nil {
			f.Fatalf("no item %q", typ)
		}
	}

	f.Add(uint8(0), []byte{})
	f.Add(uint8(1), []byte{6, 2, 1, '2'})                                    // hierarchy-version 2
	f.Add(uint8(0), []byte{2, 1, 5, 'b', 'r', 'a', 'n', 'c'})                // bad version
	f.Add(uint8(2), []byte{3, 1, 1, 'x'})                                    // enc as a string
	f.Add(uint8(1), []byte{9, 1, 1, 'y', 3, 'n', 'e', 'w'})                  // new attribute
	f.Add(uint8(0), []byte{4, 7, 1, 'x', 8, 1, 0, 9, 0, 0, 0})               // kms-arn longer, tablename
	f.Add(uint8(1), []byte{0, 1, 8, 'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'}) // same branch-key-id
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := types3[int(which)%len(types3)]
		item := maps.Clone(items[[2]string{id, typ}])
		editItem(item, data)
		d := newFakeDDB("branch-keys")
		d.items[[2]string{id, typ}] = item
		c := cfg
		c.DynamoDB = d
		s, err := keystore.New(c)
		if err != nil {
			t.Fatal(err)
		}
		var key []byte
		var want []byte
		switch which % 3 {
		case 0:
			var m hierarchy.BranchKeyMaterials
			m, err = s.GetActiveBranchKey(ctx, id)
			if err == nil && m.Version != active.Version {
				t.Fatalf("active version %s, created %s", m.Version, active.Version)
			}
			key, want = m.Key, active.Key
		case 1:
			var m hierarchy.BranchKeyMaterials
			m, err = s.GetBranchKeyVersion(ctx, id, active.Version)
			key, want = m.Key, active.Key
		case 2:
			var m keystore.BeaconKeyMaterials
			m, err = s.GetBeaconKey(ctx, id)
			key, want = m.Key, beacon.Key
		}
		if err != nil {
			for _, e := range []error{keystore.ErrMalformedItem, keystore.ErrHierarchyVersion, keystore.ErrKMSKeyMismatch, keystore.ErrKMS, keystore.ErrNotFound} {
				if errors.Is(err, e) {
					if msg := err.Error(); strings.Contains(msg, string(want)) || strings.Contains(msg, fmt.Sprintf("%x", want)) {
						t.Fatalf("error shows the key: %v", err)
					}
					return
				}
			}
			t.Fatalf("%s: unexpected error %v", typ, err)
		}
		if !bytes.Equal(key, want) {
			t.Fatalf("%s: read a key that was not created", typ)
		}
	})
}
