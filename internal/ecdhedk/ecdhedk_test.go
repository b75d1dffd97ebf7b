package ecdhedk

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"
)

func TestProviderInfoRoundTrip(t *testing.T) {
	for _, c := range []*Curve{P256, P384, P521} {
		a, _ := c.ECDH.GenerateKey(rand.Reader)
		b, _ := c.ECDH.GenerateKey(rand.Reader)
		ra, rb := c.Compress(a.PublicKey()), c.Compress(b.PublicKey())
		info := AppendProviderInfo(nil, ra, rb)
		if len(info) != 1+8+2*c.CompressedLen {
			t.Errorf("%v: %d-byte provider info", c, len(info))
		}
		r, s, err := ParseProviderInfo(info)
		if err != nil || !bytes.Equal(r, ra) || !bytes.Equal(s, rb) {
			t.Errorf("%v: parse: %v", c, err)
		}
		for _, k := range []*[]byte{&ra, &rb} {
			pub, err := c.Decompress(*k)
			if err != nil {
				t.Fatalf("%v: decompress: %v", c, err)
			}
			if !bytes.Equal(c.Compress(pub), *k) {
				t.Errorf("%v: compress(decompress(k)) != k", c)
			}
		}
		if !a.PublicKey().Equal(must(c.Decompress(ra))) {
			t.Errorf("%v: decompressed key differs", c)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestParseProviderInfoErrors(t *testing.T) {
	key := bytes.Repeat([]byte{2}, 33)
	good := AppendProviderInfo(nil, key, key)
	mixed := AppendProviderInfo(nil, key, bytes.Repeat([]byte{2}, 49))
	for name, in := range map[string][]byte{
		"empty":            nil,
		"version only":     {1},
		"version 2":        append([]byte{2}, good[1:]...),
		"short length":     good[:3],
		"cut in recipient": good[:20],
		"cut in sender":    good[:len(good)-1],
		"trailing":         append(bytes.Clone(good), 0),
		"length 32":        binary.BigEndian.AppendUint32([]byte{1}, 32),
		"length 2^32-1":    append(binary.BigEndian.AppendUint32([]byte{1}, 0xffffffff), key...),
		"mixed curves":     mixed,
		"too long":         make([]byte, MaxProviderInfoLen+1),
	} {
		if _, _, err := ParseProviderInfo(in); !errors.Is(err, ErrProviderInfo) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestUnwrapChecks(t *testing.T) {
	z := bytes.Repeat([]byte{5}, 32)
	fixed := []byte("fixed")
	ct, err := Wrap(z, fixed, bytes.Repeat([]byte{9}, 16))
	if err != nil || len(ct) != Overhead+16 {
		t.Fatalf("wrap: %d bytes, %v", len(ct), err)
	}
	if pdk, err := Unwrap(z, fixed, ct, 16); err != nil || !bytes.Equal(pdk, bytes.Repeat([]byte{9}, 16)) {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := Unwrap(z, fixed, ct, 32); !errors.Is(err, ErrCiphertext) {
		t.Errorf("wrong key length: %v", err)
	}
	if _, err := Unwrap(z, []byte("fixeD"), ct, 16); !errors.Is(err, ErrCommitment) {
		t.Errorf("other FixedInfo: %v", err)
	}
	ct2, _ := Wrap(z, fixed, bytes.Repeat([]byte{9}, 16))
	if bytes.Equal(ct[:SaltLen], ct2[:SaltLen]) {
		t.Error("salt repeated")
	}
}
