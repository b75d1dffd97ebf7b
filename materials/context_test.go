package materials_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/materials"
)

type EC = materials.EncryptionContext

// serialize is the test's own encoder: pairs in the order given, no checks.
func serialize(pairs ...string) []byte {
	if len(pairs) == 0 {
		return nil
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(len(pairs)/2))
	for _, s := range pairs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b
}

func TestMarshalKnownBytes(t *testing.T) {
	ec := EC{"bc": "xyz", "a": "1"}
	want := []byte{
		0x00, 0x02, // two pairs
		0x00, 0x01, 'a', 0x00, 0x01, '1',
		0x00, 0x02, 'b', 'c', 0x00, 0x03, 'x', 'y', 'z',
	}
	got, err := ec.MarshalBinary()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("MarshalBinary = %x, %v; want %x", got, err, want)
	}
	// AppendBinary appends after what is already there.
	got, err = ec.AppendBinary([]byte{0xaa, 0xbb})
	if err != nil || !bytes.Equal(got, append([]byte{0xaa, 0xbb}, want...)) {
		t.Fatalf("AppendBinary = %x, %v", got, err)
	}
	// A non-ASCII example: "é" is C3 A9.
	got, err = EC{"é": ""}.MarshalBinary()
	if want := []byte{0, 1, 0, 2, 0xc3, 0xa9, 0, 0}; err != nil || !bytes.Equal(got, want) {
		t.Fatalf("MarshalBinary({é: \"\"}) = %x, %v; want %x", got, err, want)
	}
}

func TestMarshalEmpty(t *testing.T) {
	for _, ec := range []EC{nil, {}} {
		got, err := ec.MarshalBinary()
		if err != nil || len(got) != 0 {
			t.Errorf("MarshalBinary(%#v) = %x, %v; want zero bytes", ec, got, err)
		}
		got, err = ec.AppendBinary([]byte{1})
		if err != nil || !bytes.Equal(got, []byte{1}) {
			t.Errorf("AppendBinary(%#v) = %x, %v; want the input unchanged", ec, got, err)
		}
	}
}

