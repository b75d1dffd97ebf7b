package materials

import (
	"errors"
	"strings"
)

var (
	// ErrReservedEncryptionContextKey means the caller's encryption context
	// uses a key starting with "aws-crypto-".
	ErrReservedEncryptionContextKey = errors.New("materials: encryption context key uses the reserved prefix aws-crypto-")
	// ErrEncryptionContextMismatch means the encryption context the caller
	// expects does not match the message's.
	ErrEncryptionContextMismatch = errors.New("materials: encryption context does not match the expected encryption context")
	// ErrCommitmentPolicy means the commitment policy forbids the suite.
	ErrCommitmentPolicy = errors.New("materials: commitment policy does not allow the algorithm suite")
	// ErrInvalidMaterials means a keyring or manager returned materials that
	// break the rules (wrong key length, no encrypted data key, ...).
	ErrInvalidMaterials = errors.New("materials: invalid materials")
	// ErrPlaintextDataKeyPresent means a keyring was asked to decrypt, or a
	// generator to generate, when the materials already hold a data key.
	ErrPlaintextDataKeyPresent = errors.New("materials: materials already hold a plaintext data key")
	// ErrEncryptNotSupported means the keyring cannot encrypt (for example a
	// raw RSA keyring without a public key).
	ErrEncryptNotSupported = errors.New("materials: keyring cannot encrypt")
	// ErrDecryptNotSupported means the keyring cannot decrypt (for example a
	// raw RSA keyring without a private key).
	ErrDecryptNotSupported = errors.New("materials: keyring cannot decrypt")
)

// NoDecryptableKeyError is returned when no encrypted data key of a message
// could be decrypted. Errs holds the failure of each key that was tried (it
// is empty when no key matched the keyring at all); Reason says what the
// keyring looked for.
type NoDecryptableKeyError struct {
	Reason string
	Errs   []error
}

func (e *NoDecryptableKeyError) Error() string {
	var b strings.Builder
	b.WriteString("materials: no encrypted data key could be decrypted")
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	for i, err := range e.Errs {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
		if i == len(e.Errs)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// Unwrap returns the per-key failures.
func (e *NoDecryptableKeyError) Unwrap() []error { return e.Errs }
