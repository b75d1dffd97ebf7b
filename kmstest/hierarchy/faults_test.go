package hierarchy_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/keystore"
	"github.com/go-esdk/esdk/kmstest/moto"
)

// TestFaults: each bad item or failing service gives a clear error that
// wraps the package's sentinel, and nothing from a failed read is cached:
// once the fault is gone the next message reads the store again and
// succeeds.
func TestFaults(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	otherKey, err := w.srv.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		store       func(w *world) *keystore.Store // nil: w.store
		break_, fix func(w *world, id string, active map[string]types.AttributeValue)
		want        error
	}{
		{name: "missing item", want: keystore.ErrNotFound,
			break_: func(w *world, id string, _ map[string]types.AttributeValue) {
				w.ddb.DeleteItem(ctx, key(w, id))
			},
			fix: func(w *world, id string, active map[string]types.AttributeValue) { w.putItem(t, active) }},
		{name: "malformed item (enc is a string)", want: keystore.ErrMalformedItem,
			break_: func(w *world, id string, active map[string]types.AttributeValue) {
				bad := maps.Clone(active)
				bad["enc"] = &types.AttributeValueMemberS{Value: "not binary"}
				w.putItem(t, bad)
			},
			fix: func(w *world, id string, active map[string]types.AttributeValue) { w.putItem(t, active) }},
		{name: "hierarchy-version 2", want: keystore.ErrHierarchyVersion,
			break_: func(w *world, id string, active map[string]types.AttributeValue) {
				bad := maps.Clone(active)
				bad["hierarchy-version"] = &types.AttributeValueMemberN{Value: "2"}
				w.putItem(t, bad)
			},
			fix: func(w *world, id string, active map[string]types.AttributeValue) { w.putItem(t, active) }},
		{name: "item's KMS key is not the configured one", want: keystore.ErrKMSKeyMismatch,
			break_: func(w *world, id string, active map[string]types.AttributeValue) {
				bad := maps.Clone(active)
				bad["kms-arn"] = &types.AttributeValueMemberS{Value: otherKey}
				w.putItem(t, bad)
			},
			fix: func(w *world, id string, active map[string]types.AttributeValue) { w.putItem(t, active) }},
		{name: "item attribute changed (KMS refuses the context)", want: keystore.ErrKMS,
			break_: func(w *world, id string, active map[string]types.AttributeValue) {
				bad := maps.Clone(active)
				bad["create-time"] = &types.AttributeValueMemberS{Value: "2001-01-01T00:00:00.000000Z"}
				w.putItem(t, bad)
			},
			fix: func(w *world, id string, active map[string]types.AttributeValue) { w.putItem(t, active) }},
		{name: "KMS refuses (access denied)", want: keystore.ErrKMS,
			break_: func(w *world, _ string, _ map[string]types.AttributeValue) {
				w.srv.Fail(moto.KMSDecrypt, 1000, "AccessDeniedException")
			},
			fix: func(w *world, _ string, _ map[string]types.AttributeValue) { w.srv.Fail(moto.KMSDecrypt, 0, "") }},
		{name: "DynamoDB throttling beyond the retries", want: keystore.ErrDynamoDB,
			break_: func(w *world, _ string, _ map[string]types.AttributeValue) { w.srv.Throttle(moto.GetItem, 1000) },
			fix:    func(w *world, _ string, _ map[string]types.AttributeValue) { w.srv.Throttle(moto.GetItem, 0) }},
		{name: "KMS throttling beyond the retries", want: keystore.ErrKMS,
			break_: func(w *world, _ string, _ map[string]types.AttributeValue) { w.srv.Throttle(moto.KMSDecrypt, 1000) },
			fix:    func(w *world, _ string, _ map[string]types.AttributeValue) { w.srv.Throttle(moto.KMSDecrypt, 0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := w.store.CreateKey(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			active := w.item(t, id, "branch:ACTIVE")
			kr := keyring(t, w.store, id, hierarchy.Config{TTL: time.Hour})
			c.break_(w, id, active)
			w.srv.ResetCounts()
			_, err = encryptsdk.New(kr).EncryptBytes(ctx, []byte("x"), nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("encrypt: %v, want %v", err, c.want)
			}
			t.Logf("error: %v", err)
			if g := w.srv.Count(moto.GetItem); g < 1 || g > 4 {
				t.Errorf("%d GetItem requests, want 1 to 4 (bounded retries)", g)
			}
			c.fix(w, id, active)
			w.srv.ResetCounts()
			if _, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("x"), nil); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
			if g, d := w.srv.Count(moto.GetItem), w.srv.Count(moto.KMSDecrypt); g != 1 || d != 1 {
				t.Errorf("after the fault: %d GetItem, %d KMS Decrypt; want 1 and 1 (nothing cached from the failure)", g, d)
			}
		})
	}
}

func key(w *world, id string) *dynamodb.DeleteItemInput {
	return &dynamodb.DeleteItemInput{TableName: aws.String(w.table), Key: map[string]types.AttributeValue{
		"branch-key-id": &types.AttributeValueMemberS{Value: id}, "type": &types.AttributeValueMemberS{Value: "branch:ACTIVE"}}}
}

// TestThrottlingRetried: throttled GetItem and KMS Decrypt requests are
// retried with backoff, a bounded number of times (the AWS SDK's standard
// retryer: 4 attempts for DynamoDB, 3 for AWS KMS).
func TestThrottlingRetried(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id, err := w.store.CreateKey(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.ResetCounts()
	w.srv.Throttle(moto.GetItem, 2)
	w.srv.Throttle(moto.KMSDecrypt, 2)
	start := time.Now()
	if _, err := w.store.GetActiveBranchKey(ctx, id); err != nil {
		t.Fatalf("two throttled attempts then success: %v", err)
	}
	if g, d := w.srv.Count(moto.GetItem), w.srv.Count(moto.KMSDecrypt); g != 3 || d != 3 {
		t.Errorf("%d GetItem, %d KMS Decrypt requests; want 3 and 3", g, d)
	}
	t.Logf("2 throttled GetItem + 2 throttled Decrypt, then success, in %v", time.Since(start))
	w.srv.ResetCounts()
	w.srv.Throttle(moto.GetItem, 1000)
	_, err = w.store.GetActiveBranchKey(ctx, id)
	var pt *types.ProvisionedThroughputExceededException
	if !errors.Is(err, keystore.ErrDynamoDB) || !errors.As(err, &pt) {
		t.Errorf("always throttled: %v, want ErrDynamoDB wrapping ProvisionedThroughputExceededException", err)
	}
	if g := w.srv.Count(moto.GetItem); g != 4 {
		t.Errorf("always throttled: %d GetItem attempts, want 4", g)
	}
	w.srv.ResetCounts()
	w.srv.Throttle(moto.GetItem, 0)
	w.srv.Throttle(moto.KMSDecrypt, 1000)
	_, err = w.store.GetActiveBranchKey(ctx, id)
	if !errors.Is(err, keystore.ErrKMS) {
		t.Errorf("KMS always throttled: %v, want ErrKMS", err)
	}
	if d := w.srv.Count(moto.KMSDecrypt); d != 3 {
		t.Errorf("KMS always throttled: %d Decrypt attempts, want 3", d)
	}
}
