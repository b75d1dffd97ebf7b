package encryptsdk_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

// Encrypt a stream with a raw AES wrapping key and decrypt it again.
func Example() {
	// A 256-bit wrapping key. In practice it comes from a key store or an
	// HSM; the namespace and name identify it in the message.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	kr, err := keyring.NewRawAES("example-namespace", "example-key", key)
	if err != nil {
		log.Fatal(err)
	}
	client := encryptsdk.New(kr)
	ctx := context.Background()

	// Encrypt into any io.Writer: a file, a socket, a buffer.
	var message bytes.Buffer
	enc, err := client.Encrypt(ctx, &message, &encryptsdk.EncryptOptions{
		EncryptionContext: map[string]string{"purpose": "example"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(enc, strings.NewReader("Hello, world!")); err != nil {
		log.Fatal(err)
	}
	if err := enc.Close(); err != nil { // writes the final frame and the signature
		log.Fatal(err)
	}

	// Decrypt from any io.Reader.
	dec, err := client.Decrypt(ctx, &message, nil)
	if err != nil {
		log.Fatal(err)
	}
	plaintext, err := io.ReadAll(dec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plaintext))
	fmt.Println("purpose:", dec.EncryptionContext()["purpose"])
	// Output:
	// Hello, world!
	// purpose: example
}

func ExampleClient_EncryptBytes() {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	kr, err := keyring.NewRawAES("example-namespace", "example-key", key)
	if err != nil {
		log.Fatal(err)
	}
	client := encryptsdk.New(kr)
	ctx := context.Background()

	// One call makes a whole message, which any AWS Encryption SDK can
	// decrypt with the same wrapping key.
	message, err := client.EncryptBytes(ctx, []byte("attack at dawn"), &encryptsdk.EncryptOptions{
		EncryptionContext: map[string]string{"tenant": "acme"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// DecryptBytes returns nothing unless the whole message, signature
	// included, verifies. The expected context must match the message's.
	plaintext, dec, err := client.DecryptBytes(ctx, message, &encryptsdk.DecryptOptions{
		EncryptionContext: map[string]string{"tenant": "acme"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plaintext))
	fmt.Println(dec.Suite())
	// Output:
	// attack at dawn
	// AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
}

func ExampleClient_Decrypt() {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	kr, err := keyring.NewRawAES("example-namespace", "example-key", key)
	if err != nil {
		log.Fatal(err)
	}
	client := encryptsdk.New(kr)
	ctx := context.Background()
	message, err := client.EncryptBytes(ctx, []byte("invoice total: 42 EUR\n"), &encryptsdk.EncryptOptions{
		EncryptionContext: map[string]string{"tenant": "acme", "document": "invoice-42"},
	})
	if err != nil {
		log.Fatal(err)
	}

	dec, err := client.Decrypt(ctx, bytes.NewReader(message), nil)
	if err != nil {
		log.Fatal(err)
	}
	// The header has been authenticated before Decrypt returns, so the
	// encryption context can be checked before any plaintext is read.
	ec := dec.EncryptionContext()
	if ec["tenant"] != "acme" {
		log.Fatalf("message belongs to tenant %q", ec["tenant"])
	}
	fmt.Println("document:", ec["document"])
	fmt.Println("signed:", dec.Suite().Signed())

	// Each frame is released once its tag verifies; io.EOF comes only after
	// the signature has verified too.
	if _, err := io.Copy(os.Stdout, dec); err != nil {
		log.Fatal(err)
	}
	// Output:
	// document: invoice-42
	// signed: true
	// invoice total: 42 EUR
}
