package main

import (
	"fmt"
	"strings"
)

// edgeCases are a few cases outside the pairwise dimensions, where SDKs
// have differed: a large encryption context, control characters and NUL in
// it, a message with eight encrypted data keys of which the reader holds
// only the last, and a frame length that is neither a power of two nor a
// multiple of 128.
func edgeCases(k *Keys) []combo {
	large := map[string]string{}
	for i := range 300 {
		large[fmt.Sprintf("key-%03d", i)] = strings.Repeat(string(rune('a'+i%26)), 40)
	}
	control := map[string]string{
		"\u0001\u0002\u0003": " \"D",
		"nul\u0000inside":    "tab\there\nnewline\r\u007f",
		"\u00a0":             "\u2028\u2029",
	}
	edge := func(name string, enc, dec []KeySpec) keyOpt {
		return keyOpt{name: name, group: "edge", enc: enc, dec: dec}
	}
	eight := []KeySpec{k.AES(128), k.RSAPublic("pkcs1"), k.RSAPublic("oaep-sha1"), k.RSAPublic("oaep-sha256"),
		k.RSAPublic("oaep-sha384"), k.RSAPublic("oaep-sha512"), k.AES(192), k.AES(256)}
	return []combo{
		{suite: 0x0578, key: edge("aes-256", []KeySpec{k.AES(256)}, []KeySpec{k.AES(256)}), frame: 4096, size: tamperSize,
			ec: ecOpt{"300 pairs (14 KB)", large}, edge: true},
		{suite: 0x0178, key: edge("rsa-pkcs1", []KeySpec{k.RSAPublic("pkcs1")}, []KeySpec{k.RSAPrivate("pkcs1")}), frame: 4096, size: 1,
			ec: ecOpt{"control characters and NUL", control}, edge: true},
		{suite: 0x0478, key: edge("multi of 8 keys, reader holds only the last", eight, []KeySpec{k.AES(256)}), frame: 4096, size: 4096,
			ec: ecOpts[2], edge: true},
		{suite: 0x0346, key: edge("aes-192", []KeySpec{k.AES(192)}, []KeySpec{k.AES(192)}), frame: 1000, size: tamperSize,
			ec: ecOpts[1], edge: true},
	}
}

// writable drops the cases the peer cannot write (see notApplicable).
func (pr *peerRun) writable(cs []combo) []combo {
	var out []combo
	for _, c := range cs {
		if pr.peer.canWrite(c.frame) {
			out = append(out, c)
		}
	}
	return out
}
