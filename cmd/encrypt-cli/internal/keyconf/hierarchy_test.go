package keyconf

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
)

func TestParseHierarchySpec(t *testing.T) {
	arn := "arn:aws:kms:us-west-2:111122223333:key/k"
	specs, _, err := ParseWrappingKeys([][]string{{"provider=aws-kms-hierarchy", "branch-key-id=b", "table=t", "kms-key=" + arn, "ttl=30", "region=us-west-2", "logical-name=l"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	h := specs[0].hier
	if h == nil || h.BranchKeyID != "b" || h.KeyStore.Table != "t" || h.KeyStore.KMSKey != arn || h.TTL != 30*time.Second ||
		h.KeyStore.Region != "us-west-2" || h.KeyStore.LogicalName != "l" {
		t.Fatalf("%+v", h)
	}
	specs, _, err = ParseWrappingKeys([][]string{{"provider=aws-kms-hierarchy", "branch-key-id=b", "table=t", "kms-key=" + arn}}, true)
	if err != nil || specs[0].hier.TTL != DefaultHierarchyTTL {
		t.Fatalf("default TTL: %+v, %v", specs, err)
	}
	for _, bad := range []struct{ args, want string }{
		{"table=t kms-key=" + arn, "branch-key-id="},
		{"branch-key-id=b kms-key=" + arn, "table="},
		{"branch-key-id=b table=t", "kms-key="},
		{"branch-key-id=b table=t kms-key=" + arn + " ttl=0", "ttl"},
		{"branch-key-id=b table=t kms-key=" + arn + " ttl=x", "ttl"},
		{"branch-key-id=b branch-key-id=c table=t kms-key=" + arn, "exactly one branch-key-id="},
		{"branch-key-id=b table=t kms-key=" + arn + " key=x", `unknown attribute "key"`},
	} {
		_, _, err := ParseWrappingKeys([][]string{append([]string{"provider=aws-kms-hierarchy"}, strings.Fields(bad.args)...)}, false)
		var ce *clierr.Error
		if err == nil || !strings.Contains(err.Error(), bad.want) || !errors.As(err, &ce) || !ce.Usage {
			t.Errorf("%s: %v, want a usage error naming %q", bad.args, err, bad.want)
		}
	}
}
