package awskms_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// anyRegionWorld hands out one fakeClient per region and counts the
// clients made. Each client answers Decrypt for the key ARN set for its
// region; the keyring accepts the answer only if it asked for that ARN.
type anyRegionWorld struct {
	mu      sync.Mutex
	byKey   map[string]string // region -> the key ARN its client answers for
	clients map[string]*fakeClient
	made    int
}

func (w *anyRegionWorld) ClientForRegion(_ context.Context, region string) (awskms.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clients[region]; ok {
		return c, nil
	}
	keyID, ok := w.byKey[region]
	if !ok {
		return nil, errors.New("no such region")
	}
	w.made++
	c := &fakeClient{keyID: keyID, plaintext: bytes.Repeat([]byte{7}, 32)}
	w.clients[region] = c
	return c, nil
}

func (w *anyRegionWorld) calls(region string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.clients[region]; c != nil {
		return int(c.calls.Load())
	}
	return 0
}

func edk(arn string) materials.EncryptedDataKey {
	return materials.EncryptedDataKey{ProviderID: awskms.ProviderID, ProviderInfo: []byte(arn), Ciphertext: []byte("blob")}
}

func TestAnyRegionDiscoveryKeyring(t *testing.T) {
	ctx := context.Background()
	otherAccountEast := "arn:aws:kms:us-east-1:444455556666:key/5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
	filter := &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"111122223333"}}
	for _, tc := range []struct {
		name      string
		mrkRegion string
		filter    *awskms.DiscoveryFilter
		edks      []materials.EncryptedDataKey
		byKey     map[string]string
		wantKey   string         // the ARN of the data key's EDK; "" for a failure
		wantErr   string         // in the error
		calls     map[string]int // per region
	}{
		{
			name: "single-Region key decrypted in its own region", mrkRegion: "us-west-2",
			edks:    []materials.EncryptedDataKey{edk(keyC)},
			byKey:   map[string]string{"us-east-1": keyC, "us-west-2": keyA},
			wantKey: keyC, calls: map[string]int{"us-east-1": 1, "us-west-2": 0},
		},
		{
			name: "multi-Region key decrypted through the replica in the MRK region", mrkRegion: "us-west-2",
			edks:    []materials.EncryptedDataKey{edk(mrkEast)},
			byKey:   map[string]string{"us-west-2": mrkWest, "us-east-1": mrkEast},
			wantKey: mrkEast, calls: map[string]int{"us-west-2": 1, "us-east-1": 0},
		},
		{
			name: "the filter is applied before any call", mrkRegion: "us-west-2", filter: filter,
			edks:    []materials.EncryptedDataKey{edk(otherAccountEast), edk(keyA)},
			byKey:   map[string]string{"us-east-1": otherAccountEast, "us-west-2": keyA},
			wantKey: keyA, calls: map[string]int{"us-east-1": 0, "us-west-2": 1},
		},
		{
			name: "other providers are skipped", mrkRegion: "us-west-2",
			edks:    []materials.EncryptedDataKey{{ProviderID: "raw", ProviderInfo: []byte("x"), Ciphertext: []byte("c")}, edk(keyA)},
			byKey:   map[string]string{"us-west-2": keyA},
			wantKey: keyA, calls: map[string]int{"us-west-2": 1},
		},
		{
			name: "no MRK region: multi-Region keys fail, others still work", mrkRegion: "",
			edks:    []materials.EncryptedDataKey{edk(mrkEast), edk(keyC)},
			byKey:   map[string]string{"us-east-1": keyC},
			wantKey: keyC, calls: map[string]int{"us-east-1": 1},
		},
		{
			name: "no MRK region and only a multi-Region key", mrkRegion: "",
			edks:    []materials.EncryptedDataKey{edk(mrkEast)},
			byKey:   map[string]string{"us-east-1": mrkEast},
			wantErr: "is a multi-Region key, and AWS KMS discovery keyring (no filter) has no region to decrypt it in",
			calls:   map[string]int{"us-east-1": 0},
		},
		{
			name: "nothing the filter allows", mrkRegion: "us-west-2", filter: filter,
			edks:    []materials.EncryptedDataKey{edk(otherAccountEast)},
			byKey:   map[string]string{"us-east-1": otherAccountEast},
			wantErr: "found no encrypted data key it may use (the message's AWS KMS keys: " + otherAccountEast + ")",
			calls:   map[string]int{"us-east-1": 0},
		},
		{
			name: "a region without a client", mrkRegion: "us-west-2",
			edks:    []materials.EncryptedDataKey{edk(keyC)},
			byKey:   map[string]string{},
			wantErr: `no AWS KMS client for region "us-east-1"`,
		},
		{
			name: "a malformed provider info refuses the message", mrkRegion: "us-west-2",
			edks:    []materials.EncryptedDataKey{edk("alias/x"), edk(keyA)},
			byKey:   map[string]string{"us-west-2": keyA},
			wantErr: "does not name a key ARN",
			calls:   map[string]int{"us-west-2": 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &anyRegionWorld{byKey: tc.byKey, clients: map[string]*fakeClient{}}
			kr, err := awskms.NewAnyRegionDiscoveryKeyring(w, tc.mrkRegion, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			out, err := kr.OnDecrypt(ctx, decMaterials(t, nil), tc.edks)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error()+errsText(err), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case string(out.DataKey.ProviderInfo) != tc.wantKey || len(out.PlaintextDataKey) != 32:
				t.Fatalf("decrypted with %q, want %q", out.DataKey.ProviderInfo, tc.wantKey)
			}
			for region, n := range tc.calls {
				if got := w.calls(region); got != n {
					t.Errorf("%d calls in %s, want %d", got, region, n)
				}
			}
		})
	}
}

// errsText joins the errors a NoDecryptableKeyError collected.
func errsText(err error) string {
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) {
		return ""
	}
	var b strings.Builder
	for _, e := range nd.Errs {
		b.WriteString("\n" + e.Error())
	}
	return b.String()
}

func TestAnyRegionDiscoveryKeyringReusesClients(t *testing.T) {
	w := &anyRegionWorld{byKey: map[string]string{"us-east-1": keyC}, clients: map[string]*fakeClient{}}
	kr, err := awskms.NewAnyRegionDiscoveryKeyring(w, "us-west-2", nil, awskms.WithGrantTokens("g"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := kr.OnDecrypt(context.Background(), decMaterials(t, nil), []materials.EncryptedDataKey{edk(keyC)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if w.made != 1 || w.calls("us-east-1") != 8 {
		t.Fatalf("%d clients made, %d calls; want 1 client, 8 calls", w.made, w.calls("us-east-1"))
	}
	if _, err := kr.OnEncrypt(context.Background(), encMaterials(t)); !errors.Is(err, materials.ErrEncryptNotSupported) {
		t.Fatalf("OnEncrypt: %v", err)
	}
	if _, err := awskms.NewAnyRegionDiscoveryKeyring(nil, "us-west-2", nil); err == nil {
		t.Fatal("nil supplier accepted")
	}
	if _, err := awskms.NewAnyRegionDiscoveryKeyring(w, "us-west-2", &awskms.DiscoveryFilter{Partition: "aws"}); err == nil {
		t.Fatal("filter without accounts accepted")
	}
	m := decMaterials(t, nil)
	m.PlaintextDataKey = make([]byte, 32)
	if _, err := kr.OnDecrypt(context.Background(), m, nil); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Fatalf("materials with a data key: %v", err)
	}
}
