package testvectors_test

import (
	"context"
	"encoding/json"
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
		// Hierarchical keyring (static branch keys), Python and JS messages.
		{"js-decrypt-node-fixtures/manifest-hierarchy.json", false, 4},
		{"dafny-4.1.0/manifest-ecdh-hierarchy.json", false, 110},
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
	// 11 suites × (3 AES + 5 RSA + 7 special cases), then raw ECDH:
	// 3 curves × 2 suites × (static: 2 readers, ephemeral: 1), then the
	// hierarchical keyring: one per suite.
	const plain, ecdh, hier = 11 * 15, 3 * 2 * 3, 11
	if n != plain+ecdh+hier {
		t.Errorf("generated %d tests, want %d", n, plain+ecdh+hier)
	}
	for file, want := range map[string]int{"manifest.json": plain, "manifest-ecdh.json": ecdh, "manifest-hierarchy.json": hier} {
		m, err := testvectors.LoadDecryptManifest(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		outcomes := m.Run(context.Background(), testvectors.RunOptions{})
		if p, f, s := testvectors.Summary(outcomes); p != want || f != 0 || s != 0 {
			for _, o := range outcomes {
				if o.Status != testvectors.Passed {
					t.Errorf("%s: %s", o.Name, o.Reason)
				}
			}
			t.Fatalf("%s: %d passed, %d failed, %d skipped; want %d passed", file, p, f, s, want)
		}
	}
	// The generated messages also parse and verify without keys.
	r, err := testvectors.InspectManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Parsed != plain || len(r.Failures) != 0 || r.Verified != 4*15 {
		t.Errorf("inspect: parsed %d, verified %d, failures %v", r.Parsed, r.Verified, r.Failures)
	}
}

// TestGeneratedECDHNeedsTheRightKey: a generated ECDH message does not
// decrypt with another curve's keys or the sender's key in discovery.
func TestGeneratedECDHNeedsTheRightKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := testvectors.Generate(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "manifest-ecdh.json")
	m, err := testvectors.LoadDecryptManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	name := "0578-ecdh-ecc-384-static-decrypt-discovery"
	tc, ok := m.Tests[name]
	if !ok {
		t.Fatalf("%s not generated", name)
	}
	for _, bad := range []func(d *testvectors.KeyDescription){
		func(d *testvectors.KeyDescription) { d.Recipient = "ecdh-384-swapped" }, // the sender's private key
		func(d *testvectors.KeyDescription) { d.Recipient, d.Curve = "ecdh-256", "ecc-256" },
	} {
		d := *tc.Scenario.Key
		bad(&d)
		s := *tc.Scenario
		s.Key = &d
		tc.Scenario = &s
		m.Tests = map[string]testvectors.DecryptTest{name: tc}
		o := m.Run(context.Background(), testvectors.RunOptions{})
		if o[0].Status != testvectors.Failed {
			t.Errorf("%+v: status %d, want failed", d, o[0].Status)
		}
	}
}

// TestGeneratedHierarchyNeedsTheRightKey: a generated hierarchical message
// does not decrypt with another branch key under the same ID and version.
func TestGeneratedHierarchyNeedsTheRightKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := testvectors.Generate(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	// Replace the branch key in keys.json by another of the same length.
	keysPath := filepath.Join(dir, "keys.json")
	b, err := os.ReadFile(keysPath)
	if err != nil {
		t.Fatal(err)
	}
	var keys testvectors.KeysManifest
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	spec := keys.Keys["static-branch-key-1"]
	if spec.BranchKey == "" {
		t.Fatal("keys.json has no static-branch-key-1")
	}
	spec.BranchKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	keys.Keys["static-branch-key-1"] = spec
	if b, err = json.Marshal(keys); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keysPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := testvectors.LoadDecryptManifest(filepath.Join(dir, "manifest-hierarchy.json"))
	if err != nil {
		t.Fatal(err)
	}
	outcomes := m.Run(context.Background(), testvectors.RunOptions{})
	if len(outcomes) != 11 {
		t.Fatalf("%d outcomes, want 11", len(outcomes))
	}
	for _, o := range outcomes {
		if o.Status != testvectors.Failed {
			t.Errorf("%s: status %d with the wrong branch key, want failed", o.Name, o.Status)
		}
	}
}
