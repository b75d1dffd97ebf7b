// Command roundtrip encrypts a file with a local raw AES key, decrypts the
// result, and checks that the plaintext comes back unchanged. It needs no
// AWS account and nothing but Go.
//
//	go run ./examples/roundtrip [-in FILE] [-key KEYFILE]
//
// Without -key it makes a fresh 256-bit key. The ciphertext is written next
// to a temporary copy and removed afterwards.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

func main() {
	in := flag.String("in", "README.md", "file to encrypt")
	keyFile := flag.String("key", "", "file holding a 16, 24 or 32-byte AES key (default: a fresh random key)")
	flag.Parse()
	log.SetFlags(0)

	key := make([]byte, 32)
	if *keyFile != "" {
		var err error
		if key, err = os.ReadFile(*keyFile); err != nil {
			log.Fatal(err)
		}
	} else {
		rand.Read(key)
	}
	kr, err := keyring.NewRawAES("example", "local-key", key)
	if err != nil {
		log.Fatal(err)
	}
	client := encryptsdk.New(kr)
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "esdk-roundtrip")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	encrypted := filepath.Join(dir, filepath.Base(*in)+".encrypted")

	// Encrypt: stream the file through an Encryptor into the output file.
	src, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	dst, err := os.Create(encrypted)
	if err != nil {
		log.Fatal(err)
	}
	enc, err := client.Encrypt(ctx, dst, &encryptsdk.EncryptOptions{
		EncryptionContext: map[string]string{"purpose": "example", "file": filepath.Base(*in)},
	})
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(enc, src)
	if err != nil {
		log.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		log.Fatal(err)
	}
	src.Close()
	if err := dst.Close(); err != nil {
		log.Fatal(err)
	}
	info, _ := os.Stat(encrypted)
	fmt.Printf("encrypted %s: %d bytes -> %d bytes with %v\n", *in, n, info.Size(), enc.Header().Suite.ID())

	// Decrypt: the encryption context is available before any plaintext.
	f, err := os.Open(encrypted)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	dec, err := client.Decrypt(ctx, f, &encryptsdk.DecryptOptions{
		EncryptionContext: map[string]string{"purpose": "example"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("decrypting: purpose=%q, data key from %s\n", dec.EncryptionContext()["purpose"], dec.DataKey().ProviderID)
	got := sha256.New()
	if _, err := io.Copy(got, dec); err != nil {
		log.Fatal(err)
	}
	orig, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	want := sha256.Sum256(orig)
	if !bytes.Equal(got.Sum(nil), want[:]) {
		log.Fatal("round trip FAILED: plaintext differs")
	}
	fmt.Println("round trip OK: decrypted plaintext matches the original")
}
