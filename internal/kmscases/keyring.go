package kmscases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

func testOneKeyRoundTrip(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	kr, err := awskms.NewKeyring(w.Client(t, "us-west-2"), keyA, awskms.WithGrantTokens("grant-1", "grant-2"))
	if err != nil {
		t.Fatal(err)
	}
	em := Encrypt(t, kr)
	if len(em.EncryptedDataKeys) != 1 {
		t.Fatalf("%d encrypted data keys", len(em.EncryptedDataKeys))
	}
	edk := em.EncryptedDataKeys[0]
	if edk.ProviderID != "aws-kms" || string(edk.ProviderInfo) != keyA || len(edk.Ciphertext) == 0 {
		t.Fatalf("encrypted data key %q %q", edk.ProviderID, edk.ProviderInfo)
	}
	dm := MustDecrypt(t, kr, em)
	if string(dm.DataKey.ProviderInfo) != keyA {
		t.Fatalf("DataKey = %q", dm.DataKey.ProviderInfo)
	}
	calls := w.West.Calls()
	if len(calls) != 2 || calls[0].Op != "GenerateDataKey" || calls[0].KeyID != keyA || calls[1].Op != "Decrypt" || calls[1].KeyID != keyA {
		t.Fatalf("calls: %+v", calls)
	}
	for _, c := range calls {
		if !slices.Equal(c.GrantTokens, []string{"grant-1", "grant-2"}) {
			t.Fatalf("%s sent grant tokens %q", c.Op, c.GrantTokens)
		}
	}
	if n := len(w.East.Calls()); n != 0 {
		t.Fatalf("%d calls to us-east-1", n)
	}
	// The same key by its MRK-aware keyring (it is not an MRK).
	MustDecrypt(t, must(awskms.NewMRKKeyring(w.Client(t, "us-west-2"), keyA)), em)
}

func testGeneratorAndKeys(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	kr, err := awskms.NewStrictMultiKeyring(w.Supplier, keyA, []string{keyB, keyC, mrkEast})
	if err != nil {
		t.Fatal(err)
	}
	em := Encrypt(t, kr)
	if got := infos(em); !slices.Equal(got, []string{keyA, keyB, keyC, mrkEast}) {
		t.Fatalf("provider infos %q", got)
	}
	if w.West.Count("GenerateDataKey", keyA) != 1 || w.West.Count("Encrypt", keyB) != 1 || w.East.Count("Encrypt", keyC) != 1 || w.East.Count("Encrypt", mrkEast) != 1 {
		t.Fatalf("calls: west %+v, east %+v", w.West.Calls(), w.East.Calls())
	}
	// Each key alone decrypts, and only its own key is sent to KMS.
	for _, key := range []string{keyA, keyB, keyC, mrkEast} {
		w.Reset()
		region := strings.Split(key, ":")[3]
		MustDecrypt(t, must(awskms.NewKeyring(w.Client(t, region), key)), em)
		if w.Decrypts(key) != 1 || w.Decrypts("") != 1 {
			t.Fatalf("decrypting with %s: west %+v, east %+v", key, w.West.Calls(), w.East.Calls())
		}
	}
	// The multi-keyring decrypts with its generator first.
	w.Reset()
	MustDecrypt(t, kr, em)
	if w.Decrypts(keyA) != 1 || w.Decrypts("") != 1 {
		t.Fatalf("calls: %+v", w.West.Calls())
	}
	// A multi-keyring without a generator decrypts with its first key that
	// works, and wraps a data key made elsewhere.
	w.Reset()
	noGen := must(awskms.NewStrictMultiKeyring(w.Supplier, "", []string{keyC, keyB}))
	MustDecrypt(t, noGen, em)
	if w.Decrypts(keyC) != 1 || w.Decrypts(keyB) != 0 {
		t.Fatalf("calls: west %+v, east %+v", w.West.Calls(), w.East.Calls())
	}
	m2, err := noGen.OnEncrypt(context.Background(), em)
	if err != nil || len(m2.EncryptedDataKeys) != 6 {
		t.Fatalf("wrap existing data key: %v, %d keys", err, len(m2.EncryptedDataKeys))
	}
}

