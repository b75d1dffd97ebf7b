package pkcs11_test

import (
	"testing"

	"github.com/go-esdk/esdk/algorithms"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// BenchmarkMessage1KiB encrypts and decrypts one 1 KiB message per
// iteration (suite 0x0478, committing and unsigned, so that the keyring's
// share is not hidden by ECDSA) with the token AES keyring and, beside it, the raw AES keyring
// holding the same key bytes. ns/op converts to messages per second
// (1e9 / ns/op); the difference is the token's two AES-GCM calls per
// message (wrap and unwrap of the data key).
func BenchmarkMessage1KiB(b *testing.B) {
	tok := openToken(b)
	key := randBytes(32)
	r := newRef(b, tok, "aes")
	if err := tok.ImportAESKey(bg, r, key); err != nil {
		b.Fatal(err)
	}
	hsm, err := tok.NewAESKeyring(bg, "bench", "aes", r)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := keyring.NewRawAES("bench", "aes", key)
	if err != nil {
		b.Fatal(err)
	}
	pt := randBytes(1024)
	for _, c := range []struct {
		name string
		kr   materials.Keyring
	}{{"pkcs11-aes", hsm}, {"raw-aes", raw}} {
		b.Run(c.name, func(b *testing.B) {
			client := encryptsdk.New(c.kr)
			b.SetBytes(int64(len(pt)))
			b.ReportAllocs()
			opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
			for b.Loop() {
				ct, err := client.EncryptBytes(bg, pt, opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := client.DecryptBytes(bg, ct, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
