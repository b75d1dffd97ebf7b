package kmstest_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/go-esdk/esdk/kmstest"
)

func TestServer(t *testing.T) {
	ctx := context.Background()
	s := kmstest.Start(t, "us-west-2", "awskms/testdata/us-west-2.yaml")
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s is not on 127.0.0.1", s.URL)
	}
	c := s.Client()
	ec := map[string]string{"a": "b"}
	out, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String("alias/esdk-test"), NumberOfBytes: aws.Int32(32), EncryptionContext: ec, GrantTokens: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	const keyA = "arn:aws:kms:us-west-2:111122223333:key/2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c"
	if *out.KeyId != keyA || len(out.Plaintext) != 32 {
		t.Fatalf("KeyId %s, %d bytes", *out.KeyId, len(out.Plaintext))
	}
	d, err := c.Decrypt(ctx, &kms.DecryptInput{KeyId: out.KeyId, CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec})
	if err != nil || !bytes.Equal(d.Plaintext, out.Plaintext) {
		t.Fatalf("Decrypt: %v", err)
	}
	// The encryption context and KeyId are enforced.
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{KeyId: out.KeyId, CiphertextBlob: out.CiphertextBlob}); err == nil {
		t.Fatal("Decrypt without the encryption context succeeded")
	}
	const keyB = "arn:aws:kms:us-west-2:111122223333:key/7d9e0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(keyB), CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec}); err == nil {
		t.Fatal("Decrypt with another key succeeded")
	}
	calls := s.Calls()
	if len(calls) != 4 || calls[0].Op != "GenerateDataKey" || calls[0].KeyID != "alias/esdk-test" || len(calls[0].GrantTokens) != 1 || s.Count("Decrypt", "") != 3 || s.Count("Decrypt", keyB) != 1 {
		t.Fatalf("calls %+v", calls)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Fatal("ResetCalls")
	}

	// Interceptors answer instead of local-kms.
	s.SetInterceptor(func(w http.ResponseWriter, r *http.Request, c kmstest.Call) bool {
		kmstest.WriteError(w, http.StatusBadRequest, "DisabledException", "nope")
		return true
	})
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyA), Plaintext: []byte("x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "DisabledException" {
		t.Fatalf("got %v", err)
	}
	s.SetInterceptor(nil)

	// Operations local-kms lacks.
	if _, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(keyA), GranteePrincipal: aws.String("p"), Operations: nil}); err == nil {
		t.Fatal("CreateGrant succeeded")
	}
	s.Close()
	s.Close() // idempotent
}

func TestSeedErrors(t *testing.T) {
	s, err := kmstest.NewServer("eu-west-1", "999988887777")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, bad := range []string{
		"Keys: [",
		"Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: k\n        BackingKeys: [abcd]\n",
		"Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: k\n",
		"Aliases:\n  - AliasName: nope\n    TargetKeyId: k\n",
		"Keyz: {}\n",
	} {
		if err := s.Seed("", []byte(bad)); err == nil {
			t.Errorf("Seed accepted %q", bad)
		}
	}
	arn, err := s.AddKey("k1", bytes.Repeat([]byte{1}, 32))
	if err != nil || arn != "arn:aws:kms:eu-west-1:999988887777:key/k1" {
		t.Fatalf("AddKey: %s, %v", arn, err)
	}
	if _, err := s.AddKey("k1", bytes.Repeat([]byte{2}, 32)); err == nil {
		t.Fatal("AddKey replaced a key")
	}
	if _, err := s.AddKey("k2", []byte{1}); err == nil {
		t.Fatal("AddKey accepted short material")
	}
	seed := "Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: k3\n        BackingKeys: [" + strings.Repeat("ab", 32) + "]\n"
	if err := s.Seed("123412341234", []byte(seed)); err != nil {
		t.Fatal(err)
	}
	out, err := s.Client().Encrypt(context.Background(), &kms.EncryptInput{KeyId: aws.String("arn:aws:kms:eu-west-1:123412341234:key/k3"), Plaintext: []byte("x")})
	if err != nil || *out.KeyId != "arn:aws:kms:eu-west-1:123412341234:key/k3" {
		t.Fatalf("key of another account: %v", err)
	}
}

func TestEndpointsUnknownRegion(t *testing.T) {
	s := kmstest.Start(t, "us-west-2")
	cfg := kmstest.AWSConfig()
	cfg.Region = "eu-north-1"
	c := kms.NewFromConfig(cfg, kmstest.Endpoints(s))
	_, err := c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)})
	if err == nil || !strings.Contains(err.Error(), "no server for region") {
		t.Fatalf("got %v", err)
	}
}