func testAliasAndKeyIDOnEncrypt(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	west := w.Client(t, "us-west-2")
	for _, id := range []string{aliasA, "arn:aws:kms:us-west-2:111122223333:alias/esdk-test", keyAID} {
		t.Run(id, func(t *testing.T) {
			kr := must(awskms.NewKeyring(west, id))
			em := Encrypt(t, kr)
			if got := infos(em); !slices.Equal(got, []string{keyA}) {
				t.Fatalf("provider infos %q; want the key ARN", got)
			}
			// The same keyring cannot decrypt, and says why.
			w.Reset()
			_, err := kr.OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
			if !errors.Is(err, awskms.ErrDecryptNeedsKeyARN) {
				t.Fatalf("got %v", err)
			}
			if msg := err.Error(); !strings.Contains(msg, id) || !strings.Contains(msg, keyA) || !strings.Contains(msg, "key ARN") {
				t.Fatalf("unhelpful error: %s", msg)
			}
			if n := w.Decrypts(""); n != 0 {
				t.Fatalf("%d Decrypt calls", n)
			}
			// Also through a multi-keyring.
			mk := must(awskms.NewStrictMultiKeyring(w.Supplier, id, nil))
			if _, err := mk.OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys); !errors.Is(err, awskms.ErrDecryptNeedsKeyARN) {
				t.Fatalf("multi-keyring: got %v", err)
			}
			// The key ARN decrypts.
			MustDecrypt(t, must(awskms.NewKeyring(west, keyA)), em)
		})
	}
	// A non-ARN identifier in a multi-keyring uses the supplier's default
	// region.
	cfgDefault := w.Supplier // no default region
	if _, err := must(awskms.NewStrictMultiKeyring(cfgDefault, aliasA, nil)).OnEncrypt(context.Background(), EncMaterials(t)); err == nil || !strings.Contains(err.Error(), "region") {
		t.Fatalf("alias without a default region: %v", err)
	}
}

func testWrongEncryptionContext(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	kr := must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyA))
	em := Encrypt(t, kr)
	for _, ec := range []materials.EncryptionContext{
		{"purpose": "test", "tenant": "43"},
		{"purpose": "test"},
		{"purpose": "test", "tenant": "42", "extra": "x"},
		nil,
	} {
		_, err := kr.OnDecrypt(context.Background(), DecMaterials(t, ec), em.EncryptedDataKeys)
		var nd *materials.NoDecryptableKeyError
		var ke *awskms.KMSError
		var ice *types.InvalidCiphertextException
		if !errors.As(err, &nd) || len(nd.Errs) != 1 || !errors.As(err, &ke) || ke.Op != "Decrypt" || ke.KeyID != keyA || !errors.As(err, &ice) {
			t.Fatalf("context %v: got %v", ec, err)
		}
	}
}

func testKeyNotInKeyringNeverCalled(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	em := Encrypt(t, must(awskms.NewStrictMultiKeyring(w.Supplier, keyA, []string{keyB})))
	w.Reset()
	for _, kr := range []materials.Keyring{
		must(awskms.NewKeyring(w.Client(t, "us-east-1"), keyC)),
		must(awskms.NewMRKKeyring(w.Client(t, "us-west-2"), mrkWest)),
		must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyD)),
	} {
		_, err := kr.OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) || len(nd.Errs) != 0 || !strings.Contains(err.Error(), keyA) {
			t.Fatalf("%v: got %v", kr, err)
		}
	}
	if n := w.Decrypts(""); n != 0 {
		t.Fatalf("%d Decrypt calls", n)
	}
	// With keys A and B in the message, B's keyring calls KMS for B only.
	MustDecrypt(t, must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyB)), em)
	if w.Decrypts(keyA) != 0 || w.Decrypts(keyB) != 1 {
		t.Fatalf("calls: %+v", w.West.Calls())
	}
}

func testDiscovery(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	west := w.Client(t, "us-west-2")
	em := Encrypt(t, must(awskms.NewStrictMultiKeyring(w.Supplier, keyA, []string{keyD})))

	MustDecrypt(t, must(awskms.NewDiscoveryKeyring(west, nil)), em)
	if w.Decrypts(keyA) != 1 || w.Decrypts("") != 1 {
		t.Fatalf("calls: %+v", w.West.Calls())
	}

	w.Reset()
	only444 := &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"444455556666"}}
	dm := MustDecrypt(t, must(awskms.NewDiscoveryKeyring(west, only444)), em)
	if string(dm.DataKey.ProviderInfo) != keyD || w.Decrypts(keyA) != 0 || w.Decrypts(keyD) != 1 {
		t.Fatalf("calls: %+v", w.West.Calls())
	}

	for _, f := range []*awskms.DiscoveryFilter{
		{Partition: "aws", AccountIDs: []string{"999999999999"}},
		{Partition: "aws-cn", AccountIDs: []string{"111122223333", "444455556666"}},
	} {
		w.Reset()
		_, err := must(awskms.NewDiscoveryKeyring(west, f)).OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) || len(nd.Errs) != 0 {
			t.Fatalf("filter %+v: got %v", f, err)
		}
		if n := w.Decrypts(""); n != 0 {
			t.Fatalf("filter %+v: %d Decrypt calls", f, n)
		}
	}

	// A message whose first key is in another region: the discovery
	// multi-keyring decrypts it in that region and never asks us-west-2.
	em2 := Encrypt(t, must(awskms.NewStrictMultiKeyring(w.Supplier, keyC, nil)))
	w.Reset()
	dk := must(awskms.NewDiscoveryMultiKeyring(w.Supplier, []string{"us-west-2", "us-east-1"}, &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"111122223333"}}))
	MustDecrypt(t, dk, em2)
	if len(w.West.Calls()) != 0 || w.East.Count("Decrypt", keyC) != 1 {
		t.Fatalf("calls: west %+v, east %+v", w.West.Calls(), w.East.Calls())
	}
	// Discovery keyrings cannot encrypt, even a data key made elsewhere.
	m := EncMaterials(t)
	m.PlaintextDataKey = make([]byte, 32)
	if _, err := dk.OnEncrypt(context.Background(), m); !errors.Is(err, materials.ErrEncryptNotSupported) {
		t.Fatalf("OnEncrypt: %v", err)
	}
}

