package awskms_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
)

// An AWS KMS key-agreement key (ECC_NIST_P256, KEY_AGREEMENT) sends a
// message to a recipient that holds a local P-256 key pair; the recipient
// reads it with a raw ECDH keyring, and writes back to the KMS key, which
// reads with the discovery schema. Each KMS ECDH operation is one
// DeriveSharedSecret request.
func ExampleNewECDHKeyring() {
	ctx := context.Background()
	srv, err := kmstest.NewServer("us-west-2", "")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := srv.Client()
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeKeyAgreement})
	if err != nil {
		log.Fatal(err)
	}
	arn := *key.KeyMetadata.Arn
	recipient, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}

	// The sender: the KMS key and the recipient's public key. The keyring
	// asks KMS GetPublicKey for the KMS key's public key once.
	sender, err := awskms.NewECDHKeyring(ctx, client, awskms.ECDHConfig{
		Schema: awskms.KMSPrivateKeyToStaticPublicKey, KeyARN: arn, RecipientPublicKey: recipient.PublicKey(),
	})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := encryptsdk.New(sender).EncryptBytes(ctx, []byte("hello over ECDH"), nil)
	if err != nil {
		log.Fatal(err)
	}
	reader, err := keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: recipient})
	if err != nil {
		log.Fatal(err)
	}
	pt, _, err := encryptsdk.New(reader).DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("recipient read %q\n", pt)

	// The reply: an ephemeral raw ECDH sender to the KMS key's public key,
	// read by a discovery keyring of the KMS key.
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &arn})
	if err != nil {
		log.Fatal(err)
	}
	kmsPub, err := keyring.ParseECDHPublicKeyDER(out.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	replier, err := keyring.NewRawECDH(keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: kmsPub})
	if err != nil {
		log.Fatal(err)
	}
	reply, err := encryptsdk.New(replier).EncryptBytes(ctx, []byte("and back"), nil)
	if err != nil {
		log.Fatal(err)
	}
	discovery, err := awskms.NewECDHKeyring(ctx, client, awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: arn})
	if err != nil {
		log.Fatal(err)
	}
	pt, _, err = encryptsdk.New(discovery).DecryptBytes(ctx, reply, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("KMS key read %q; %v\n", pt, bytes.Equal(pt, []byte("and back")))
	fmt.Println("DeriveSharedSecret requests:", srv.Count("DeriveSharedSecret", arn))
	// Output:
	// recipient read "hello over ECDH"
	// KMS key read "and back"; true
	// DeriveSharedSecret requests: 2
}
