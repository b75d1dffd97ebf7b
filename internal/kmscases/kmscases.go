// Package kmscases holds the AWS KMS keyring tests that run twice: in
// package keyring/awskms against an in-memory fake KMS, and in module
// kmstest against the local KMS server over the AWS SDK's HTTP path. Both
// describe their KMS as a [World]; [Run] runs every case against it.
package kmscases

import (
	"context"
	"slices"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// The keys a World holds. us-west-2 has keys A, B and D (account
// 444455556666), the multi-Region key and alias/esdk-test for key A;
// us-east-1 has key C and the multi-Region key's replica.
const (
	KeyA    = "arn:aws:kms:us-west-2:111122223333:key/2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c"
	KeyAID  = "2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c"
	AliasA  = "alias/esdk-test"
	KeyB    = "arn:aws:kms:us-west-2:111122223333:key/7d9e0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
	KeyC    = "arn:aws:kms:us-east-1:111122223333:key/0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
	KeyD    = "arn:aws:kms:us-west-2:444455556666:key/5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
	MRKWest = "arn:aws:kms:us-west-2:111122223333:key/mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
	MRKEast = "arn:aws:kms:us-east-1:111122223333:key/mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

// Short names for the cases.
const (
	keyA, keyAID, aliasA, keyB, keyC, keyD, mrkWest, mrkEast = KeyA, KeyAID, AliasA, KeyB, KeyC, KeyD, MRKWest, MRKEast
)

// Call is one request a KMS region received.
type Call struct {
	Op                  string
	KeyID               string
	GrantTokens         []string
	EncryptionAlgorithm string
}

// Region records the requests one KMS region receives.
type Region interface {
	// Calls returns the requests received so far, in order.
	Calls() []Call
	// Count returns the number of requests for op (and keyID, if not
	// empty).
	Count(op, keyID string) int
	// ResetCalls forgets the recorded requests.
	ResetCalls()
}

// World is two KMS regions holding the keys above, and a client supplier
// that reaches them.
type World struct {
	West, East Region
	Supplier   awskms.ClientSupplier
}

// Client returns the supplier's client for region.
func (w *World) Client(t testing.TB, region string) awskms.Client {
	t.Helper()
	c, err := w.Supplier.ClientForRegion(context.Background(), region)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Reset forgets the requests both regions received.
func (w *World) Reset() {
	w.West.ResetCalls()
	w.East.ResetCalls()
}

// Decrypts returns the number of Decrypt requests for keyID (any key if
// empty) in both regions.
func (w *World) Decrypts(keyID string) int {
	return w.West.Count("Decrypt", keyID) + w.East.Count("Decrypt", keyID)
}

// Run runs every case as a subtest, each against a World from newWorld.
func Run(t *testing.T, newWorld func(testing.TB) *World) {
	for _, c := range []struct {
		name string
		f    func(*testing.T, func(testing.TB) *World)
	}{
		{"OneKeyRoundTrip", testOneKeyRoundTrip},
		{"GeneratorAndKeys", testGeneratorAndKeys},
		{"AliasAndKeyIDOnEncrypt", testAliasAndKeyIDOnEncrypt},
		{"WrongEncryptionContext", testWrongEncryptionContext},
		{"KeyNotInKeyringNeverCalled", testKeyNotInKeyringNeverCalled},
		{"Discovery", testDiscovery},
		{"MRKAcrossRegions", testMRKAcrossRegions},
		{"DuplicateMRKConfiguration", testDuplicateMRKConfiguration},
		{"ConcurrentKeyrings", testConcurrentKeyrings},
		{"EncryptSDKRoundTrip", testEncryptSDKRoundTrip},
		{"CachingCountsKMSRequests", testCachingCountsKMSRequests},
		{"CachingConcurrentKMS", testCachingConcurrentKMS},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, newWorld) })
	}
}

// Helpers of the cases, for the KMS keyring tests of both modules too.

// SuiteOf returns the suite id or fails the test.
func SuiteOf(t testing.TB, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// EC is the encryption context of EncMaterials.
var EC = materials.EncryptionContext{"purpose": "test", "tenant": "42"}

// EncMaterials are fresh encryption materials of suite 0x0478 with EC.
func EncMaterials(t testing.TB) materials.EncryptionMaterials {
	return materials.EncryptionMaterials{Suite: SuiteOf(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY), EncryptionContext: EC.Clone()}
}

// DecMaterials are decryption materials of suite 0x0478 with ec.
func DecMaterials(t testing.TB, ec materials.EncryptionContext) materials.DecryptionMaterials {
	return materials.DecryptionMaterials{Suite: SuiteOf(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY), EncryptionContext: ec}
}

// Encrypt runs kr.OnEncrypt on fresh materials.
func Encrypt(t testing.TB, kr materials.Keyring) materials.EncryptionMaterials {
	t.Helper()
	m, err := kr.OnEncrypt(context.Background(), EncMaterials(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.PlaintextDataKey) != 32 || len(m.EncryptedDataKeys) == 0 {
		t.Fatalf("OnEncrypt gave a %d-byte data key and %d encrypted data keys", len(m.PlaintextDataKey), len(m.EncryptedDataKeys))
	}
	return m
}

// MustDecrypt checks that kr recovers the data key of em.
func MustDecrypt(t testing.TB, kr materials.Keyring, em materials.EncryptionMaterials) materials.DecryptionMaterials {
	t.Helper()
	dm, err := kr.OnDecrypt(context.Background(), DecMaterials(t, em.EncryptionContext), em.EncryptedDataKeys)
	if err != nil {
		t.Fatalf("%v: %v", kr, err)
	}
	if !slices.Equal(dm.PlaintextDataKey, em.PlaintextDataKey) {
		t.Fatalf("%v: decrypted a different data key", kr)
	}
	return dm
}

// infos returns the provider infos of the encrypted data keys of m.
func infos(m materials.EncryptionMaterials) []string {
	var s []string
	for _, e := range m.EncryptedDataKeys {
		s = append(s, string(e.ProviderInfo))
	}
	return s
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
