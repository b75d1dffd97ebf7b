package ecdhedk

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

// FuzzParseProviderInfo: the parser never panics, accepts only what it
// would write, and what it accepts decompresses or fails with a typed
// error.
func FuzzParseProviderInfo(f *testing.F) {
	for _, c := range []*Curve{P256, P384, P521} {
		a, _ := c.ECDH.GenerateKey(rand.Reader)
		b, _ := c.ECDH.GenerateKey(rand.Reader)
		f.Add(AppendProviderInfo(nil, c.Compress(a.PublicKey()), c.Compress(b.PublicKey())))
	}
	f.Add([]byte{1, 0, 0, 0, 33})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, info []byte) {
		r, s, err := ParseProviderInfo(info)
		if err != nil {
			if !errors.Is(err, ErrProviderInfo) {
				t.Fatalf("error does not wrap ErrProviderInfo: %v", err)
			}
			return
		}
		if !bytes.Equal(AppendProviderInfo(nil, r, s), info) {
			t.Fatalf("accepted %x, which does not serialize back", info)
		}
		for _, c := range []*Curve{P256, P384, P521} {
			for _, k := range [][]byte{r, s} {
				pub, err := c.Decompress(k)
				switch {
				case err != nil && !errors.Is(err, ErrCurve) && !errors.Is(err, ErrPublicKey):
					t.Fatalf("untyped decompress error: %v", err)
				case err == nil && !bytes.Equal(c.Compress(pub), k):
					t.Fatalf("%v: point %x does not compress back", c, k)
				}
			}
		}
	})
}
