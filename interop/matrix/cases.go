package main

import (
	"fmt"

	"github.com/go-esdk/esdk/algorithms"
)

// The dimensions of the positive cases. Every value of every dimension
// appears, and every pair of values of two dimensions appears together
// (pairwise), unless a peer cannot do it (see Peer.NA).

type ecOpt struct {
	name string
	ec   map[string]string
}

var ecOpts = []ecOpt{
	{"empty", map[string]string{}},
	// Mixed case and punctuation: byte order differs from localeCompare order.
	{"ascii", map[string]string{"purpose": "interop test", "Department": "Crypto", "a_b": "c-d", "zz": "last one", "Zeta": "upper"}},
	// Cyrillic, CJK, an emoji and a Gothic letter (outside the BMP), and keys
	// whose UTF-8 byte order differs from their UTF-16 code unit order:
	// U+FFFF and U+FF61 sort before U+1F600 in UTF-8 and after it in UTF-16.
	{"unicode", map[string]string{
		"ключ":             "значение",
		"日本語":              "テキスト",
		"\U0001F600 key":   "emoji \U0001F511 and Gothic \U00010348",
		"\uFFFF":           "U+FFFF",
		"\uFF61 halfwidth": "。",
		"été":              "\u00e9t\u00e9 \u0301",
		"ascii":            "plain",
	}},
}

var sizeOpts = []int{0, 1, 4096, 1 << 20}

// frameOpts: 0 means a non-framed body.
var frameOpts = []int64{1, 4096, 65536, 0}

func frameName(f int64) string {
	if f == 0 {
		return "non-framed"
	}
	return fmt.Sprintf("frame %d", f)
}

func sizeName(n int) string {
	if n == 1<<20 {
		return "1 MiB"
	}
	return fmt.Sprintf("%d B", n)
}

func suiteName(id algorithms.ID) string { return fmt.Sprintf("0x%04X", uint16(id)) }

func suiteHex(id algorithms.ID) string { return fmt.Sprintf("0x%04x", uint16(id)) }

func allSuites() []algorithms.ID {
	var ids []algorithms.ID
	for _, s := range algorithms.All() {
		ids = append(ids, s.ID())
	}
	return ids
}

// combo is one positive case: a suite, wrapping key, frame length,
// plaintext size and encryption context.
type combo struct {
	suite algorithms.ID
	key   keyOpt
	frame int64
	size  int
	ec    ecOpt
	edge  bool // an edge case, not one of the pairwise ones
}

// pairwise returns c for the coverage table, nil for edge cases.
func (c combo) pairwise() *combo {
	if c.edge {
		return nil
	}
	return &c
}

func (c combo) String() string {
	return fmt.Sprintf("%s %s %s %s ec=%s", suiteName(c.suite), c.key.name, frameName(c.frame), sizeName(c.size), c.ec.name)
}

// combos chooses the positive cases of one direction: pairwise over the
// values the writer and the reader support.
func combos(suites []algorithms.ID, keys []keyOpt, frames []int64, seed int64) []combo {
	sizes := []int{len(suites), len(keys), len(frames), len(sizeOpts), len(ecOpts)}
	valid := func(r []int) bool {
		// One-byte frames only for small plaintexts: a 1 MiB message of
		// 1-byte frames has a million frames, which takes minutes in the
		// slower peers and proves nothing more than 4096 of them.
		if r[2] >= 0 && r[3] >= 0 && frames[r[2]] == 1 && sizeOpts[r[3]] > 4096 {
			return false
		}
		return true
	}
	var out []combo
	for _, r := range pairwise(sizes, valid, seed) {
		out = append(out, combo{suite: suites[r[0]], key: keys[r[1]], frame: frames[r[2]], size: sizeOpts[r[3]], ec: ecOpts[r[4]]})
	}
	return out
}
