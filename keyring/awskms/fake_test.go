package awskms_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// fakeClient answers with whatever its fields say, to test how the
// keyrings check responses that a real KMS would not send.
type fakeClient struct {
	keyID     string // KeyId of every response
	plaintext []byte // Plaintext of GenerateDataKey and Decrypt
	calls     atomic.Int32
}

func (f *fakeClient) Encrypt(ctx context.Context, in *kms.EncryptInput, _ ...func(*kms.Options)) (*kms.EncryptOutput, error) {
	f.calls.Add(1)
	return &kms.EncryptOutput{KeyId: aws.String(f.keyID), CiphertextBlob: []byte("blob")}, nil
}

func (f *fakeClient) Decrypt(ctx context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	f.calls.Add(1)
	return &kms.DecryptOutput{KeyId: aws.String(f.keyID), Plaintext: bytes.Clone(f.plaintext)}, nil
}

func (f *fakeClient) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	f.calls.Add(1)
	return &kms.GenerateDataKeyOutput{KeyId: aws.String(f.keyID), Plaintext: bytes.Clone(f.plaintext), CiphertextBlob: []byte("blob")}, nil
}

func TestInvalidResponses(t *testing.T) {
	ctx := context.Background()
	good := bytes.Repeat([]byte{1}, 32)
	for _, f := range []*fakeClient{
		{keyID: "alias/x", plaintext: good},
		{keyID: "arn:aws:kms:us-west-2:111122223333:alias/x", plaintext: good},
		{keyID: "", plaintext: good},
		{keyID: keyA, plaintext: good[:16]},
	} {
		kr, _ := awskms.NewKeyring(f, keyA)
		m := encMaterials(t)
		_, err := kr.OnEncrypt(ctx, m)
		if !errors.Is(err, awskms.ErrInvalidResponse) {
			t.Errorf("GenerateDataKey response %q/%d bytes: got %v", f.keyID, len(f.plaintext), err)
		}
		if f.keyID == keyA {
			continue
		}
		m.PlaintextDataKey = good
		if _, err := kr.OnEncrypt(ctx, m); !errors.Is(err, awskms.ErrInvalidResponse) {
			t.Errorf("Encrypt response %q: got %v", f.keyID, err)
		}
	}

	// Decrypt: the response must name the key asked for and hold a data
	// key of the suite's length.
	edks := []materials.EncryptedDataKey{{ProviderID: "aws-kms", ProviderInfo: []byte(keyA), Ciphertext: []byte("blob")}}
	for _, f := range []*fakeClient{{keyID: keyB, plaintext: good}, {keyID: keyA, plaintext: good[:31]}, {keyID: keyA, plaintext: nil}} {
		kr, _ := awskms.NewKeyring(f, keyA)
		_, err := kr.OnDecrypt(ctx, decMaterials(t, nil), edks)
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) || !errors.Is(err, awskms.ErrInvalidResponse) {
			t.Errorf("Decrypt response %q/%d bytes: got %v", f.keyID, len(f.plaintext), err)
		}
	}
	kr, _ := awskms.NewKeyring(&fakeClient{keyID: keyA, plaintext: good}, keyA)
	if _, err := kr.OnDecrypt(ctx, decMaterials(t, nil), edks); err != nil {
		t.Fatal(err)
	}

	// Discovery: the response must name the key of the encrypted data key.
	dk, _ := awskms.NewDiscoveryKeyring(&fakeClient{keyID: keyB, plaintext: good}, nil)
	if _, err := dk.OnDecrypt(ctx, decMaterials(t, nil), edks); !errors.Is(err, awskms.ErrInvalidResponse) {
		t.Errorf("discovery: got %v", err)
	}
}

