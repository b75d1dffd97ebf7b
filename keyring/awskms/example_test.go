package awskms_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/awskms"
)

// These examples need AWS credentials and keys, so they are compiled but
// not run here; the same examples run against a local KMS in the tests of
// module github.com/go-esdk/esdk/kmstest.

func ExampleNewKeyring() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-west-2"))
	if err != nil {
		log.Fatal(err)
	}
	// Name the key by its ARN: a keyring configured with an alias or key ID
	// can encrypt but not decrypt.
	kr, err := awskms.NewKeyring(kms.NewFromConfig(cfg), "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	if err != nil {
		log.Fatal(err)
	}
	c := encryptsdk.New(kr)
	ec := map[string]string{"purpose": "example"}
	msg, err := c.EncryptBytes(ctx, []byte("hello, KMS"), &encryptsdk.EncryptOptions{EncryptionContext: ec})
	if err != nil {
		log.Fatal(err)
	}
	pt, _, err := c.DecryptBytes(ctx, msg, &encryptsdk.DecryptOptions{EncryptionContext: ec})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", pt)
}

func ExampleNewStrictMultiKeyring() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// The generator makes the data key in us-west-2; a key in eu-west-1
	// also encrypts it, so that either region can decrypt the message.
	kr, err := awskms.NewStrictMultiKeyring(awskms.NewClientSupplier(cfg),
		"arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		[]string{"arn:aws:kms:eu-west-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("in two regions"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(msg) > 0)
}

func ExampleNewDiscoveryKeyring() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-west-2"))
	if err != nil {
		log.Fatal(err)
	}
	// Decrypt with whatever key the message names, if it belongs to one of
	// the trusted accounts.
	kr, err := awskms.NewDiscoveryKeyring(kms.NewFromConfig(cfg), &awskms.DiscoveryFilter{
		Partition:  "aws",
		AccountIDs: []string{"111122223333"},
	})
	if err != nil {
		log.Fatal(err)
	}
	var msg []byte // a message encrypted under a KMS key of account 111122223333
	pt, _, err := encryptsdk.New(kr).DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", pt)
}

func ExampleNewRSAKeyring() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-west-2"))
	if err != nil {
		log.Fatal(err)
	}
	client := kms.NewFromConfig(cfg)
	// An asymmetric KMS key: key spec RSA_2048 (or larger), key usage
	// ENCRYPT_DECRYPT.
	arn := "arn:aws:kms:us-west-2:111122223333:key/2f1e0d3c-4b5a-4968-8776-a5b4c3d2e1f0"
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &arn})
	if err != nil {
		log.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		log.Fatalf("%s is not an RSA key", arn)
	}
	// Encryption uses the public key locally; decryption calls KMS Decrypt.
	kr, err := awskms.NewRSAKeyring(client, arn, types.EncryptionAlgorithmSpecRsaesOaepSha256, rsaPub)
	if err != nil {
		log.Fatal(err)
	}
	// The keyring refuses suites that sign messages.
	c := encryptsdk.New(kr)
	msg, err := c.EncryptBytes(ctx, []byte("hello, KMS RSA"), &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY})
	if err != nil {
		log.Fatal(err)
	}
	pt, _, err := c.DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", pt)
}

func ExampleParseARN() {
	a, err := awskms.ParseARN("arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Region, a.AccountID, a.IsMRK())
	fmt.Println(awskms.MRKMatch(a.String(), "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"))
	// Output:
	// us-west-2 111122223333 true
	// true
}
