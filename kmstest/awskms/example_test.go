package awskms_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
)

// The examples of package awskms, run against an in-process KMS
// ([kmstest]). With AWS, the client comes from the AWS SDK instead:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	client := kms.NewFromConfig(cfg)

func ExampleNewKeyring() {
	ctx := context.Background()
	srv, err := kmstest.NewServer("us-west-2", "")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := srv.Client()
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		log.Fatal(err)
	}

	// Use the key ARN: a keyring configured with an alias or key ID can
	// encrypt but not decrypt.
	kr, err := awskms.NewKeyring(client, *key.KeyMetadata.Arn)
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
	// Output: hello, KMS
}

func ExampleNewStrictMultiKeyring() {
	ctx := context.Background()
	west, err := kmstest.NewServer("us-west-2", "")
	if err != nil {
		log.Fatal(err)
	}
	defer west.Close()
	east, err := kmstest.NewServer("us-east-1", "")
	if err != nil {
		log.Fatal(err)
	}
	defer east.Close()
	key1, _ := west.AddKey("0a8c0d8e-1f3e-4b8a-9c6d-2e4f6a8b0c1d", bytes.Repeat([]byte{1}, 32))
	key2, _ := east.AddKey("7e5d3c1b-9a8f-4e6d-8c4b-2a0f9e8d7c6b", bytes.Repeat([]byte{2}, 32))

	// One client per region, created when first needed. With AWS:
	// awskms.NewClientSupplier(cfg).
	supplier := awskms.NewClientSupplier(kmstest.AWSConfig(), kmstest.Endpoints(west, east))

	// key1 generates the data key; key2 adds a second encrypted copy.
	kr, err := awskms.NewStrictMultiKeyring(supplier, key1, []string{key2})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("for two keys"), nil)
	if err != nil {
		log.Fatal(err)
	}

	// Either key alone decrypts.
	onlyKey2, err := awskms.NewKeyring(east.Client(), key2)
	if err != nil {
		log.Fatal(err)
	}
	pt, d, err := encryptsdk.New(onlyKey2).DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, decrypted with %s\n", pt, d.DataKey().ProviderInfo)
	// Output: for two keys, decrypted with arn:aws:kms:us-east-1:111122223333:key/7e5d3c1b-9a8f-4e6d-8c4b-2a0f9e8d7c6b
}

func ExampleNewMRKKeyring() {
	ctx := context.Background()
	east, err := kmstest.NewServer("us-east-1", "")
	if err != nil {
		log.Fatal(err)
	}
	defer east.Close()
	west, err := kmstest.NewServer("us-west-2", "")
	if err != nil {
		log.Fatal(err)
	}
	defer west.Close()
	// A multi-Region key and its replica share key ID and key material.
	material := bytes.Repeat([]byte{7}, 32)
	primary, _ := east.AddKey("mrk-1234abcd12ab34cd56ef1234567890ab", material)
	replica, _ := west.AddKey("mrk-1234abcd12ab34cd56ef1234567890ab", material)

	enc, err := awskms.NewMRKKeyring(east.Client(), primary)
	if err != nil {
		log.Fatal(err)
	}
	msg, err := encryptsdk.New(enc).EncryptBytes(ctx, []byte("written in us-east-1"), nil)
	if err != nil {
		log.Fatal(err)
	}

	// The replica decrypts in us-west-2, without calling us-east-1.
	dec, err := awskms.NewMRKKeyring(west.Client(), replica)
	if err != nil {
		log.Fatal(err)
	}
	pt, _, err := encryptsdk.New(dec).DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, read in us-west-2; us-east-1 decrypt calls: %d\n", pt, east.Count("Decrypt", ""))
	// Output: written in us-east-1, read in us-west-2; us-east-1 decrypt calls: 0
}

func ExampleNewDiscoveryKeyring() {
	ctx := context.Background()
	srv, err := kmstest.NewServer("us-west-2", "")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	key, _ := srv.AddKey("3b1f0c2e-5d4a-4f6b-8e7d-9c0b1a2f3e4d", bytes.Repeat([]byte{3}, 32))
	kr, _ := awskms.NewKeyring(srv.Client(), key)
	msg, err := encryptsdk.New(kr).EncryptBytes(ctx, []byte("found by discovery"), nil)
	if err != nil {
		log.Fatal(err)
	}

	// Decrypt with whatever key the message names, if it belongs to one of
	// the trusted accounts.
	discovery, err := awskms.NewDiscoveryKeyring(srv.Client(), &awskms.DiscoveryFilter{
		Partition:  "aws",
		AccountIDs: []string{"111122223333"},
	})
	if err != nil {
		log.Fatal(err)
	}
	pt, _, err := encryptsdk.New(discovery).DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", pt)

	// A filter for another account makes no KMS call at all.
	other, _ := awskms.NewDiscoveryKeyring(srv.Client(), &awskms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"444455556666"}})
	srv.ResetCalls()
	_, _, err = encryptsdk.New(other).DecryptBytes(ctx, msg, nil)
	fmt.Println(err != nil, srv.Count("Decrypt", ""))
	// Output:
	// found by discovery
	// true 0
}

func ExampleNewRSAKeyring() {
	ctx := context.Background()
	srv, err := kmstest.NewServer("us-west-2", "")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := srv.Client()
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		log.Fatal(err)
	}
	arn := *key.KeyMetadata.Arn
	// The public key encrypts locally; only decrypting calls AWS KMS.
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &arn})
	if err != nil {
		log.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	kr, err := awskms.NewRSAKeyring(client, arn, types.EncryptionAlgorithmSpecRsaesOaepSha256, pub.(*rsa.PublicKey))
	if err != nil {
		log.Fatal(err)
	}

	// The keyring needs a suite without signatures.
	c := encryptsdk.New(kr)
	opts := &encryptsdk.EncryptOptions{
		Suite:             algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
		EncryptionContext: map[string]string{"purpose": "example"},
	}
	msg, err := c.EncryptBytes(ctx, []byte("hello, KMS RSA"), opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("requests to encrypt:", srv.Count("Decrypt", "")+srv.Count("Encrypt", "")+srv.Count("GenerateDataKey", ""))
	pt, _, err := c.DecryptBytes(ctx, msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s; Decrypt requests: %d\n", pt, srv.Count("Decrypt", arn))
	// Output:
	// requests to encrypt: 0
	// hello, KMS RSA; Decrypt requests: 1
}
