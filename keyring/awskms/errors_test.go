package awskms_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// TestKMSErrors checks that the exceptions of KMS reach the caller as a
// *awskms.KMSError naming the operation and key, wrapping the SDK's typed
// error, and aggregated per key in a NoDecryptableKeyError on decrypt.
func TestKMSErrors(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	missing := "arn:aws:kms:us-west-2:111122223333:key/00000000-0000-0000-0000-000000000000"
	var ke *awskms.KMSError
	var nf *types.NotFoundException
	_, err := must(awskms.NewKeyring(w.client(t, "us-west-2"), missing)).OnEncrypt(ctx, encMaterials(t))
	if !errors.As(err, &ke) || ke.Op != "GenerateDataKey" || ke.KeyID != missing || !errors.As(err, &nf) {
		t.Fatalf("GenerateDataKey with a missing key: %v", err)
	}
	m := encrypt(t, must(awskms.NewKeyring(w.client(t, "us-west-2"), keyA)))
	_, err = must(awskms.NewStrictMultiKeyring(w.sup, "", []string{missing})).OnEncrypt(ctx, m)
	if !errors.As(err, &ke) || ke.Op != "Encrypt" || ke.KeyID != missing || !errors.As(err, &nf) {
		t.Fatalf("Encrypt with a missing key: %v", err)
	}

	// Two encrypted data keys, one with a damaged ciphertext: the keyring
	// of both keys decrypts with the good one and reports nothing.
	em := encrypt(t, must(awskms.NewStrictMultiKeyring(w.sup, keyA, []string{keyB})))
	bad := slices.Clone(em.EncryptedDataKeys)
	bad[0].Ciphertext = slices.Clone(bad[0].Ciphertext)
	bad[0].Ciphertext[len(bad[0].Ciphertext)-1] ^= 1
	w.reset()
	two := must(awskms.NewStrictMultiKeyring(w.sup, keyA, []string{keyB}))
	if dm, err := two.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), bad); err != nil || string(dm.DataKey.ProviderInfo) != keyB {
		t.Fatalf("decrypt past a damaged key: %v", err)
	}
	if w.decrypts(keyA) != 1 || w.decrypts(keyB) != 1 {
		t.Fatalf("calls: %+v", w.west.Calls())
	}
	// Both damaged: both failures are reported, each with its key.
	bad[1].Ciphertext = slices.Clone(bad[1].Ciphertext)
	bad[1].Ciphertext[len(bad[1].Ciphertext)-1] ^= 1
	_, err = two.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), bad)
	var nd *materials.NoDecryptableKeyError
	var ice *types.InvalidCiphertextException
	if !errors.As(err, &nd) || len(nd.Errs) != 2 || !errors.As(nd.Errs[0], &ice) || !errors.As(nd.Errs[1], &ke) || ke.KeyID != keyB {
		t.Fatalf("both damaged: %v", err)
	}
	for _, want := range []string{keyA, keyB, "Decrypt", "InvalidCiphertextException"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}

	// A region without a server fails every request, without a panic.
	_, err = must(awskms.NewKeyring(w.client(t, "ap-south-1"), "arn:aws:kms:ap-south-1:111122223333:key/x")).OnEncrypt(ctx, encMaterials(t))
	if err == nil || !strings.Contains(err.Error(), "no server for region") {
		t.Fatalf("unknown region: %v", err)
	}
}

// TestCancelledContextNoRequests checks that no request is sent with a
// context that is already done.
func TestCancelledContextNoRequests(t *testing.T) {
	w := newWorld(t)
	kr := must(awskms.NewStrictMultiKeyring(w.sup, keyA, []string{keyB}))
	em := encrypt(t, kr)
	w.reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kr.OnEncrypt(ctx, encMaterials(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("OnEncrypt: %v", err)
	}
	for _, kr := range []materials.Keyring{kr, must(awskms.NewDiscoveryKeyring(w.client(t, "us-west-2"), nil)), must(awskms.NewMRKDiscoveryMultiKeyring(w.sup, []string{"us-west-2"}, nil))} {
		if _, err := kr.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys); !errors.Is(err, context.Canceled) {
			t.Fatalf("%v: OnDecrypt: %v", kr, err)
		}
	}
	if n := len(w.west.Calls()); n != 0 {
		t.Fatalf("%d requests with a cancelled context", n)
	}
}

// TestGrantTokensEveryOperation checks that the grant tokens of a keyring
// are sent with each of its requests, for every kind of keyring.
func TestGrantTokensEveryOperation(t *testing.T) {
	w := newWorld(t)
	g := awskms.WithGrantTokens("gt-1")
	em := encrypt(t, must(awskms.NewStrictMultiKeyring(w.sup, keyA, []string{keyB}, g)))
	mustDecrypt(t, must(awskms.NewMRKKeyring(w.client(t, "us-west-2"), keyA, g)), em)
	mustDecrypt(t, must(awskms.NewDiscoveryKeyring(w.client(t, "us-west-2"), nil, g)), em)
	mustDecrypt(t, must(awskms.NewMRKDiscoveryKeyring(w.client(t, "us-west-2"), "us-west-2", nil, g)), em)
	mustDecrypt(t, must(awskms.NewDiscoveryMultiKeyring(w.sup, []string{"us-west-2"}, nil, g)), em)
	calls := w.west.Calls()
	if len(calls) != 6 {
		t.Fatalf("calls: %+v", calls)
	}
	for _, c := range calls {
		if !slices.Equal(c.GrantTokens, []string{"gt-1"}) {
			t.Fatalf("%s %s sent grant tokens %q", c.Op, c.KeyID, c.GrantTokens)
		}
	}
}
