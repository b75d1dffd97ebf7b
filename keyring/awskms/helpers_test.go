package awskms_test

// An in-memory fake of the three KMS operations the keyrings use, with the
// behaviour of AWS KMS that the keyrings rely on: key ARNs, key IDs and
// aliases resolved in the client's region and account, ciphertexts bound
// to their key and encryption context, multi-Region keys (same key ID and
// material in several regions), and the exceptions KMS returns. The tests
// of this package run against it; the same tests run against the test
// KMS server (local-kms, over HTTP) in the kmstest module.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/go-esdk/esdk/internal/kmscases"
	"github.com/go-esdk/esdk/keyring/awskms"
)

// The keys of the fake world (the same as those of the test KMS's seed
// files in the kmstest module).
const (
	keyA    = "arn:aws:kms:us-west-2:111122223333:key/2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c"
	keyAID  = "2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c"
	aliasA  = "alias/esdk-test" // targets key A
	keyB    = "arn:aws:kms:us-west-2:111122223333:key/7d9e0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
	keyC    = "arn:aws:kms:us-east-1:111122223333:key/0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
	keyD    = "arn:aws:kms:us-west-2:444455556666:key/5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
	mrkWest = "arn:aws:kms:us-west-2:111122223333:key/mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
	mrkEast = "arn:aws:kms:us-east-1:111122223333:key/mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

// defaultAccount is the account of the fake clients' credentials: key IDs
// and alias names are resolved in it.
const defaultAccount = "111122223333"

// call records one request a fake region received.
type call = kmscases.Call

// fakeKMS is one region of the fake KMS. It implements [awskms.Client].
type fakeKMS struct {
	region  string
	keys    map[string][]byte           // key ARN -> 32 bytes of key material
	rsaKeys map[string]*rsa.PrivateKey  // key ARN -> RSA key (ENCRYPT_DECRYPT)
	ecKeys  map[string]*ecdh.PrivateKey // key ARN -> ECC key (KEY_AGREEMENT)
	aliases map[string]string           // alias ARN -> key ARN

	mu    sync.Mutex
	calls []call
}

func newFakeKMS(region string) *fakeKMS {
	return &fakeKMS{region: region, keys: map[string][]byte{}, rsaKeys: map[string]*rsa.PrivateKey{}, ecKeys: map[string]*ecdh.PrivateKey{}, aliases: map[string]string{}}
}

// addKey adds the key of ARN arn (in this region). Keys with the same key
// ID have the same material, so that "mrk-" keys are replicas.
func (f *fakeKMS) addKey(arn string) {
	_, id, _ := strings.Cut(arn, ":key/")
	m := sha256.Sum256([]byte("fake KMS key " + id))
	f.keys[arn] = m[:]
}

// Options returns the client's options, as *kms.Client does: the keyrings
// read the region from them.
func (f *fakeKMS) Options() kms.Options { return kms.Options{Region: f.region} }

func (f *fakeKMS) record(op, keyID string, grants []string, alg types.EncryptionAlgorithmSpec) {
	f.mu.Lock()
	f.calls = append(f.calls, call{Op: op, KeyID: keyID, GrantTokens: slices.Clone(grants), EncryptionAlgorithm: string(alg)})
	f.mu.Unlock()
}

// Calls returns the requests received so far, in order.
func (f *fakeKMS) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Count returns the number of requests for op (and keyID, if not empty).
func (f *fakeKMS) Count(op, keyID string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Op == op && (keyID == "" || c.KeyID == keyID) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the recorded requests.
func (f *fakeKMS) ResetCalls() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

// resolve returns the ARN of the key that id (a key ARN, key ID, alias
// name or alias ARN) names in this region.
func (f *fakeKMS) resolve(id *string) (string, error) {
	if id == nil || *id == "" {
		return "", &smithy.GenericAPIError{Code: "ValidationException", Message: "KeyId is required"}
	}
	prefix := "arn:aws:kms:" + f.region + ":"
	s := *id
	switch {
	case strings.HasPrefix(s, "arn:"):
		if !strings.HasPrefix(s, prefix) {
			return "", &types.NotFoundException{Message: aws.String("key " + s + " is not in region " + f.region)}
		}
	case strings.HasPrefix(s, "alias/"):
		s = prefix + defaultAccount + ":" + s
	default:
		s = prefix + defaultAccount + ":key/" + s
	}
	if target, ok := f.aliases[s]; ok {
		s = target
	}
	_, aes := f.keys[s]
	_, rsa := f.rsaKeys[s]
	_, ec := f.ecKeys[s]
	if !aes && !rsa && !ec {
		return "", &types.NotFoundException{Message: aws.String("key " + *id + " not found")}
	}
	return s, nil
}

// symmetric resolves id and checks that it names a symmetric key.
func (f *fakeKMS) symmetric(id *string) (string, error) {
	arn, err := f.resolve(id)
	if err != nil {
		return "", err
	}
	if _, ok := f.keys[arn]; !ok {
		return "", &types.InvalidKeyUsageException{Message: aws.String(arn + " is not a symmetric encryption key")}
	}
	return arn, nil
}

// ecAAD serializes an encryption context canonically, as the AAD of the
// fake's ciphertexts.
func ecAAD(ec map[string]string) []byte {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(ec[k])))
		b = append(b, ec[k]...)
	}
	return b
}

