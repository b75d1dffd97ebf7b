package metadata

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"testing"
)

// FuzzECDHInfo: inspect's reading of an ECDH provider info never panics,
// and what it accepts is the layout (0x01, two length-prefixed points of
// one curve, nothing after).
func FuzzECDHInfo(f *testing.F) {
	for _, c := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521()} {
		k, _ := c.GenerateKey(rand.Reader)
		b := k.PublicKey().Bytes()
		n := (len(b) - 1) / 2
		p := append([]byte{2 | b[len(b)-1]&1}, b[1:1+n]...)
		info := append([]byte{1, 0, 0, 0, byte(len(p))}, p...)
		info = append(append(info, 0, 0, 0, byte(len(p))), p...)
		f.Add(info)
	}
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, info []byte) {
		o, ok := ecdhInfo(info)
		if !ok {
			return
		}
		n := (len(info) - 9) / 2
		if info[0] != 1 || len(info) != 9+2*n || !bytes.Equal(info[1:5], []byte{0, 0, 0, byte(n)}) {
			t.Fatalf("accepted a provider info that is not the layout: %x", info)
		}
		if o["curve"] == nil || o["recipient_key_sha256"] == nil || o["sender_key_sha256"] == nil {
			t.Fatalf("incomplete description %v", o)
		}
	})
}
