package kdf

import (
	"crypto"
	"crypto/fips140"
	"errors"
	"testing"
)

// TestFIPSOnlyKDF runs the NIST CAVP known answers of the SP 800-108
// counter-mode KDF (HMAC-SHA256 and HMAC-SHA384), and checks that a key
// too short for HMAC in FIPS 140-only mode is an error there, not the
// panic of crypto/hmac. scripts/test runs it with GODEBUG=fips140=only.
func TestFIPSOnlyKDF(t *testing.T) {
	t.Run("KnownAnswers", TestKnownAnswers)
	t.Run("SeveralBlocks", TestSeveralBlocks)
	_, err := CounterModeFixed(crypto.SHA256, make([]byte, 13), []byte("fixed"), 32)
	if fips140.Enforced() != errors.Is(err, ErrInvalidInput) {
		t.Errorf("13-byte key, FIPS 140-only mode %v: got %v", fips140.Enforced(), err)
	}
	if _, err := CounterModeFixed(crypto.SHA256, make([]byte, 14), []byte("fixed"), 32); err != nil {
		t.Errorf("14-byte key: %v", err)
	}
}
