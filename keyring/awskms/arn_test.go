package awskms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/keyring/awskms"
)

func TestParseARN(t *testing.T) {
	a, err := awskms.ParseARN("arn:aws-cn:kms:cn-north-1:123456789012:alias/a/b/c")
	if err != nil {
		t.Fatal(err)
	}
	want := awskms.ARN{Partition: "aws-cn", Service: "kms", Region: "cn-north-1", AccountID: "123456789012", ResourceType: "alias", ResourceID: "a/b/c"}
	if a != want || a.String() != "arn:aws-cn:kms:cn-north-1:123456789012:alias/a/b/c" {
		t.Fatalf("got %+v", a)
	}
	for _, bad := range []string{
		"",
		"2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c",
		"alias/foo",
		"arn:aws:kms:us-west-2:111122223333",
		"arn:aws:kms:us-west-2:111122223333:key/a:b",
		"arn::kms:us-west-2:111122223333:key/a",
		"arn:aws:s3:us-west-2:111122223333:key/a",
		"arn:aws:kms::111122223333:key/a",
		"arn:aws:kms:us-west-2::key/a",
		"arn:aws:kms:us-west-2:111122223333:key/",
		"arn:aws:kms:us-west-2:111122223333:key",
		"arn:aws:kms:us-west-2:111122223333:grant/a",
		"arn:aws:kms:us-west-2:111122223333:key/\u00e9",
		"ARN:aws:kms:us-west-2:111122223333:key/a",
		"arn:aws:kms:us-west-2:111122223333:key/" + strings.Repeat("a", 2048),
	} {
		if _, err := awskms.ParseARN(bad); err == nil {
			t.Errorf("ParseARN(%q) succeeded", bad)
		}
	}
}

func TestIsMRK(t *testing.T) {
	for id, want := range map[string]bool{
		mrkWest: true,
		keyA:    false,
		"mrk-1": true,
		"arn:aws:kms:us-west-2:111122223333:alias/mrk-1": false,
		"alias/mrk-1":                        false,
		"arn:aws:kms:us-west-2:1:key/mrk-1":  true,
		"arn:aws:kms:us-west-2:1:key/xmrk-1": false,
		"arn:bad:mrk-1":                      false,
		keyAID:                               false,
	} {
		if got := awskms.IsMRK(id); got != want {
			t.Errorf("IsMRK(%q) = %v", id, got)
		}
	}
}

func TestMRKMatch(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{mrkWest, mrkEast, true},
		{mrkEast, mrkWest, true},
		{mrkWest, mrkWest, true},
		{keyA, keyA, true},
		{"mrk-1", "mrk-1", true},
		{"mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0", mrkWest, false},
		{strings.Replace(keyA, "us-west-2", "us-east-1", 1), keyA, false}, // not MRKs
		{mrkWest, strings.Replace(mrkEast, "111122223333", "444455556666", 1), false},
		{mrkWest, strings.Replace(mrkEast, "arn:aws:", "arn:aws-cn:", 1), false},
		{mrkWest, strings.Replace(mrkEast, "mrk-5f", "mrk-6f", 1), false},
		{"arn:aws:kms:us-west-2:111122223333:alias/mrk-1", "arn:aws:kms:us-east-1:111122223333:alias/mrk-1", false},
	} {
		if got := awskms.MRKMatch(c.a, c.b); got != c.want {
			t.Errorf("MRKMatch(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestConstructorsCheckConfig(t *testing.T) {
	var fake fakeClient
	for _, id := range []string{"", "alias/", "arn:aws:kms:us-west-2:1:key/", "a b", "x:y", "k\u00e9y"} {
		if _, err := awskms.NewKeyring(&fake, id); err == nil {
			t.Errorf("NewKeyring(%q) succeeded", id)
		}
		if _, err := awskms.NewMRKKeyring(&fake, id); err == nil {
			t.Errorf("NewMRKKeyring(%q) succeeded", id)
		}
	}
	for _, id := range []string{keyA, aliasA, keyAID, "arn:aws:kms:us-west-2:111122223333:alias/esdk-test", "mrk-1"} {
		if _, err := awskms.NewKeyring(&fake, id); err != nil {
			t.Errorf("NewKeyring(%q): %v", id, err)
		}
	}
	if _, err := awskms.NewKeyring(nil, keyA); err == nil {
		t.Error("NewKeyring accepted a nil client")
	}
	for _, f := range []*awskms.DiscoveryFilter{{}, {Partition: "aws"}, {AccountIDs: []string{"1"}}, {Partition: "aws", AccountIDs: []string{""}}} {
		if _, err := awskms.NewDiscoveryKeyring(&fake, f); err == nil {
			t.Errorf("NewDiscoveryKeyring accepted filter %+v", f)
		}
	}
	if _, err := awskms.NewMRKDiscoveryKeyring(&fake, "", nil); err == nil {
		t.Error("NewMRKDiscoveryKeyring accepted an empty region")
	}
	sup := awskms.ClientSupplierFunc(func(context.Context, string) (awskms.Client, error) { return &fake, nil })
	if _, err := awskms.NewStrictMultiKeyring(sup, "", nil); err == nil {
		t.Error("NewStrictMultiKeyring accepted no keys")
	}
	if _, err := awskms.NewStrictMultiKeyring(nil, keyA, nil); err == nil {
		t.Error("NewStrictMultiKeyring accepted a nil supplier")
	}
	if _, err := awskms.NewStrictMultiKeyring(sup, keyA, []string{"alias/"}); err == nil {
		t.Error("NewStrictMultiKeyring accepted an invalid key")
	}
	if _, err := awskms.NewDiscoveryMultiKeyring(sup, nil, nil); err == nil {
		t.Error("NewDiscoveryMultiKeyring accepted no regions")
	}
	if _, err := awskms.NewMRKDiscoveryMultiKeyring(sup, []string{"us-west-2", ""}, nil); err == nil {
		t.Error("NewMRKDiscoveryMultiKeyring accepted an empty region")
	}
}

func TestDuplicateMRKsRejected(t *testing.T) {
	sup := awskms.ClientSupplierFunc(func(context.Context, string) (awskms.Client, error) { return &fakeClient{}, nil })
	_, err := awskms.NewMRKMultiKeyring(sup, mrkEast, []string{keyA, mrkWest})
	if err == nil {
		t.Fatal("duplicate MRK accepted")
	}
	if msg := err.Error(); !strings.Contains(msg, mrkEast) || !strings.Contains(msg, mrkWest) || strings.Contains(msg, keyA) {
		t.Fatalf("error does not list exactly the duplicates: %v", err)
	}
	if _, err := awskms.NewMRKMultiKeyring(sup, "", []string{"mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0", mrkWest}); err == nil {
		t.Fatal("duplicate MRK (key ID and ARN) accepted")
	}
	if _, err := awskms.NewMRKMultiKeyring(sup, mrkEast, []string{mrkEast}); err == nil {
		t.Fatal("repeated MRK accepted")
	}
	if _, err := awskms.NewMRKMultiKeyring(sup, mrkEast, []string{keyA, keyB, "arn:aws:kms:us-west-2:111122223333:alias/mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0"}); err != nil {
		t.Fatalf("distinct keys rejected: %v", err)
	}
	// The strict (non-MRK) helper does not check.
	if _, err := awskms.NewStrictMultiKeyring(sup, mrkEast, []string{mrkWest}); err != nil {
		t.Fatal(err)
	}
}
