package keyring_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

// Encrypt for a recipient's P-256 public key with a fresh key pair per
// message (the ephemeral schema), and decrypt with the recipient's private
// key (discovery). Any SDK with the raw ECDH keyring of the Material
// Providers Library reads these messages.
func ExampleNewRawECDH() {
	// The recipient's key pair. The sender gets only the public key,
	// typically as a PEM "PUBLIC KEY" file.
	recipient, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(recipient.PublicKey())
	if err != nil {
		log.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})

	// The sender.
	pub, err := keyring.ParseECDHPublicKeyPEM(publicPEM)
	if err != nil {
		log.Fatal(err)
	}
	sender, err := keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: pub})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	msg, err := encryptsdk.New(sender).EncryptBytes(ctx, []byte("for the recipient only"), &encryptsdk.EncryptOptions{
		EncryptionContext: map[string]string{"purpose": "example"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// The recipient. recipient could also be any ecdh.KeyExchanger, such
	// as a key held in a hardware module.
	reader, err := keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: recipient})
	if err != nil {
		log.Fatal(err)
	}
	pt, dec, err := encryptsdk.New(reader).DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(pt))
	fmt.Println("wrapped by:", dec.Header().EncryptedDataKeys[0].ProviderID)
	// Output:
	// for the recipient only
	// wrapped by: raw-ecdh
}
