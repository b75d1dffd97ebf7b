package bench

import (
	"bytes"
	"fmt"
	"maps"
	"testing"
)

// TestInterop checks that each SDK decrypts what the other writes, for the
// suites benchmarked, with the same raw AES-256 key, namespace and name, with
// and without an encryption context, at lengths around the frame length.
func TestInterop(t *testing.T) {
	contexts := map[string]map[string]string{
		"noEC": nil,
		"EC":   {"purpose": "interop", "tenant": "ü-42", "a": ""},
	}
	lengths := []int{0, 1, frameLength - 1, frameLength, frameLength + 1, 3 * frameLength, 100_000}
	for _, s := range suites {
		o, a := newOurs(t, s), newOfficial(t, s)
		for ecName, ec := range contexts {
			for _, n := range lengths {
				pt := plaintext(n)
				t.Run(fmt.Sprintf("%s/%s/%d/ours-to-official", s.name, ecName, n), func(t *testing.T) {
					roundTrip(t, o, a, pt, ec)
				})
				t.Run(fmt.Sprintf("%s/%s/%d/official-to-ours", s.name, ecName, n), func(t *testing.T) {
					roundTrip(t, a, o, pt, ec)
				})
			}
		}
	}
}

func roundTrip(t *testing.T, from, to sdk, pt []byte, ec map[string]string) {
	ct, err := from.encrypt(pt, ec)
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	got, gotEC, err := to.decrypt(ct)
	if err != nil {
		t.Fatalf("decrypt of a %d-byte message: %v", len(ct), err)
	}
	if !bytes.Equal(got, pt) {
		t.Fatalf("decrypted %d bytes, want the %d-byte plaintext", len(got), len(pt))
	}
	// The decrypted context holds the caller's pairs, plus the reserved
	// aws-crypto-public-key pair for signed suites.
	want := maps.Clone(ec)
	if want == nil {
		want = map[string]string{}
	}
	for k, v := range gotEC {
		if k == "aws-crypto-public-key" {
			continue
		}
		if w, ok := want[k]; !ok || w != v {
			t.Errorf("decrypted context has %q=%q, not written", k, v)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("decrypted context lacks %v", want)
	}
}
