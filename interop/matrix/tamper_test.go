package main

import "testing"

// TestTamperVariantsAreRejected runs the tampering on this library's own
// messages (the bases of the tamper group): the control decrypts and every
// variant is rejected. It needs no peer.
func TestTamperVariantsAreRejected(t *testing.T) {
	keys, err := newKeys()
	if err != nil {
		t.Fatal(err)
	}
	opts := keys.options()
	pt := make([]byte, tamperSize)
	for _, b := range tamperBases {
		key := keyByName(opts, b.key)
		msg, err := goEncrypt(key.enc, nil, b.suite, b.frame, ecOpts[b.ec].ec, pt, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := goDecrypt(key.dec, nil, msg, nil); err != nil {
			t.Fatalf("%s: control: %v", b.label(b.frame), err)
		}
		vs, err := tamper(msg, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) < 8 {
			t.Errorf("%s: only %d variants", b.label(b.frame), len(vs))
		}
		for _, v := range vs {
			if ok, why := goReject(key.dec, nil, v.msg, nil); !ok {
				t.Errorf("%s: %s: %s", b.label(b.frame), v.name, why)
			}
		}
	}
}
