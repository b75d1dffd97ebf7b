package format_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/go-esdk/esdk/format"
)

// structuralTampers are the js-5.0.2-generated negative cases that must fail
// without any key: the damage is in the structure, or (for signed suites)
// the signature no longer verifies.
var structuralTampers = map[string]bool{
	"header-version":                   true,
	"header-suite-unknown":             true,
	"header-type":                      true,
	"header-reserved":                  true,
	"header-iv-length":                 true,
	"edk-count-zero":                   true,
	"frame-sequence-number":            true,
	"frames-swapped":                   true,
	"frame-dropped":                    true,
	"frame-duplicated":                 true,
	"final-frame-length-exceeds-frame": true,
	"final-frame-marker-removed":       true,
	"footer-signature":                 true,
	"footer-signature-last-byte":       true,
	"footer-length-plus-one":           true,
	"footer-removed":                   true,
	"footer-truncated":                 true,
	"truncated-1-byte":                 true,
	"truncated-mid-header":             true,
	"truncated-after-header":           true,
	"truncated-mid-frame":              true,
	"truncated-before-final-frame":     true,
	"truncated-last-byte":              true,
	"trailing-byte":                    true,
}

// signedSuites are the x-case suite strings of signed suites.
var signedSuites = map[string]bool{"0x0214": true, "0x0346": true, "0x0378": true, "0x0578": true}

// TestVectors parses every ciphertext of every shared vector set with the
// Reader. Positive cases must parse completely, re-serialize their header
// byte for byte and carry a valid signature (checked with the key in the
// encryption context); negative cases must not panic, and those whose
// damage is structural must fail.
func TestVectors(t *testing.T) {
	vectors := loadVectors(t)
	type stats struct{ positive, negative, signed, nonFramed, v1, v2, negFailed int }
	bySet := map[string]*stats{}
	for _, v := range vectors {
		st := bySet[v.set]
		if st == nil {
			st = &stats{}
			bySet[v.set] = st
		}
		data, err := os.ReadFile(v.path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parseMessage(data, format.Limits{})
		if !v.positive {
			st.negative++
			if err != nil {
				st.negFailed++
			}
			if err == nil && (structuralTampers[v.tamper] || (v.tamper != "" && signedSuites[v.suite])) {
				t.Errorf("%s/%s: negative case (tamper %q, suite %s) parsed and verified", v.set, v.name, v.tamper, v.suite)
			}
			continue
		}
		st.positive++
		if err != nil {
			t.Errorf("%s/%s: %v", v.set, v.name, err)
			continue
		}
		if !bytes.Equal(p.raw, data[:len(p.raw)]) {
			t.Errorf("%s/%s: raw header bytes differ from the message prefix", v.set, v.name)
		}
		again, err := p.hdr.AppendBinary(nil)
		if err != nil || !bytes.Equal(again, p.raw) {
			t.Errorf("%s/%s: AppendBinary = %x, %v\nwant %x", v.set, v.name, again, err, p.raw)
		}
		// AppendBinary appends.
		again, err = p.hdr.AppendBinary([]byte("prefix"))
		if err != nil || !bytes.Equal(again, append([]byte("prefix"), p.raw...)) {
			t.Errorf("%s/%s: AppendBinary with a prefix differs", v.set, v.name)
		}
		if int(p.hdr.Version) != p.hdr.Suite.MessageFormat() || len(p.hdr.MessageID) != p.hdr.Suite.MessageIDLen() {
			t.Errorf("%s/%s: inconsistent header %+v", v.set, v.name, p.hdr)
		}
		if p.hdr.Suite.Signed() {
			st.signed++
		}
		if p.hdr.ContentType == format.NonFramed {
			st.nonFramed++
		}
		if p.hdr.Version == 1 {
			st.v1++
		} else {
			st.v2++
		}
	}
	for set, st := range bySet {
		t.Logf("%-26s positive %3d (v1 %3d, v2 %3d, signed %3d, non-framed %2d), negative %3d (%3d fail structurally)",
			set, st.positive, st.v1, st.v2, st.signed, st.nonFramed, st.negative, st.negFailed)
	}
	// The shared vector sets: distinct positive ciphertexts (js-5.0.2-generated has
	// 148 positive cases over 138 files).
	for set, min := range map[string]int{"python-1.3.5-kms": 360, "dafny-4.1.0": 187, "js-5.0.2-generated": 138, "commitment-kat-2020": 41} {
		if st := bySet[set]; st == nil || st.positive < min {
			t.Errorf("set %s: fewer than %d positive messages parsed", set, min)
		}
	}
	if st := bySet["python-1.3.5-kms"]; st != nil && (st.signed != 120 || st.nonFramed == 0) {
		t.Errorf("python-1.3.5-kms: %d signed (want 120), %d non-framed", st.signed, st.nonFramed)
	}
}
