package encryptsdk_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/materials"
)

// The caching manager is told the plaintext length when the caller knows
// it: always for the one-shot calls, even for an empty message, and for a
// stream only when EncryptOptions.PlaintextLength declares it. Without a
// length the cache is bypassed, as the other SDKs do.
func TestCachingSeesThePlaintextLength(t *testing.T) {
	ctx := context.Background()
	newClient := func(t *testing.T) (*encryptsdk.Client, *countingKeyring) {
		kr := &countingKeyring{Keyring: mustAES(t, "cache", "key", testKey(32, 0x51))}
		cm, err := materials.NewCachingManager(materials.NewDefaultManager(kr), materials.CachingConfig{
			Cache:  materials.NewLocalCache(4),
			MaxAge: time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		return &encryptsdk.Client{Manager: cm}, kr
	}
	stream := func(t *testing.T, c *encryptsdk.Client, pt []byte, declared int64) []byte {
		var buf bytes.Buffer
		e, err := c.Encrypt(ctx, &buf, &encryptsdk.EncryptOptions{PlaintextLength: declared})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Write(pt); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name  string
		n     int
		enc   func(*testing.T, *encryptsdk.Client, []byte) []byte
		calls int32 // data keys asked of the keyring for three messages
	}{
		{"one-shot, empty", 0, func(t *testing.T, c *encryptsdk.Client, pt []byte) []byte {
			m, err := c.EncryptBytes(ctx, pt, nil)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}, 1},
		{"one-shot, 5 bytes", 5, func(t *testing.T, c *encryptsdk.Client, pt []byte) []byte {
			m, err := c.AppendEncrypt(ctx, nil, pt, nil)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}, 1},
		{"stream, declared", 5, func(t *testing.T, c *encryptsdk.Client, pt []byte) []byte {
			return stream(t, c, pt, int64(len(pt)))
		}, 1},
		{"stream, not declared", 5, func(t *testing.T, c *encryptsdk.Client, pt []byte) []byte {
			return stream(t, c, pt, 0)
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, kr := newClient(t)
			pt := bytes.Repeat([]byte{'x'}, tc.n)
			for range 3 {
				m := tc.enc(t, c, pt)
				got, _, err := c.DecryptBytes(ctx, m, nil)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("round trip: %q, %v", got, err)
				}
			}
			if n := kr.encrypts.Load(); n != tc.calls {
				t.Fatalf("%d data keys asked of the keyring, want %d", n, tc.calls)
			}
		})
	}
}