func gcm(material []byte) cipher.AEAD {
	b, err := aes.NewCipher(material)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

// seal returns a ciphertext blob: the key's account and key ID (so that a
// replica of a multi-Region key recognizes it), then AES-GCM under the
// key's material with the encryption context as AAD.
func (f *fakeKMS) seal(arn string, pt []byte, ec map[string]string) []byte {
	rest, id, _ := strings.Cut(arn, ":key/")
	account := rest[strings.LastIndexByte(rest, ':')+1:]
	blob := fmt.Appendf(nil, "%s/%s|", account, id)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	blob = append(blob, nonce...)
	return gcm(f.keys[arn]).Seal(blob, nonce, pt, ecAAD(ec))
}

func (f *fakeKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.record("GenerateDataKey", aws.ToString(in.KeyId), in.GrantTokens, "")
	arn, err := f.symmetric(in.KeyId)
	if err != nil {
		return nil, err
	}
	n := int(aws.ToInt32(in.NumberOfBytes))
	if n < 1 || n > 1024 {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "NumberOfBytes out of range"}
	}
	pt := make([]byte, n)
	rand.Read(pt)
	return &kms.GenerateDataKeyOutput{KeyId: aws.String(arn), Plaintext: pt, CiphertextBlob: f.seal(arn, pt, in.EncryptionContext)}, nil
}

func (f *fakeKMS) Encrypt(ctx context.Context, in *kms.EncryptInput, _ ...func(*kms.Options)) (*kms.EncryptOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.record("Encrypt", aws.ToString(in.KeyId), in.GrantTokens, in.EncryptionAlgorithm)
	arn, err := f.symmetric(in.KeyId)
	if err != nil {
		return nil, err
	}
	return &kms.EncryptOutput{KeyId: aws.String(arn), CiphertextBlob: f.seal(arn, in.Plaintext, in.EncryptionContext)}, nil
}

func (f *fakeKMS) Decrypt(ctx context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.record("Decrypt", aws.ToString(in.KeyId), in.GrantTokens, in.EncryptionAlgorithm)
	if in.EncryptionAlgorithm != "" && in.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		return f.decryptRSA(in)
	}
	who, rest, ok := bytes.Cut(in.CiphertextBlob, []byte("|"))
	account, id, ok2 := strings.Cut(string(who), "/")
	if !ok || !ok2 || len(rest) < 12+16 {
		return nil, &types.InvalidCiphertextException{Message: aws.String("malformed ciphertext")}
	}
	arn := "arn:aws:kms:" + f.region + ":" + account + ":key/" + id
	material, ok := f.keys[arn]
	if !ok {
		return nil, &types.NotFoundException{Message: aws.String("the ciphertext's key is not in region " + f.region)}
	}
	if in.KeyId != nil {
		named, err := f.resolve(in.KeyId)
		if err != nil {
			return nil, err
		}
		if named != arn {
			return nil, &types.IncorrectKeyException{Message: aws.String("the ciphertext was not encrypted under " + *in.KeyId)}
		}
	}
	pt, err := gcm(material).Open(nil, rest[:12], rest[12:], ecAAD(in.EncryptionContext))
	if err != nil {
		return nil, &types.InvalidCiphertextException{Message: aws.String("ciphertext or encryption context does not match")}
	}
	return &kms.DecryptOutput{KeyId: aws.String(arn), Plaintext: pt}, nil
}

