package awskms_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
)

// block holds matching requests until the client gives up or the server
// closes, as an unresponsive KMS would.
func block(s *kmstest.Server, op, keyID string) {
	s.SetInterceptor(func(w http.ResponseWriter, r *http.Request, c kmstest.Call) bool {
		if (op != "" && c.Op != op) || (keyID != "" && c.KeyID != keyID) {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-s.Done():
		}
		return true
	})
}

func TestKMSErrorsAndTimeoutsAggregate(t *testing.T) {
	w := newWorld(t)
	em := encrypt(t, must(awskms.NewStrictMultiKeyring(w.sup, keyA, []string{keyB, keyC})))

	// A fails with a KMS error, B hangs past the client's HTTP timeout, C
	// (another region) answers.
	w.west.SetInterceptor(func(rw http.ResponseWriter, r *http.Request, c kmstest.Call) bool {
		switch {
		case c.Op == "Decrypt" && c.KeyID == keyA:
			kmstest.WriteError(rw, http.StatusInternalServerError, "KMSInternalException", "simulated failure")
			return true
		case c.Op == "Decrypt" && c.KeyID == keyB:
			select {
			case <-r.Context().Done():
			case <-w.west.Done():
			}
			return true
		}
		return false
	})
	timeout := func(o *kms.Options) { o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond} }
	sup := awskms.NewClientSupplier(kmstest.AWSConfig(), kmstest.Endpoints(w.west, w.east), timeout)
	kr := must(awskms.NewStrictMultiKeyring(sup, keyA, []string{keyB, keyC}))
	dm, err := kr.OnDecrypt(context.Background(), decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
	if err != nil || string(dm.DataKey.ProviderInfo) != keyC {
		t.Fatalf("got %v", err)
	}

	// Without C, the error aggregates both failures.
	kr = must(awskms.NewStrictMultiKeyring(sup, keyA, []string{keyB}))
	start := time.Now()
	_, err = kr.OnDecrypt(context.Background(), decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) || len(nd.Errs) != 2 {
		t.Fatalf("got %v", err)
	}
	var ke *awskms.KMSError
	var api smithy.APIError
	if !errors.As(nd.Errs[0], &ke) || ke.KeyID != keyA || !errors.As(nd.Errs[0], &api) || api.ErrorCode() != "KMSInternalException" {
		t.Fatalf("first error: %v", nd.Errs[0])
	}
	var te interface{ Timeout() bool }
	if !errors.As(nd.Errs[1], &ke) || ke.KeyID != keyB || !errors.As(nd.Errs[1], &te) || !te.Timeout() {
		t.Fatalf("second error: %v", nd.Errs[1])
	}
	for _, want := range []string{keyA, keyB, "KMSInternalException", "Decrypt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}

	// Encrypt: a failing GenerateDataKey leaves the materials unchanged.
	w.east.SetInterceptor(func(rw http.ResponseWriter, r *http.Request, c kmstest.Call) bool {
		kmstest.WriteError(rw, http.StatusBadRequest, "DisabledException", "key is disabled")
		return true
	})
	m := encMaterials(t)
	out, err := must(awskms.NewKeyring(w.client(t, "us-east-1"), keyC)).OnEncrypt(context.Background(), m)
	if !errors.As(err, &ke) || ke.Op != "GenerateDataKey" || out.PlaintextDataKey != nil || len(out.EncryptedDataKeys) != 0 {
		t.Fatalf("got %v, %d keys", err, len(out.EncryptedDataKeys))
	}
	// A multi-keyring whose child fails encrypts nothing.
	if _, err := must(awskms.NewStrictMultiKeyring(w.sup, keyA, []string{keyC})).OnEncrypt(context.Background(), m); !errors.As(err, &ke) || ke.Op != "Encrypt" || ke.KeyID != keyC {
		t.Fatalf("multi: got %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
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
	if _, err := w.sup.ClientForRegion(ctx, "us-west-2"); !errors.Is(err, context.Canceled) {
		t.Fatalf("ClientForRegion: %v", err)
	}
}

func TestBlockedServerHonoursContext(t *testing.T) {
	w := newWorld(t)
	kr := must(awskms.NewKeyring(w.client(t, "us-west-2"), keyA))
	em := encrypt(t, kr)
	block(w.west, "", "")
	for name, op := range map[string]func(ctx context.Context) error{
		"OnEncrypt": func(ctx context.Context) error { _, err := kr.OnEncrypt(ctx, encMaterials(t)); return err },
		"OnDecrypt": func(ctx context.Context) error {
			_, err := kr.OnDecrypt(ctx, decMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
			return err
		},
	} {
		t.Run(name+"/deadline", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := op(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("returned after %v", d)
			}
		})
		t.Run(name+"/cancel", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			if err := op(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestClientSupplier(t *testing.T) {
	cfg := kmstest.AWSConfig()
	cfg.Region = "eu-west-1"
	var mu sync.Mutex
	seen := map[string]int{}
	sup := awskms.NewClientSupplier(cfg, func(o *kms.Options) {
		mu.Lock()
		seen[o.Region]++
		mu.Unlock()
	})
	regions := []string{"us-west-2", "us-east-1", "eu-central-1", "", "eu-west-1"}
	const goroutines = 64
	got := make([][]awskms.Client, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range 20 {
				r := regions[(g+i)%len(regions)]
				c, err := sup.ClientForRegion(context.Background(), r)
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], c)
			}
		})
	}
	wg.Wait()
	want := map[string]awskms.Client{}
	for g := range goroutines {
		for i, c := range got[g] {
			r := regions[(g+i)%len(regions)]
			if r == "" {
				r = cfg.Region
			}
			if want[r] == nil {
				want[r] = c
			}
			if want[r] != c {
				t.Fatalf("two clients for %s", r)
			}
			if kc := c.(*kms.Client); kc.Options().Region != r {
				t.Fatalf("client for %s has region %s", r, kc.Options().Region)
			}
		}
	}
	if len(want) != 4 {
		t.Fatalf("%d distinct clients", len(want))
	}
	for r, n := range seen {
		if n != 1 {
			t.Errorf("%d clients created for %s", n, r)
		}
	}
	// No default region.
	if _, err := awskms.NewClientSupplier(kmstest.AWSConfig()).ClientForRegion(context.Background(), ""); err == nil {
		t.Fatal("client for region \"\" without a default region")
	}
}

func TestUnknownRegionStaysLocal(t *testing.T) {
	w := newWorld(t)
	kr := must(awskms.NewKeyring(w.client(t, "ap-south-1"), "arn:aws:kms:ap-south-1:111122223333:key/x"))
	_, err := kr.OnEncrypt(context.Background(), encMaterials(t))
	if err == nil || !strings.Contains(err.Error(), "no server for region") {
		t.Fatalf("got %v", err)
	}
}