// TestMarshalOrder checks the canonical order is by UTF-8 bytes, including
// keys whose UTF-16 order (what old JavaScript used) differs.
func TestMarshalOrder(t *testing.T) {
	// U+FFFD is EF BF BD in UTF-8 and FFFD in UTF-16; U+1F600 is F0 9F 98 80
	// in UTF-8 and D83D DE00 in UTF-16. UTF-8 order puts U+FFFD first,
	// UTF-16 order puts U+1F600 first.
	keys := []string{
		"\U0001F600", "\uFFFD", "z", "Z", "a", "ab", "", "é", "\u00ff", "\u0100",
		"\uE000", "\U00010000", "aws", "a\x00", "~",
	}
	want := []string{
		"", "Z", "a", "a\x00", "ab", "aws", "z", "~", "\u00e9", "\u00ff", "\u0100",
		"\uE000", "\uFFFD", "\U00010000", "\U0001F600",
	}
	ec := EC{}
	for i, k := range keys {
		ec[k] = strings.Repeat("v", i)
	}
	if got := ec.SortedKeys(); !slices.Equal(got, want) {
		t.Fatalf("SortedKeys = %q, want %q", got, want)
	}
	var pairs []string
	for _, k := range want {
		pairs = append(pairs, k, ec[k])
	}
	got, err := ec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if wantBytes := serialize(pairs...); !bytes.Equal(got, wantBytes) {
		t.Fatalf("MarshalBinary = %x\nwant            %x", got, wantBytes)
	}
	// A pair whose UTF-8 and UTF-16 orders differ.
	got, _ = EC{"\U0001F600": "b", "\uFFFD": "a"}.MarshalBinary()
	if want := serialize("\uFFFD", "a", "\U0001F600", "b"); !bytes.Equal(got, want) {
		t.Fatalf("U+FFFD / U+1F600 order: got %x, want %x", got, want)
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, ec := range []EC{
		{"a": "b"},
		{"": ""},
		{"key": "", "": "value"},
		{"\U0001F600": "😀", "\uFFFD": "\x00\x01", "aws-crypto-public-key": "AAAA"},
		{"k1": strings.Repeat("x", 1000), "k2": strings.Repeat("y", 2000)},
	} {
		b, err := ec.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, off, err := materials.ParseEncryptionContext(b)
		if err != nil || off != 0 || !got.Equal(ec) {
			t.Errorf("ParseEncryptionContext(MarshalBinary(%q)) = %q, %d, %v", ec, got, off, err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want EC
	}{
		{"empty", nil, EC{}},
		{"legacy 00 00", []byte{0, 0}, EC{}},
		{"unsorted", serialize("b", "2", "a", "1"), EC{"a": "1", "b": "2"}},
		{"empty strings", serialize("", ""), EC{"": ""}},
	} {
		got, off, err := materials.ParseEncryptionContext(c.in)
		if err != nil || off != 0 || got == nil || !got.Equal(c.want) {
			t.Errorf("%s: ParseEncryptionContext(%x) = %q, %d, %v; want %q", c.name, c.in, got, off, err, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	valid := serialize("ab", "cd", "ef", "gh")
	for _, c := range []struct {
		name string
		in   []byte
		off  int
	}{
		{"one byte", []byte{0}, 0},
		{"count 0 with extra bytes", []byte{0, 0, 0}, 0},
		{"count 0 with a pair", append([]byte{0, 0}, serialize("a", "b")[2:]...), 0},
		{"impossible count", []byte{0xff, 0xff, 0, 0, 0, 0}, 0},
		{"count 2, one pair", append([]byte{0, 2}, serialize("a", "b")[2:]...), 0},
		{"duplicate key", serialize("a", "1", "a", "2"), 8},
		{"duplicate key, same value", serialize("k", "v", "x", "y", "k", "v"), 14},
		{"invalid UTF-8 key", serialize("\xff", "v"), 2},
		{"invalid UTF-8 value", serialize("k", "\xc3"), 2},
		{"surrogate in key (CESU)", serialize("\xed\xa0\x80", "v"), 2},
		{"overlong encoding", serialize("\xc0\xaf", "v"), 2},
		{"invalid UTF-8 in second pair", serialize("a", "b", "c", "\x80"), 8},
		{"trailing byte", append(bytes.Clone(valid), 0), len(valid)},
		{"trailing pair", append(bytes.Clone(valid), 0, 0, 0, 0), len(valid)},
		{"key length past end", []byte{0, 1, 0, 9, 'a', 0, 0}, 2},
		{"value length past end", []byte{0, 1, 0, 1, 'a', 0, 9}, 2},
		{"partial pair after the last", []byte{0, 1, 0, 1, 'a', 0, 0, 0, 1, 'b', 0}, 7},
	} {
		got, off, err := materials.ParseEncryptionContext(c.in)
		if err == nil {
			t.Errorf("%s: ParseEncryptionContext(%x) = %q, want an error", c.name, c.in, got)
			continue
		}
		if !errors.Is(err, materials.ErrMalformedEncryptionContext) {
			t.Errorf("%s: error %v does not wrap ErrMalformedEncryptionContext", c.name, err)
		}
		if got != nil {
			t.Errorf("%s: returned a context with the error", c.name)
		}
		if off != c.off {
			t.Errorf("%s: error offset %d, want %d (%v)", c.name, off, c.off, err)
		}
	}
	// Every proper non-empty prefix of a valid encoding is truncated.
	for n := 1; n < len(valid); n++ {
		if got, _, err := materials.ParseEncryptionContext(valid[:n]); err == nil {
			t.Errorf("prefix of %d bytes parsed as %q", n, got)
		}
	}
}

func TestMarshalLimits(t *testing.T) {
	big := strings.Repeat("k", 65536)
	for _, c := range []struct {
		name string
		ec   EC
	}{
		{"key longer than 65535", EC{big: ""}},
		{"value longer than 65535", EC{"k": big}},
		{"total longer than 65535", EC{"a": strings.Repeat("x", 40000), "b": strings.Repeat("y", 40000)}},
		{"just over", EC{"k": strings.Repeat("v", 65529)}},
		{"invalid UTF-8 key", EC{"\xff": "v"}},
		{"invalid UTF-8 value", EC{"k": "\xfe"}},
	} {
		if b, err := c.ec.MarshalBinary(); err == nil {
			t.Errorf("%s: MarshalBinary returned %d bytes, want an error", c.name, len(b))
		}
	}
	// 2 (count) + 2 + 1 + 2 + 65528 = 65535 bytes: the largest that fits.
	b, err := EC{"k": strings.Repeat("v", 65528)}.MarshalBinary()
	if err != nil || len(b) != 65535 {
		t.Errorf("largest context: %d bytes, %v", len(b), err)
	}
	if got, _, err := materials.ParseEncryptionContext(b); err != nil || len(got["k"]) != 65528 {
		t.Errorf("largest context does not parse back: %v", err)
	}
	// 65536 pairs cannot be counted in a u16.
	many := make(EC, 65536)
	for i := range 65536 {
		many[string(binary.BigEndian.AppendUint32(nil, uint32(i)))] = ""
	}
	if _, err := many.MarshalBinary(); err == nil {
		t.Error("65536 pairs serialized")
	}
}

func TestSubsetWithout(t *testing.T) {
	ec := EC{"a": "1", "b": "2", "c": "3"}
	orig := ec.Clone()
	if got := ec.Subset([]string{"a", "c", "zz"}); !got.Equal(EC{"a": "1", "c": "3"}) {
		t.Errorf("Subset = %q", got)
	}
	if got := ec.Subset(nil); got == nil || len(got) != 0 {
		t.Errorf("Subset(nil) = %#v, want an empty non-nil context", got)
	}
	if got := ec.Without([]string{"a", "zz"}); !got.Equal(EC{"b": "2", "c": "3"}) {
		t.Errorf("Without = %q", got)
	}
	if got := ec.Without(nil); !got.Equal(ec) {
		t.Errorf("Without(nil) = %q", got)
	}
	// Subset and Without partition the context.
	keys := []string{"b"}
	s, w := ec.Subset(keys), ec.Without(keys)
	for k, v := range s {
		w[k] = v
	}
	if !w.Equal(ec) {
		t.Errorf("Subset ∪ Without = %q, want %q", w, ec)
	}
	// Results are copies.
	s["b"] = "changed"
	if !ec.Equal(orig) {
		t.Errorf("Subset/Without modified the receiver: %q", ec)
	}
	var nilEC EC
	if got := nilEC.Subset([]string{"a"}); len(got) != 0 {
		t.Errorf("nil.Subset = %q", got)
	}
	if got := nilEC.Without([]string{"a"}); len(got) != 0 {
		t.Errorf("nil.Without = %q", got)
	}
}

func TestCheckReserved(t *testing.T) {
	for _, k := range []string{"aws-crypto-public-key", "aws-crypto-", "aws-crypto-anything"} {
		err := EC{"ok": "1", k: "v"}.CheckReserved()
		if !errors.Is(err, materials.ErrReservedEncryptionContextKey) {
			t.Errorf("CheckReserved with %q = %v", k, err)
		}
	}
	for _, ec := range []EC{nil, {}, {"aws-crypto": "v", "AWS-CRYPTO-x": "v", "x-aws-crypto-y": "v", "aws-kms": "v"}} {
		if err := ec.CheckReserved(); err != nil {
			t.Errorf("CheckReserved(%q) = %v", ec, err)
		}
	}
}

func TestCloneEqual(t *testing.T) {
	var nilEC EC
	if nilEC.Clone() != nil {
		t.Error("nil.Clone() is not nil")
	}
	ec := EC{"a": "1"}
	c := ec.Clone()
	c["a"] = "2"
	if ec["a"] != "1" {
		t.Error("Clone shares the map")
	}
	for _, c := range []struct {
		a, b EC
		want bool
	}{
		{nil, EC{}, true},
		{EC{"a": "1"}, EC{"a": "1"}, true},
		{EC{"a": "1"}, EC{"a": "2"}, false},
		{EC{"a": "1"}, EC{"b": "1"}, false},
		{EC{"a": ""}, EC{}, false},
		{EC{"a": "1"}, EC{"a": "1", "b": "2"}, false},
	} {
		if c.a.Equal(c.b) != c.want || c.b.Equal(c.a) != c.want {
			t.Errorf("Equal(%q, %q) != %v", c.a, c.b, c.want)
		}
	}
}

// TestMergeReproduced follows spec-keyrings §4.1 step 2 and §4.5: equal
// shared pairs, added pairs become required keys, mismatches fail.
func TestMergeReproduced(t *testing.T) {
	stored := EC{"a": "1", "b": "2"}
	storedCopy := stored.Clone()
	reproduced := EC{"d": "4", "b": "2", "c": "3"}
	ec, req, err := materials.MergeReproduced(stored, reproduced)
	if err != nil {
		t.Fatal(err)
	}
	if !ec.Equal(EC{"a": "1", "b": "2", "c": "3", "d": "4"}) {
		t.Errorf("merged = %q", ec)
	}
	if !slices.Equal(req, []string{"c", "d"}) {
		t.Errorf("required = %q, want [c d] in canonical order", req)
	}
	if !stored.Equal(storedCopy) {
		t.Errorf("MergeReproduced modified the stored context: %q", stored)
	}

	if _, _, err := materials.MergeReproduced(stored, EC{"b": "other"}); !errors.Is(err, materials.ErrEncryptionContextMismatch) {
		t.Errorf("mismatch: %v", err)
	}
	if _, _, err := materials.MergeReproduced(stored, EC{"b": ""}); !errors.Is(err, materials.ErrEncryptionContextMismatch) {
		t.Errorf("mismatch with empty value: %v", err)
	}
	ec, req, err = materials.MergeReproduced(stored, nil)
	if err != nil || req != nil || !ec.Equal(stored) {
		t.Errorf("nil reproduced: %q, %q, %v", ec, req, err)
	}
	ec, req, err = materials.MergeReproduced(nil, EC{"x": "y"})
	if err != nil || !slices.Equal(req, []string{"x"}) || !ec.Equal(EC{"x": "y"}) {
		t.Errorf("nil stored: %q, %q, %v", ec, req, err)
	}
	ec, _, err = materials.MergeReproduced(nil, nil)
	if err != nil || ec == nil {
		t.Errorf("nil, nil: %#v, %v; want an empty non-nil context", ec, err)
	}
	// The result is a new map.
	ec, _, _ = materials.MergeReproduced(stored, reproduced)
	ec["a"] = "changed"
	if stored["a"] != "1" {
		t.Error("merged context shares the stored map")
	}
}

func TestEncryptedDataKeyEqual(t *testing.T) {
	k := materials.EncryptedDataKey{ProviderID: "p", ProviderInfo: []byte{1}, Ciphertext: []byte{2}}
	if !k.Equal(materials.EncryptedDataKey{ProviderID: "p", ProviderInfo: []byte{1}, Ciphertext: []byte{2}}) {
		t.Error("equal keys differ")
	}
	for _, o := range []materials.EncryptedDataKey{
		{ProviderID: "q", ProviderInfo: []byte{1}, Ciphertext: []byte{2}},
		{ProviderID: "p", ProviderInfo: []byte{2}, Ciphertext: []byte{2}},
		{ProviderID: "p", ProviderInfo: []byte{1}, Ciphertext: []byte{2, 0}},
	} {
		if k.Equal(o) {
			t.Errorf("%v equals %v", k, o)
		}
	}
}

// TestParseLongerThanSerializable documents an asymmetry: the parser has
// no length bound of its own, so input longer than MaxSerializedLen (which
// no header can carry) parses into a context that MarshalBinary rejects.
// Only format calls the parser, always with at most 65535 bytes, so this is
// unreachable from a message today.
func TestParseLongerThanSerializable(t *testing.T) {
	b := serialize(strings.Repeat("k", 40000), "", strings.Repeat("l", 40000), "")
	ec, _, err := materials.ParseEncryptionContext(b)
	if err != nil {
		t.Skipf("parser now bounds its input: %v", err)
	}
	if _, err := ec.MarshalBinary(); err == nil {
		t.Error("a context of more than 65535 serialized bytes was written")
	}
	t.Logf("ParseEncryptionContext accepted %d bytes (> %d)", len(b), materials.MaxSerializedLen)
}
