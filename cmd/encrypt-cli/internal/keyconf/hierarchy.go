package keyconf

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/keystore"
	"github.com/go-esdk/esdk/materials"
)

// providerHierarchy is the hierarchical keyring's provider name.
const providerHierarchy = "aws-kms-hierarchy"

// DefaultHierarchyTTL is the cache TTL of -w provider=aws-kms-hierarchy
// without ttl=.
const DefaultHierarchyTTL = 10 * time.Minute

// hierSpec is a -w provider=aws-kms-hierarchy group:
//
//	-w provider=aws-kms-hierarchy branch-key-id=ID table=TABLE kms-key=ARN
//	   [logical-name=NAME] [ttl=SECONDS] [region=R] [profile=P]
type hierSpec struct {
	KeyStore    StoreSpec
	BranchKeyID string
	TTL         time.Duration
}

// StoreSpec names a branch key store: its DynamoDB table, logical name
// (default: the table name), AWS KMS key, and the AWS region and profile
// of its clients.
type StoreSpec struct {
	Table, LogicalName, KMSKey string
	Region, Profile            string
}

// Open returns the key store, with clients from the default AWS
// configuration (environment, shared files; AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_KMS are honoured) and the spec's region and profile.
func (s StoreSpec) Open(ctx context.Context, kmsOpts ...func(*kms.Options)) (*keystore.Store, error) {
	cfg, err := loadAWSConfig(ctx, s.Profile, s.Region)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for the key store: %w", err)
	}
	logical := s.LogicalName
	if logical == "" {
		logical = s.Table
	}
	return keystore.New(keystore.Config{TableName: s.Table, LogicalKeyStoreName: logical, KMSKeyARN: s.KMSKey,
		DynamoDB: dynamodb.NewFromConfig(cfg), KMS: kms.NewFromConfig(cfg, kmsOpts...)})
}

const hierUsage = "-w provider=aws-kms-hierarchy branch-key-id=ID table=TABLE kms-key=ARN [logical-name=NAME] [ttl=SECONDS] [region=R] [profile=P]"

func parseHierSpec(kv KV) (*hierSpec, error) {
	one := func(attr string, required bool) (string, error) {
		v := kv[attr]
		switch {
		case len(v) == 0 && required:
			return "", clierr.Usage(fmt.Sprintf("provider=%s needs %s=", providerHierarchy, attr), hierUsage)
		case len(v) > 1:
			return "", clierr.Usage(fmt.Sprintf("provider=%s takes exactly one %s=, %d provided", providerHierarchy, attr, len(v)), hierUsage)
		case len(v) == 0:
			return "", nil
		}
		return v[0], nil
	}
	s := &hierSpec{TTL: DefaultHierarchyTTL}
	var err error
	for _, a := range []struct {
		attr     string
		dst      *string
		required bool
	}{{"branch-key-id", &s.BranchKeyID, true}, {"table", &s.KeyStore.Table, true}, {"kms-key", &s.KeyStore.KMSKey, true},
		{"logical-name", &s.KeyStore.LogicalName, false}, {"region", &s.KeyStore.Region, false}, {"profile", &s.KeyStore.Profile, false}} {
		if *a.dst, err = one(a.attr, a.required); err != nil {
			return nil, err
		}
	}
	ttl, err := one("ttl", false)
	if err != nil {
		return nil, err
	}
	if ttl != "" {
		n, err := strconv.ParseUint(ttl, 10, 32)
		if err != nil || n == 0 {
			return nil, clierr.Usage(fmt.Sprintf("provider=%s: ttl=%q is not a positive number of seconds", providerHierarchy, ttl), hierUsage)
		}
		s.TTL = time.Duration(n) * time.Second
	}
	known := []string{"branch-key-id", "table", "kms-key", "logical-name", "ttl", "region", "profile"}
	for _, k := range sortedKeys(kv) {
		if !contains(known, k) {
			return nil, clierr.Usage(fmt.Sprintf("provider=%s: unknown attribute %q", providerHierarchy, k), "provider="+providerHierarchy+" takes "+strings.Join(known, "=, ")+"=")
		}
	}
	return s, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hierarchyKeyring builds the keyring of a group.
func hierarchyKeyring(ctx context.Context, s *hierSpec, kmsOpts []func(*kms.Options)) (materials.Keyring, error) {
	store, err := s.KeyStore.Open(ctx, kmsOpts...)
	if err != nil {
		return nil, err
	}
	return hierarchy.New(hierarchy.Config{KeyStore: store, BranchKeyID: s.BranchKeyID, TTL: s.TTL})
}