func testMRKAcrossRegions(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	east, west := w.Client(t, "us-east-1"), w.Client(t, "us-west-2")
	em := Encrypt(t, must(awskms.NewMRKKeyring(east, mrkEast)))
	if got := infos(em); !slices.Equal(got, []string{mrkEast}) {
		t.Fatalf("provider infos %q", got)
	}

	// The us-west-2 replica decrypts, calling only us-west-2 with its own ARN.
	w.Reset()
	MustDecrypt(t, must(awskms.NewMRKKeyring(west, mrkWest)), em)
	if w.West.Count("Decrypt", mrkWest) != 1 || len(w.East.Calls()) != 0 {
		t.Fatalf("calls: west %+v, east %+v", w.West.Calls(), w.East.Calls())
	}
	// So do the MRK multi-keyring and the MRK discovery keyrings.
	MustDecrypt(t, must(awskms.NewMRKMultiKeyring(w.Supplier, mrkWest, []string{keyB})), em)
	MustDecrypt(t, must(awskms.NewMRKDiscoveryKeyring(west, "us-west-2", nil)), em)
	MustDecrypt(t, must(awskms.NewMRKDiscoveryMultiKeyring(w.Supplier, []string{"us-west-2"}, &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"111122223333"}})), em)
	if n := len(w.East.Calls()); n != 0 {
		t.Fatalf("%d calls to us-east-1", n)
	}

	// The strict keyring with the replica's ARN does not match.
	w.Reset()
	if _, err := must(awskms.NewKeyring(west, mrkWest)).OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys); err == nil {
		t.Fatal("strict keyring decrypted with another region's MRK")
	}
	// An MRK discovery keyring filtered to another account does not call.
	_, err := must(awskms.NewMRKDiscoveryKeyring(west, "us-west-2", &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"444455556666"}})).OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
	if err == nil || w.Decrypts("") != 0 {
		t.Fatalf("filtered MRK discovery: %v, %d calls", err, w.Decrypts(""))
	}

	// A non-MRK key of another region is not used by an MRK discovery
	// keyring: key C (us-east-1) with the us-west-2 keyring.
	emC := Encrypt(t, must(awskms.NewKeyring(east, keyC)))
	w.Reset()
	if _, err := must(awskms.NewMRKDiscoveryKeyring(west, "us-west-2", nil)).OnDecrypt(context.Background(), DecMaterials(t, emC.EncryptionContext), emC.EncryptedDataKeys); err == nil {
		t.Fatal("MRK discovery keyring used a non-MRK key of another region")
	}
	if n := w.Decrypts(""); n != 0 {
		t.Fatalf("%d Decrypt calls", n)
	}
	MustDecrypt(t, must(awskms.NewMRKDiscoveryKeyring(east, "us-east-1", nil)), emC)

	// The MRK discovery keyring refuses a client of another region.
	if _, err := awskms.NewMRKDiscoveryKeyring(east, "us-west-2", nil); err == nil {
		t.Fatal("MRK discovery keyring accepted a us-east-1 client for us-west-2")
	}
}

func testDuplicateMRKConfiguration(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	_, err := awskms.NewMRKMultiKeyring(w.Supplier, mrkWest, []string{keyA, mrkEast})
	if err == nil || !strings.Contains(err.Error(), mrkWest) || !strings.Contains(err.Error(), mrkEast) {
		t.Fatalf("got %v", err)
	}
	if n := len(w.West.Calls()) + len(w.East.Calls()); n != 0 {
		t.Fatalf("%d KMS calls", n)
	}
}

func testConcurrentKeyrings(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	kr := must(awskms.NewStrictMultiKeyring(w.Supplier, keyA, []string{mrkEast}))
	dk := must(awskms.NewMRKDiscoveryMultiKeyring(w.Supplier, []string{"us-east-1", "us-west-2"}, nil))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for range 4 {
				m, err := kr.OnEncrypt(context.Background(), EncMaterials(t))
				if err != nil {
					errs <- err
					return
				}
				var dec materials.Keyring = kr
				if g%2 == 1 {
					dec = dk
				}
				out, err := dec.OnDecrypt(context.Background(), DecMaterials(t, m.EncryptionContext), m.EncryptedDataKeys)
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
					errs <- fmt.Errorf("goroutine %d: wrong data key", g)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