func TestNoSecretsInErrors(t *testing.T) {
	secret := bytes.Repeat([]byte{0xAB}, 32)
	ct := []byte("CIPHERTEXT-BYTES-MUST-NOT-APPEAR")
	kr, _ := awskms.NewKeyring(&fakeClient{keyID: keyB, plaintext: secret}, keyA)
	_, err := kr.OnDecrypt(context.Background(), decMaterials(t, nil), []materials.EncryptedDataKey{{ProviderID: "aws-kms", ProviderInfo: []byte(keyA), Ciphertext: ct}})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, string(ct)) || strings.Contains(msg, string(secret)) || strings.Contains(strings.ToLower(msg), "abababab") {
		t.Fatalf("error leaks bytes: %s", msg)
	}
	if !strings.Contains(msg, keyA) || !strings.Contains(msg, "Decrypt") {
		t.Fatalf("error does not name the key and operation: %s", msg)
	}
}

func TestPlaintextDataKeyPresent(t *testing.T) {
	f := &fakeClient{keyID: keyA, plaintext: make([]byte, 32)}
	m := decMaterials(t, nil)
	m.PlaintextDataKey = make([]byte, 32)
	edks := []materials.EncryptedDataKey{{ProviderID: "aws-kms", ProviderInfo: []byte(keyA), Ciphertext: []byte("x")}}
	k1, _ := awskms.NewKeyring(f, keyA)
	k2, _ := awskms.NewMRKKeyring(f, keyA)
	k3, _ := awskms.NewDiscoveryKeyring(f, nil)
	k4, _ := awskms.NewMRKDiscoveryKeyring(f, "us-west-2", nil)
	for _, kr := range []materials.Keyring{k1, k2, k3, k4} {
		if _, err := kr.OnDecrypt(context.Background(), m, edks); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
			t.Errorf("%v: got %v", kr, err)
		}
	}
	for _, kr := range []materials.Keyring{k3, k4} {
		if _, err := kr.OnEncrypt(context.Background(), encMaterials(t)); !errors.Is(err, materials.ErrEncryptNotSupported) {
			t.Errorf("%v: OnEncrypt got %v", kr, err)
		}
	}
	if f.calls.Load() != 0 {
		t.Fatalf("%d KMS calls", f.calls.Load())
	}
}

func TestMalformedProviderInfo(t *testing.T) {
	w := newWorld(t)
	good := encrypt(t, must(awskms.NewKeyring(w.client(t, "us-west-2"), keyA)))
	w.reset()
	for _, info := range []string{aliasA, keyAID, "arn:aws:kms:us-west-2:111122223333:alias/esdk-test", "not an arn", ""} {
		// The malformed key comes after a good one: the whole call still
		// fails, before any request.
		edks := append(slices.Clone(good.EncryptedDataKeys), materials.EncryptedDataKey{ProviderID: "aws-kms", ProviderInfo: []byte(info), Ciphertext: []byte("x")})
		k1, _ := awskms.NewKeyring(w.client(t, "us-west-2"), keyA)
		k2, _ := awskms.NewMRKKeyring(w.client(t, "us-west-2"), keyA)
		k3, _ := awskms.NewDiscoveryKeyring(w.client(t, "us-west-2"), nil)
		k4, _ := awskms.NewMRKDiscoveryKeyring(w.client(t, "us-west-2"), "us-west-2", nil)
		for _, kr := range []materials.Keyring{k1, k2, k3, k4} {
			_, err := kr.OnDecrypt(context.Background(), decMaterials(t, good.EncryptionContext), edks)
			if !errors.Is(err, awskms.ErrMalformedProviderInfo) {
				t.Errorf("%v with provider info %q: got %v", kr, info, err)
			}
		}
	}
	if n := w.decrypts(""); n != 0 {
		t.Fatalf("%d Decrypt calls for a malformed message", n)
	}
	// Other provider IDs are not the KMS keyrings' business.
	edks := append([]materials.EncryptedDataKey{{ProviderID: "aws-kms-rsa", ProviderInfo: []byte("junk")}, {ProviderID: "raw", ProviderInfo: []byte("junk")}}, good.EncryptedDataKeys...)
	kr, _ := awskms.NewKeyring(w.client(t, "us-west-2"), keyA)
	if _, err := kr.OnDecrypt(context.Background(), decMaterials(t, good.EncryptionContext), edks); err != nil {
		t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
