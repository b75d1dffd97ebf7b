package encryptsdk

import (
	"errors"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
	"github.com/go-esdk/esdk/materials"
)

// Errors for use with errors.Is. Parse errors are [*format.ParseError]
// values wrapping the format sentinels re-exported here.
var (
	// ErrCommitmentPolicy: the commitment policy forbids the message's suite.
	ErrCommitmentPolicy = materials.ErrCommitmentPolicy
	// ErrCommitmentMismatch: the header's key commitment does not match the
	// data key (tampering, or a message made to decrypt differently under
	// different keys).
	ErrCommitmentMismatch = algorithms.ErrCommitmentMismatch
	// ErrHeaderAuthentication: the header's authentication tag did not
	// verify.
	ErrHeaderAuthentication = errors.New("encryptsdk: header authentication failed")
	// ErrFrameAuthentication: a frame's authentication tag did not verify.
	ErrFrameAuthentication = frame.ErrAuthentication
	// ErrSignature: the message signature did not verify.
	ErrSignature = algorithms.ErrSignature
	// ErrSignedMessage: DecryptOptions.UnsignedOnly was set and the message
	// is signed.
	ErrSignedMessage = errors.New("encryptsdk: message is signed and only unsigned messages are accepted")
	// ErrTrailingData: bytes follow the end of the message.
	ErrTrailingData = format.ErrTrailingData
	// ErrTruncated: the input ended before the message did.
	ErrTruncated = format.ErrTruncated
	// ErrTooManyEncryptedDataKeys: more encrypted data keys than
	// Client.MaxEncryptedDataKeys.
	ErrTooManyEncryptedDataKeys = format.ErrTooManyEncryptedDataKeys
	// ErrBodyTooLarge: a frame or body is larger than DecryptOptions.MaxBodySize.
	ErrBodyTooLarge = format.ErrBodyTooLarge
	// ErrEncryptionContextMismatch: the expected encryption context does not
	// match the message's.
	ErrEncryptionContextMismatch = materials.ErrEncryptionContextMismatch
	// ErrReservedEncryptionContextKey: an encryption context key starts with
	// "aws-crypto-".
	ErrReservedEncryptionContextKey = materials.ErrReservedEncryptionContextKey
	// ErrClosed: the stream was used after Close or after an error.
	ErrClosed = errors.New("encryptsdk: stream is closed")
	// ErrPlaintextLength: the plaintext length differs from
	// EncryptOptions.PlaintextLength.
	ErrPlaintextLength = errors.New("encryptsdk: plaintext length differs from the declared length")
	// ErrFIPSUnapproved: FIPS 140-only mode (GODEBUG=fips140=only) refuses
	// the operation or configuration; the error names the reason.
	ErrFIPSUnapproved = algorithms.ErrFIPSUnapproved
	// ErrFIPSEncrypt: encryption in FIPS 140-only mode (it wraps
	// ErrFIPSUnapproved). The message format's frame IVs are sequence
	// numbers, and Go has no approved AES-GCM API with counter IVs until
	// golang/go#73110; decryption works.
	ErrFIPSEncrypt = algorithms.ErrFIPSEncrypt
)

// NoDecryptableKeyError is returned when the keyring could decrypt none of
// the message's encrypted data keys (the wrong key, or the wrong
// encryption context for it).
type NoDecryptableKeyError = materials.NoDecryptableKeyError

// fipsOnly reports whether FIPS 140-only mode is enforced; the encryption
// entry points check it first.
func fipsOnly() bool { return algorithms.FIPSOnly() }
