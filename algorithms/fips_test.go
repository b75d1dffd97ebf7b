package algorithms_test

import (
	"crypto"
	"crypto/fips140"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
)

// TestFIPSOnlyAlgorithms runs the known-answer tests of the suites' key
// derivations (HKDF-SHA256/384/512, the identity KDF, key commitment) and
// the ECDSA P-256/P-384 signature tests; scripts/test runs it with
// GODEBUG=fips140=only, where Go's module would refuse a non-approved
// use of them.
func TestFIPSOnlyAlgorithms(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"DeriveKeysKnownAnswer", TestDeriveKeysKnownAnswer},
		{"DeriveKeysIdentity", TestDeriveKeysIdentity},
		{"DeriveKeysFixed", TestDeriveKeysFixed},
		{"DeriveKeysNetV400", TestDeriveKeysNetV400},
		{"CommitmentKnownAnswers", TestCommitmentKnownAnswers},
		{"PublicKeyRoundTrip", TestPublicKeyRoundTrip},
		{"SignFixedLength", TestSignFixedLength},
		{"VerifyRejects", TestVerifyRejects},
		{"VerifyAnyLength", TestVerifyAnyLength},
	} {
		t.Run(c.name, c.f)
	}
}

// TestFIPSOnlyCheckRSA: CheckFIPSRSA refuses, in FIPS 140-only mode only,
// PKCS #1 v1.5, OAEP-SHA1 and the RSA keys Go's module refuses.
func TestFIPSOnlyCheckRSA(t *testing.T) {
	only := fips140.Enforced()
	if algorithms.FIPSOnly() != only {
		t.Fatalf("FIPSOnly() = %v, crypto/fips140.Enforced() = %v", algorithms.FIPSOnly(), only)
	}
	one := big.NewInt(1)
	n2048 := new(big.Int).Add(new(big.Int).Lsh(one, 2047), one)
	good := &rsa.PublicKey{N: n2048, E: 65537}
	for _, c := range []struct {
		what string
		pub  *rsa.PublicKey
		h    crypto.Hash
		ok   bool
	}{
		{"OAEP-SHA256", good, crypto.SHA256, true},
		{"OAEP-SHA384", good, crypto.SHA384, true},
		{"OAEP-SHA512", good, crypto.SHA512, true},
		{"OAEP-SHA256 without key", nil, crypto.SHA256, true},
		{"PKCS #1 v1.5", good, 0, false},
		{"OAEP-SHA1", good, crypto.SHA1, false},
		{"1024-bit key", &rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(one, 1023), one), E: 65537}, crypto.SHA256, false},
		{"2049-bit key", &rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(one, 2048), one), E: 65537}, crypto.SHA256, false},
		{"exponent 3", &rsa.PublicKey{N: n2048, E: 3}, crypto.SHA256, false},
		{"exponent 65536", &rsa.PublicKey{N: n2048, E: 65536}, crypto.SHA256, false},
		{"exponent 65538", &rsa.PublicKey{N: n2048, E: 65538}, crypto.SHA256, false},
	} {
		err := algorithms.CheckFIPSRSA(c.pub, c.h)
		switch {
		case !only || c.ok:
			if err != nil {
				t.Errorf("%s: %v", c.what, err)
			}
		case !errors.Is(err, algorithms.ErrFIPSUnapproved):
			t.Errorf("%s: got %v, want an error wrapping ErrFIPSUnapproved", c.what, err)
		}
	}
}
