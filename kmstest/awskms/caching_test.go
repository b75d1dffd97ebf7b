package awskms_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// cachingClient returns a client whose materials come through a caching
// manager over a KMS keyring for keyA.
func cachingClient(t testing.TB, w *world, maxMessages uint64) *encryptsdk.Client {
	t.Helper()
	kr := must(awskms.NewKeyring(w.client(t, "us-west-2"), keyA))
	cm, err := materials.NewCachingManager(materials.NewDefaultManager(kr), materials.CachingConfig{
		Cache:                materials.NewLocalCache(100),
		MaxAge:               time.Hour,
		MaxMessagesEncrypted: maxMessages,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &encryptsdk.Client{Manager: cm}
}

// BenchmarkKMSCaching measures 1 KiB messages per second through a KMS
// keyring on the local KMS, with and without a caching manager.
func BenchmarkKMSCaching(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	pt := make([]byte, 1024)
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
	for _, c := range []struct {
		name   string
		client *encryptsdk.Client
	}{
		{"uncached", encryptsdk.New(must(awskms.NewKeyring(w.client(b, "us-west-2"), keyA)))},
		{"cached", cachingClient(b, w, 1000)},
	} {
		b.Run(c.name+"/encrypt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.client.EncryptBytes(ctx, pt, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
		ct, err := c.client.EncryptBytes(ctx, pt, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/decrypt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.client.DecryptBytes(ctx, ct, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
