package testvectors_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-esdk/esdk/testvectors"
)

// shared is where the cross-SDK vectors live, relative to this package.
const shared = "../../shared/testvectors"

func vectorsDir(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared test vectors not found at %s", shared)
	}
	return shared
}

func TestDecryptManifests(t *testing.T) {
	dir := vectorsDir(t)
	cases := []struct {
		manifest string
		retry    bool
		want     int
	}{
		{"dafny-4.1.0/manifest.json", false, 187},
		{"dafny-4.1.0/manifest-v2.json", false, 132},
		{"commitment-kat-2020/manifest.json", false, 46},
		{"js-decrypt-node-fixtures/manifest.json", false, 11},
		{"c-tests-data/manifest.json", false, 4},
		{"net-4.0.0-valid/manifest.json", false, 5},
		{"net-4.0.0-invalid/manifest-strict.json", false, 28},
		{"net-4.0.0-invalid/manifest.json", true, 28},
		{"js-5.0.2-generated/manifest.json", false, 307},
		{"js-5.0.2-generated/manifest-decrypt-options.json", false, 10},
		{"js-5.0.2-generated/manifest-js-divergent.json", false, 3},
	}
	for _, c := range cases {
		t.Run(c.manifest, func(t *testing.T) {
			m, err := testvectors.LoadDecryptManifest(filepath.Join(dir, c.manifest))
			if err != nil {
				t.Fatal(err)
			}
			outcomes := m.Run(context.Background(), testvectors.RunOptions{NetV400Retry: c.retry})
			for _, o := range outcomes {
				if o.Status != testvectors.Passed {
					t.Errorf("%s: status %d: %s", o.Name, o.Status, o.Reason)
				}
			}
			if p, f, s := testvectors.Summary(outcomes); p != c.want || f != 0 || s != 0 {
				t.Errorf("%d passed, %d failed, %d skipped; want %d passed", p, f, s, c.want)
			}
		})
	}
}

// TestECDHManifest: every raw ECDH message of the Dafny 4.1.0 ECDH and
// hierarchy manifest decrypts; only the hierarchical keyring's messages
// are skipped, because this runner has no such keyring yet.
func TestECDHManifest(t *testing.T) {
	dir := vectorsDir(t)
	m, err := testvectors.LoadDecryptManifest(filepath.Join(dir, "dafny-4.1.0/manifest-ecdh-hierarchy.json"))
	if err != nil {
		t.Fatal(err)
	}
	outcomes := m.Run(context.Background(), testvectors.RunOptions{})
	for _, o := range outcomes {
		if o.Status == testvectors.Failed || (o.Status == testvectors.Skipped && o.Unsupported != "aws-kms-hierarchy") {
			t.Errorf("%s: status %d: %s", o.Name, o.Status, o.Reason)
		}
	}
	if p, f, s := testvectors.Summary(outcomes); p != 99 || f != 0 || s != 11 {
		t.Errorf("%d passed, %d failed, %d skipped; want 99, 0, 11", p, f, s)
	}
}

// The .NET 4.0.0 messages must not decrypt without the explicit retry.
func TestNetV400NeedsRetry(t *testing.T) {
	dir := vectorsDir(t)
	m, err := testvectors.LoadDecryptManifest(filepath.Join(dir, "net-4.0.0-invalid/manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Run(context.Background(), testvectors.RunOptions{}) {
		if o.Status != testvectors.Failed {
			t.Errorf("%s decrypted without the .NET 4.0.0 retry", o.Name)
		}
	}
}

func TestInspectPythonKMS(t *testing.T) {
	dir := vectorsDir(t)
	r, err := testvectors.InspectManifest(filepath.Join(dir, "python-1.3.5-kms/manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Parsed != 360 || r.Verified != 120 || len(r.Failures) != 0 {
		t.Errorf("parsed %d, verified %d, failures %v; want 360, 120, none", r.Parsed, r.Verified, r.Failures)
	}
}

func TestGenerateThenDecrypt(t *testing.T) {
	dir := t.TempDir()
	n, err := testvectors.Generate(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// 11 suites × (3 AES + 5 RSA + 7 special cases).
	if n != 11*15 {
		t.Errorf("generated %d tests, want %d", n, 11*15)
	}
	m, err := testvectors.LoadDecryptManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	outcomes := m.Run(context.Background(), testvectors.RunOptions{})
	if p, f, s := testvectors.Summary(outcomes); p != n || f != 0 || s != 0 {
		for _, o := range outcomes {
			if o.Status != testvectors.Passed {
				t.Errorf("%s: %s", o.Name, o.Reason)
			}
		}
		t.Fatalf("%d passed, %d failed, %d skipped", p, f, s)
	}
	// The generated messages also parse and verify without keys.
	r, err := testvectors.InspectManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Parsed != n || len(r.Failures) != 0 || r.Verified != 4*15 {
		t.Errorf("inspect: parsed %d, verified %d, failures %v", r.Parsed, r.Verified, r.Failures)
	}
}