// decryptRSA is Decrypt with an RSA key: KeyId is required, and names the
// key whose private key decrypts with RSA-OAEP.
func (f *fakeKMS) decryptRSA(in *kms.DecryptInput) (*kms.DecryptOutput, error) {
	if in.KeyId == nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "KeyId is required for asymmetric keys"}
	}
	arn, err := f.resolve(in.KeyId)
	if err != nil {
		return nil, err
	}
	priv, ok := f.rsaKeys[arn]
	if !ok {
		return nil, &types.InvalidKeyUsageException{Message: aws.String(arn + " is not an RSA key")}
	}
	var h hash.Hash
	switch in.EncryptionAlgorithm {
	case types.EncryptionAlgorithmSpecRsaesOaepSha1:
		h = sha1.New()
	case types.EncryptionAlgorithmSpecRsaesOaepSha256:
		h = sha256.New()
	default:
		return nil, &types.InvalidKeyUsageException{Message: aws.String("unsupported encryption algorithm")}
	}
	if len(in.EncryptionContext) != 0 {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "asymmetric keys take no encryption context"}
	}
	pt, err := rsa.DecryptOAEP(h, nil, priv, in.CiphertextBlob, nil)
	if err != nil {
		return nil, &types.InvalidCiphertextException{Message: aws.String("RSA decryption failed")}
	}
	return &kms.DecryptOutput{KeyId: aws.String(arn), Plaintext: pt, EncryptionAlgorithm: in.EncryptionAlgorithm}, nil
}

// noRegion is the client of a region the fake world does not have: every
// request fails without a response.
type noRegion string

func (r noRegion) err() error {
	return fmt.Errorf("fake KMS: no server for region %q", string(r))
}

func (r noRegion) GenerateDataKey(context.Context, *kms.GenerateDataKeyInput, ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	return nil, r.err()
}

func (r noRegion) Encrypt(context.Context, *kms.EncryptInput, ...func(*kms.Options)) (*kms.EncryptOutput, error) {
	return nil, r.err()
}

func (r noRegion) Decrypt(context.Context, *kms.DecryptInput, ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	return nil, r.err()
}

// world is two fake KMS regions: us-west-2 (keys A, B, D of account
// 444455556666, the MRK and alias/esdk-test) and us-east-1 (key C and the
// MRK).
type world struct {
	west, east *fakeKMS
	sup        awskms.ClientSupplier
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{west: newFakeKMS("us-west-2"), east: newFakeKMS("us-east-1")}
	for _, k := range []string{keyA, keyB, keyD, mrkWest} {
		w.west.addKey(k)
	}
	w.west.aliases["arn:aws:kms:us-west-2:111122223333:"+aliasA] = keyA
	for _, k := range []string{keyC, mrkEast} {
		w.east.addKey(k)
	}
	w.sup = awskms.ClientSupplierFunc(func(ctx context.Context, region string) (awskms.Client, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch region {
		case "":
			return nil, errors.New("fake KMS: no default region")
		case "us-west-2":
			return w.west, nil
		case "us-east-1":
			return w.east, nil
		}
		return noRegion(region), nil
	})
	return w
}

// client returns the supplier's client for region.
func (w *world) client(t testing.TB, region string) awskms.Client {
	t.Helper()
	c, err := w.sup.ClientForRegion(context.Background(), region)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reset forgets the requests both regions received.
func (w *world) reset() {
	w.west.ResetCalls()
	w.east.ResetCalls()
}

// decrypts returns the number of Decrypt requests for keyID (any key if
// empty) in both regions.
func (w *world) decrypts(keyID string) int {
	return w.west.Count("Decrypt", keyID) + w.east.Count("Decrypt", keyID)
}

// Helpers shared with the KMS cases.
var (
	suite        = kmscases.SuiteOf
	testEC       = kmscases.EC
	encMaterials = kmscases.EncMaterials
	decMaterials = kmscases.DecMaterials
	encrypt      = kmscases.Encrypt
	mustDecrypt  = kmscases.MustDecrypt
)
