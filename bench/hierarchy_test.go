package bench

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/hierarchy"
)

// BenchmarkHierarchyMessage encrypts and decrypts a 1 KiB message (suite
// 0x0478, unsigned, so that the signature does not hide the keyring) with
// the hierarchical keyring and a warm cache (a static key store: with the
// DynamoDB store the cache makes the same one read per TTL), beside the
// same message with the raw AES keyring. The goal: within 1.3x of raw AES
// in messages per second.
func BenchmarkHierarchyMessage(b *testing.B) {
	ctx := context.Background()
	pt := plaintext(1 << 10)
	key := make([]byte, 32)
	rand.Read(key)
	store := hierarchy.NewStaticKeyStore("bench")
	if err := store.Add(hierarchy.BranchKeyMaterials{BranchKeyID: "bench", Version: "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b", Key: key}, true); err != nil {
		b.Fatal(err)
	}
	hkr, err := hierarchy.New(hierarchy.Config{KeyStore: store, BranchKeyID: "bench", TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	aesKR, err := keyring.NewRawAES("bench", "aes-256", key)
	if err != nil {
		b.Fatal(err)
	}
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
	for _, k := range []struct {
		name string
		c    *encryptsdk.Client
	}{{"Hierarchy-warm", encryptsdk.New(hkr)}, {"RawAES", encryptsdk.New(aesKR)}} {
		msg, err := k.c.EncryptBytes(ctx, pt, opts) // also warms the cache
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := k.c.DecryptBytes(ctx, msg, nil); err != nil {
			b.Fatal(err)
		}
		b.Run("Encrypt/"+k.name+"/1KiB", func(b *testing.B) {
			b.SetBytes(int64(len(pt)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.c.EncryptBytes(ctx, pt, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Decrypt/"+k.name+"/1KiB", func(b *testing.B) {
			b.SetBytes(int64(len(pt)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := k.c.DecryptBytes(ctx, msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
