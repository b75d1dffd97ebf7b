package algorithms_test

import (
	"crypto/elliptic"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
)

// suiteRow is one row of the ESDK suite table (research/spec-format.md §1.1),
// written out by hand so that the test does not share data with the code.
type suiteRow struct {
	id           algorithms.ID
	name         string
	format       int
	keyLen       int
	kdf          algorithms.KDF
	kdfHashSize  int // 0 for the identity KDF
	curve        elliptic.Curve
	sigHashSize  int
	committing   bool
	suiteDataLen int
	messageIDLen int
	signatureLen int
}

var suiteTable = []suiteRow{
	{0x0014, "AES_128_GCM_IV12_TAG16_NO_KDF", 1, 16, algorithms.KDFIdentity, 0, nil, 0, false, 0, 16, 0},
	{0x0046, "AES_192_GCM_IV12_TAG16_NO_KDF", 1, 24, algorithms.KDFIdentity, 0, nil, 0, false, 0, 16, 0},
	{0x0078, "AES_256_GCM_IV12_TAG16_NO_KDF", 1, 32, algorithms.KDFIdentity, 0, nil, 0, false, 0, 16, 0},
	{0x0114, "AES_128_GCM_IV12_TAG16_HKDF_SHA256", 1, 16, algorithms.KDFHKDF, 32, nil, 0, false, 0, 16, 0},
	{0x0146, "AES_192_GCM_IV12_TAG16_HKDF_SHA256", 1, 24, algorithms.KDFHKDF, 32, nil, 0, false, 0, 16, 0},
	{0x0178, "AES_256_GCM_IV12_TAG16_HKDF_SHA256", 1, 32, algorithms.KDFHKDF, 32, nil, 0, false, 0, 16, 0},
	{0x0214, "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256", 1, 16, algorithms.KDFHKDF, 32, elliptic.P256(), 32, false, 0, 16, 71},
	{0x0346, "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", 1, 24, algorithms.KDFHKDF, 48, elliptic.P384(), 48, false, 0, 16, 103},
	{0x0378, "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", 1, 32, algorithms.KDFHKDF, 48, elliptic.P384(), 48, false, 0, 16, 103},
	{0x0478, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY", 2, 32, algorithms.KDFHKDFCommit, 64, nil, 0, true, 32, 32, 0},
	{0x0578, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", 2, 32, algorithms.KDFHKDFCommit, 64, elliptic.P384(), 48, true, 32, 32, 103},
}

func TestSuiteTable(t *testing.T) {
	all := algorithms.All()
	if len(all) != len(suiteTable) {
		t.Fatalf("All() has %d suites, want %d", len(all), len(suiteTable))
	}
	for i, row := range suiteTable {
		s, err := algorithms.Lookup(row.id)
		if err != nil {
			t.Fatalf("Lookup(0x%04x): %v", uint16(row.id), err)
		}
		if all[i].ID() != s.ID() {
			t.Errorf("All()[%d] = %v, want 0x%04x (ascending order)", i, all[i], uint16(row.id))
		}
		if s.ID() != row.id {
			t.Errorf("0x%04x: ID = 0x%04x", uint16(row.id), uint16(s.ID()))
		}
		if got := s.ID().String(); got != row.name {
			t.Errorf("0x%04x: String() = %q, want %q", uint16(row.id), got, row.name)
		}
		if got := s.String(); got != row.name {
			t.Errorf("0x%04x: Suite.String() = %q, want %q", uint16(row.id), got, row.name)
		}
		if s.MessageFormat() != row.format {
			t.Errorf("%v: MessageFormat = %d, want %d", s, s.MessageFormat(), row.format)
		}
		if s.KeyLen() != row.keyLen {
			t.Errorf("%v: KeyLen = %d, want %d", s, s.KeyLen(), row.keyLen)
		}
		if s.KDF() != row.kdf {
			t.Errorf("%v: KDF = %d, want %d", s, s.KDF(), row.kdf)
		}
		switch {
		case row.kdfHashSize == 0 && s.KDFHash() != nil:
			t.Errorf("%v: KDFHash set for the identity KDF", s)
		case row.kdfHashSize != 0 && s.KDFHash() == nil:
			t.Errorf("%v: KDFHash is nil", s)
		case row.kdfHashSize != 0 && s.KDFHash().Size() != row.kdfHashSize:
			t.Errorf("%v: KDF hash size = %d, want %d", s, s.KDFHash().Size(), row.kdfHashSize)
		}
		if s.Curve() != row.curve {
			t.Errorf("%v: Curve = %v, want %v", s, s.Curve(), row.curve)
		}
		switch {
		case row.sigHashSize == 0 && s.SignatureHash() != nil:
			t.Errorf("%v: SignatureHash set for an unsigned suite", s)
		case row.sigHashSize != 0 && s.SignatureHash() == nil:
			t.Errorf("%v: SignatureHash is nil", s)
		case row.sigHashSize != 0 && s.SignatureHash().Size() != row.sigHashSize:
			t.Errorf("%v: signature hash size = %d, want %d", s, s.SignatureHash().Size(), row.sigHashSize)
		}
		if s.Signed() != (row.curve != nil) {
			t.Errorf("%v: Signed() = %v", s, s.Signed())
		}
		if s.Committing() != row.committing {
			t.Errorf("%v: Committing() = %v, want %v", s, s.Committing(), row.committing)
		}
		// Committing suites are exactly those with high byte 4 or 5.
		if hb := uint16(s.ID()) >> 8; (hb == 4 || hb == 5) != s.Committing() {
			t.Errorf("%v: high byte %d disagrees with Committing()", s, hb)
		}
		if s.SuiteDataLen() != row.suiteDataLen {
			t.Errorf("%v: SuiteDataLen = %d, want %d", s, s.SuiteDataLen(), row.suiteDataLen)
		}
		if s.MessageIDLen() != row.messageIDLen {
			t.Errorf("%v: MessageIDLen() = %d, want %d", s, s.MessageIDLen(), row.messageIDLen)
		}
		if s.SignatureLen() != row.signatureLen {
			t.Errorf("%v: SignatureLen() = %d, want %d", s, s.SignatureLen(), row.signatureLen)
		}
		// The 0x0578 suite hashes its KDF with SHA-512 but signs with SHA-384.
		if row.id == 0x0578 && (s.KDFHash().Size() != 64 || s.SignatureHash().Size() != 48) {
			t.Errorf("0x0578 must use HKDF-SHA512 and an ECDSA SHA-384 signature")
		}
	}
	if algorithms.IVLen != 12 || algorithms.TagLen != 16 {
		t.Errorf("IVLen, TagLen = %d, %d; want 12, 16", algorithms.IVLen, algorithms.TagLen)
	}
}

func TestNamedConstants(t *testing.T) {
	for _, c := range []struct {
		id   algorithms.ID
		want uint16
	}{
		{algorithms.AES_128_GCM_IV12_TAG16_NO_KDF, 0x0014},
		{algorithms.AES_192_GCM_IV12_TAG16_NO_KDF, 0x0046},
		{algorithms.AES_256_GCM_IV12_TAG16_NO_KDF, 0x0078},
		{algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256, 0x0114},
		{algorithms.AES_192_GCM_IV12_TAG16_HKDF_SHA256, 0x0146},
		{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256, 0x0178},
		{algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256, 0x0214},
		{algorithms.AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, 0x0346},
		{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, 0x0378},
		{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 0x0478},
		{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, 0x0578},
	} {
		if uint16(c.id) != c.want {
			t.Errorf("%v = 0x%04x, want 0x%04x", c.id, uint16(c.id), c.want)
		}
	}
}

func TestLookupRejects(t *testing.T) {
	for _, id := range []uint16{
		0x0000,                                 // reserved
		0x0070, 0x0071, 0x0072, 0x0073, 0x0074, // S3EC suites of the MPL
		0x6700, 0x6701, // DB-ESDK suites of the MPL
		0x0015, 0x0079, 0x0115, 0x0279, 0x0479, 0x0678, 0x7800, 0x7805, 0xffff,
	} {
		s, err := algorithms.Lookup(algorithms.ID(id))
		if err == nil || s.ID() != 0 {
			t.Errorf("Lookup(0x%04x) = %v, %v; want an error", id, s, err)
		}
		if got := algorithms.ID(id).String(); !strings.EqualFold(got, "0x"+strings.TrimPrefix(hex4(id), "0x")) {
			t.Errorf("ID(0x%04x).String() = %q, want the hex form", id, got)
		}
	}
}

func hex4(v uint16) string {
	const digits = "0123456789abcdef"
	return "0x" + string([]byte{digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

func TestParseID(t *testing.T) {
	for _, row := range suiteTable {
		h := hex4(uint16(row.id))
		for _, in := range []string{
			row.name,
			"ALG_" + row.name,
			strings.ToLower(row.name),
			"  " + row.name + "\n",
			h,                  // 0x0578
			strings.ToUpper(h), // 0X0578
			h[2:],              // 0578
			strings.ToUpper(h[2:]),
		} {
			got, err := algorithms.ParseID(in)
			if err != nil || got != row.id {
				t.Errorf("ParseID(%q) = 0x%04x, %v; want 0x%04x", in, uint16(got), err, uint16(row.id))
			}
		}
		// String round trip.
		if got, err := algorithms.ParseID(row.id.String()); err != nil || got != row.id {
			t.Errorf("ParseID(%v.String()) = %v, %v", row.id, got, err)
		}
	}
	for _, in := range []string{
		"", " ", "junk", "AES", "AES_256_GCM", "ALG_", "0x", "0x0", "0x00", "0x0000",
		"0x0070", "0x6700", "6701", "0x05780", "005780", "0xzzzz", "0x+578", "-0578",
		"AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P256", "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_",
		"0x0578 0x0478", "0x 578",
	} {
		if got, err := algorithms.ParseID(in); err == nil {
			t.Errorf("ParseID(%q) = 0x%04x, want an error", in, uint16(got))
		}
	}
}

// TestSuitesAreValues: what Lookup and All return are copies; a caller
// that overwrites them changes nothing for anyone else.
func TestSuitesAreValues(t *testing.T) {
	all := algorithms.All()
	for i := range all {
		all[i] = algorithms.Suite{}
	}
	s, err := algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384)
	if err != nil || s.KeyLen() != 32 || !s.Signed() || !s.Committing() {
		t.Fatalf("Lookup after overwriting All's result: %v, %v", s, err)
	}
	if again := algorithms.All(); again[0].ID() != algorithms.AES_128_GCM_IV12_TAG16_NO_KDF {
		t.Errorf("All()[0] = %v after a caller overwrote an earlier result", again[0])
	}
	var zero algorithms.Suite
	if zero.ID() != 0 || zero.Signed() || zero.SignatureHash() != nil || zero.KDFHash() != nil {
		t.Error("the zero Suite is not an empty suite")
	}
}
