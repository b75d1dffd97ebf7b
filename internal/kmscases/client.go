package kmscases

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// testEncryptSDKRoundTrip encrypts and decrypts whole messages through the
// public API with KMS keyrings, for both committing suites.
func testEncryptSDKRoundTrip(t *testing.T, newWorld func(testing.TB) *World) {
	w := newWorld(t)
	ctx := context.Background()
	enc := encryptsdk.New(must(awskms.NewStrictMultiKeyring(w.Supplier, keyA, []string{mrkEast})))
	decrypters := map[string]*encryptsdk.Client{
		"generator":     encryptsdk.New(must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyA))),
		"mrk replica":   encryptsdk.New(must(awskms.NewMRKKeyring(w.Client(t, "us-west-2"), mrkWest))),
		"discovery":     encryptsdk.New(must(awskms.NewDiscoveryMultiKeyring(w.Supplier, []string{"us-east-1", "us-west-2"}, &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"111122223333"}}))),
		"mrk discovery": encryptsdk.New(must(awskms.NewMRKDiscoveryMultiKeyring(w.Supplier, []string{"us-west-2"}, nil))),
	}
	ec := map[string]string{"purpose": "round trip", "tenant": "42"}
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		t.Run(id.String(), func(t *testing.T) {
			for _, size := range []int{0, 1, 4096, 10000} {
				pt := bytes.Repeat([]byte("kms "), size/4+1)[:size]
				ct, err := enc.EncryptBytes(ctx, pt, &encryptsdk.EncryptOptions{Suite: id, EncryptionContext: ec})
				if err != nil {
					t.Fatal(err)
				}
				for name, dec := range decrypters {
					got, d, err := dec.DecryptBytes(ctx, ct, &encryptsdk.DecryptOptions{EncryptionContext: ec})
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !bytes.Equal(got, pt) || d.Suite().ID() != id || d.EncryptionContext()["tenant"] != "42" {
						t.Fatalf("%s: wrong plaintext, suite or context", name)
					}
				}
			}

			// Streaming, in small writes and reads.
			pt := bytes.Repeat([]byte("0123456789abcdef"), 3000)
			var msg bytes.Buffer
			e, err := enc.Encrypt(ctx, &msg, &encryptsdk.EncryptOptions{Suite: id, EncryptionContext: ec, FrameLength: 1024})
			if err != nil {
				t.Fatal(err)
			}
			for p := pt; len(p) > 0; p = p[min(len(p), 777):] {
				if _, err := e.Write(p[:min(len(p), 777)]); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			d, err := decrypters["mrk replica"].Decrypt(ctx, bytes.NewReader(msg.Bytes()), nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.DataKey().ProviderInfo) != mrkEast {
				t.Fatalf("decrypted with %q", d.DataKey().ProviderInfo)
			}
			got, err := io.ReadAll(io.LimitReader(d, 1<<20))
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("streaming decrypt: %v", err)
			}

			// A different encryption context is refused.
			bad := map[string]string{"purpose": "round trip", "tenant": "43"}
			if _, _, err := decrypters["generator"].DecryptBytes(ctx, msg.Bytes(), &encryptsdk.DecryptOptions{EncryptionContext: bad}); err == nil {
				t.Fatal("decrypted with the wrong encryption context")
			}
		})
	}

	// A keyring with an unrelated key fails before any KMS Decrypt call.
	ct, err := enc.EncryptBytes(ctx, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Reset()
	_, _, err = encryptsdk.New(must(awskms.NewKeyring(w.Client(t, "us-west-2"), keyB))).DecryptBytes(ctx, ct, nil)
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) || w.Decrypts("") != 0 {
		t.Fatalf("got %v after %d calls", err, w.Decrypts(""))
	}

	// Cancellation reaches KMS through the public API.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := enc.EncryptBytes(cctx, []byte("x"), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("encrypt with a cancelled context: %v", err)
	}
	if _, _, err := decrypters["generator"].DecryptBytes(cctx, ct, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("decrypt with a cancelled context: %v", err)
	}
}
