package algorithms

import "fmt"

// CommitmentPolicy says which suites may encrypt and which may decrypt.
// The zero value is RequireEncryptRequireDecrypt, the ESDK default.
type CommitmentPolicy int

// The three ESDK commitment policies.
const (
	// RequireEncryptRequireDecrypt encrypts and decrypts only with committing
	// suites. It is the default.
	RequireEncryptRequireDecrypt CommitmentPolicy = iota
	// RequireEncryptAllowDecrypt encrypts with committing suites and decrypts
	// messages of any suite.
	RequireEncryptAllowDecrypt
	// ForbidEncryptAllowDecrypt encrypts only with non-committing suites (for
	// readers that predate key commitment) and decrypts any suite.
	ForbidEncryptAllowDecrypt
)

var policyNames = [...]string{"REQUIRE_ENCRYPT_REQUIRE_DECRYPT", "REQUIRE_ENCRYPT_ALLOW_DECRYPT", "FORBID_ENCRYPT_ALLOW_DECRYPT"}

// String returns the policy's ESDK name, such as REQUIRE_ENCRYPT_REQUIRE_DECRYPT.
func (p CommitmentPolicy) String() string {
	if p >= 0 && int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("CommitmentPolicy(%d)", int(p))
}

// ParseCommitmentPolicy accepts an ESDK policy name, in any case and with
// dashes or underscores.
func ParseCommitmentPolicy(s string) (CommitmentPolicy, error) {
	for i, n := range policyNames {
		if equalFoldDash(s, n) {
			return CommitmentPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("algorithms: unknown commitment policy %q", s)
}

func equalFoldDash(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '-' {
			x = '_'
		}
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Valid reports whether p is one of the three policies.
func (p CommitmentPolicy) Valid() bool { return p >= 0 && int(p) < len(policyNames) }

// AllowsEncrypt reports whether the policy allows encrypting with s.
func (p CommitmentPolicy) AllowsEncrypt(s Suite) bool {
	if p == ForbidEncryptAllowDecrypt {
		return !s.Committing()
	}
	return s.Committing()
}

// AllowsDecrypt reports whether the policy allows decrypting messages of s.
func (p CommitmentPolicy) AllowsDecrypt(s Suite) bool {
	return p != RequireEncryptRequireDecrypt || s.Committing()
}

// DefaultSuite is the suite used to encrypt when none is requested: 0x0578
// under the Require policies and 0x0378 under ForbidEncryptAllowDecrypt, as
// every official ESDK does.
func (p CommitmentPolicy) DefaultSuite() ID {
	if p == ForbidEncryptAllowDecrypt {
		return AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384
	}
	return AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
}
