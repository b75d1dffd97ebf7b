package awskms_test

import (
	"context"
	"os"
	"testing"

	"github.com/go-esdk/esdk/internal/kmscases"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
)

// The keys of the seed files in testdata.
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

// world is two in-process KMS regions: us-west-2 (keys A, B, D, the MRK and
// alias/esdk-test) and us-east-1 (key C and the MRK).
type world struct {
	west, east *kmstest.Server
	sup        awskms.ClientSupplier
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{
		west: kmstest.Start(t, "us-west-2", "testdata/us-west-2.yaml"),
		east: kmstest.Start(t, "us-east-1", "testdata/us-east-1.yaml"),
	}
	b, err := os.ReadFile("testdata/us-west-2-444455556666.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.west.Seed("444455556666", b); err != nil {
		t.Fatal(err)
	}
	w.sup = awskms.NewClientSupplier(kmstest.AWSConfig(), kmstest.Endpoints(w.west, w.east))
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

// reset forgets the requests both servers received.
func (w *world) reset() {
	w.west.ResetCalls()
	w.east.ResetCalls()
}

// decrypts returns the number of Decrypt requests for keyID (any key if
// empty) on both servers.
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
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
