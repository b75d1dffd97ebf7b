package keyconf

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

func TestParseKMSSpec(t *testing.T) {
	specs, warnings, err := ParseWrappingKeys([][]string{
		{"key=arn:aws:kms:us-east-1:111122223333:key/a", "key=alias/b", "region=us-east-1", "profile=p", "grant_tokens=x", "grant_tokens=y"},
		{"provider=aws-kms", "discovery=Yes", "discovery-account=1", "discovery-account=2", "discovery-partition=aws"},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	k0, k1 := specs[0].kms, specs[1].kms
	if !k0.Primary || k1.Primary || !k0.Decrypt || k0.Region != "us-east-1" || k0.Profile != "p" || len(k0.Keys) != 2 || !slices.Equal(k0.GrantTokens, []string{"x", "y"}) {
		t.Fatalf("%+v", k0)
	}
	if !k1.Discovery || !slices.Equal(k1.DiscoveryAccounts, []string{"1", "2"}) || k1.DiscoveryPartition != "aws" {
		t.Fatalf("%+v", k1)
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, "key=alias/b: when decrypting") {
		t.Fatalf("warnings: %q", warnings)
	}
	// Unknown attributes fail, as they make the Python provider fail;
	// region_names= is the Python provider's own name for region=.
	// (reported by kmsKeyring, with exit status 1, as Python finds them
	// when it builds the provider).
	specs, _, err = ParseWrappingKeys([][]string{{"key=k", "grant-token=x"}}, false)
	if err != nil || specs[0].kms.buildErr == nil || !strings.Contains(specs[0].kms.buildErr.Error(), `unknown AWS KMS attribute "grant-token"`) {
		t.Fatalf("unknown attribute: %v %+v", err, specs[0].kms)
	}
	specs, _, err = ParseWrappingKeys([][]string{{"key=k", "region_names=eu-west-1", "region_names=us-east-1"}}, false)
	if err != nil || specs[0].kms.Region != "eu-west-1" {
		t.Fatalf("region_names: %v %+v", err, specs[0].kms)
	}
}

func TestParseCaching(t *testing.T) {
	c, err := ParseCaching([]string{"capacity=10", "max_age=2.5", "max_messages_encrypted=3", "max_bytes_encrypted=1_000", "capacity=99"})
	if err != nil || *c != (Caching{Capacity: 10, MaxAge: 2.5, MaxMessagesEncrypted: 3, MaxBytesEncrypted: 1000}) {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"max_age=1"}, {"capacity=0", "max_age=1"}, {"capacity=1", "max_age=nan"}, {"capacity=1", "max_age=1", "x=1"}, {"capacity"}} {
		if _, err := ParseCaching(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRawKeys(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	if k, err := parseAESKey(key); err != nil || string(k) != string(key) {
		t.Fatal("raw key")
	}
	if _, err := parseAESKey([]byte("0123456789abcdef0123456789abcdef")); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("32 base64 characters: %v", err)
	}
	if _, _, err := parseRSAKey([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")); err == nil {
		t.Fatal("junk PEM accepted")
	}
}

// fakeGroup is a registered provider's group.
type fakeGroup struct{ kv KV }

func (g fakeGroup) String() string { return "fake " + g.kv["key"][0] }

func (g fakeGroup) Keyring(context.Context, bool, func(string)) (materials.Keyring, error) {
	return keyring.NewRawAES("fake-ns", g.kv["key"][0], make([]byte, 32))
}

func TestRegisterProvider(t *testing.T) {
	RegisterProvider("test-fake", func(kv KV, decrypt bool) (Group, error) {
		if !kv.has("key") {
			return nil, clierr.Usagef("provider=test-fake needs key=")
		}
		return fakeGroup{kv}, nil
	})
	t.Cleanup(func() { // registration is for the life of a process: undo it for -count
		extraMu.Lock()
		delete(extraProviders, "test-fake")
		extraMu.Unlock()
	})
	specs, _, err := ParseWrappingKeys([][]string{{"provider=test-fake", "key=k1"}, {"provider=test-fake", "key=k2"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if specs[0].String() != "fake k1" {
		t.Errorf("String: %q", specs[0].String())
	}
	kr, err := BuildKeyring(context.Background(), specs, false, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kr.(*keyring.Multi); !ok {
		t.Errorf("two groups made a %T, want a multi-keyring", kr)
	}
	if _, _, err := ParseWrappingKeys([][]string{{"provider=test-fake"}}, false); err == nil || !clierr.IsUsage(err) {
		t.Errorf("the provider's own check: %v", err)
	}
	_, _, err = ParseWrappingKeys([][]string{{"provider=nope", "key=k"}}, false)
	if !strings.Contains(clierr.Hint(err), "test-fake") {
		t.Errorf("unknown provider: hint %q does not list the registered provider", clierr.Hint(err))
	}
	for _, name := range []string{"raw-aes", "test-fake", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registering %q did not panic", name)
				}
			}()
			RegisterProvider(name, func(KV, bool) (Group, error) { return nil, nil })
		}()
	}
}
