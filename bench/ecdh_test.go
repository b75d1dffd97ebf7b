package bench

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

var ecdhCurves = []struct {
	name  string
	curve ecdh.Curve
}{{"P256", ecdh.P256()}, {"P384", ecdh.P384()}, {"P521", ecdh.P521()}}

func ecdhKey(b *testing.B, c ecdh.Curve) *ecdh.PrivateKey {
	k, err := c.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func rawECDH(b *testing.B, c keyring.RawECDHConfig) *keyring.RawECDH {
	kr, err := keyring.NewRawECDH(c)
	if err != nil {
		b.Fatal(err)
	}
	return kr
}

// BenchmarkECDH measures the raw ECDH keyring per message: wrapping a
// data key (OnEncrypt) and unwrapping it (OnDecrypt), beside the bare
// crypto/ecdh key agreements the two sides make (one each), so that the
// ratio is the keyring's own cost (KDF, AES-GCM, provider info, point
// compression and, for discovery, decompression).
//
//	KeyAgreementPair/<curve>   sender and recipient each agree once
//	Static/<curve>             static wrap, the recipient's static unwrap
//	Ephemeral/<curve>          ephemeral wrap (a new key pair), discovery unwrap
func BenchmarkECDH(b *testing.B) {
	ctx := context.Background()
	suite, err := algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	if err != nil {
		b.Fatal(err)
	}
	ec := materials.EncryptionContext{"purpose": "benchmark"}
	for _, c := range ecdhCurves {
		sender, recipient := ecdhKey(b, c.curve), ecdhKey(b, c.curve)
		b.Run("KeyAgreementPair/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sender.ECDH(recipient.PublicKey()); err != nil {
					b.Fatal(err)
				}
				if _, err := recipient.ECDH(sender.PublicKey()); err != nil {
					b.Fatal(err)
				}
			}
		})
		pairs := []struct {
			name     string
			enc, dec *keyring.RawECDH
		}{
			{"Static", rawECDH(b, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: sender, RecipientPublicKey: recipient.PublicKey()}),
				rawECDH(b, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: recipient, RecipientPublicKey: sender.PublicKey()})},
			{"Ephemeral", rawECDH(b, keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: recipient.PublicKey()}),
				rawECDH(b, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: recipient})},
		}
		for _, p := range pairs {
			b.Run(p.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					em, err := p.enc.OnEncrypt(ctx, materials.EncryptionMaterials{Suite: suite, EncryptionContext: ec})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := p.dec.OnDecrypt(ctx, materials.DecryptionMaterials{Suite: suite, EncryptionContext: ec}, em.EncryptedDataKeys); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkECDHMessage encrypts and decrypts a 1 KiB message (suite
// 0x0478, unsigned, so that the signature does not hide the keyring) with
// the raw ECDH keyring (P-256, static schema), beside the same message
// with the raw AES keyring plus one P-256 key agreement: what a message
// under a key agreed per message would at least cost.
func BenchmarkECDHMessage(b *testing.B) {
	ctx := context.Background()
	pt := plaintext(1 << 10)
	sender, recipient := ecdhKey(b, ecdh.P256()), ecdhKey(b, ecdh.P256())
	enc := encryptsdk.New(rawECDH(b, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: sender, RecipientPublicKey: recipient.PublicKey()}))
	dec := encryptsdk.New(rawECDH(b, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: recipient, RecipientPublicKey: sender.PublicKey()}))
	key := make([]byte, 32)
	rand.Read(key)
	aesKR, err := keyring.NewRawAES("bench", "aes-256", key)
	if err != nil {
		b.Fatal(err)
	}
	aesClient := encryptsdk.New(aesKR)
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}
	ecdhMsg, err := enc.EncryptBytes(ctx, pt, opts)
	if err != nil {
		b.Fatal(err)
	}
	aesMsg, err := aesClient.EncryptBytes(ctx, pt, opts)
	if err != nil {
		b.Fatal(err)
	}
	agree := func(b *testing.B) {
		if _, err := sender.ECDH(recipient.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Encrypt/RawECDH-P256-static/1KiB", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := enc.EncryptBytes(ctx, pt, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encrypt/P256-ECDH+RawAES/1KiB", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			agree(b)
			if _, err := aesClient.EncryptBytes(ctx, pt, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decrypt/RawECDH-P256-static/1KiB", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := dec.DecryptBytes(ctx, ecdhMsg, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decrypt/P256-ECDH+RawAES/1KiB", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			agree(b)
			if _, _, err := aesClient.DecryptBytes(ctx, aesMsg, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
