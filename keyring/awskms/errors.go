package awskms

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformedProviderInfo means a message holds an encrypted data key
	// with provider ID "aws-kms" whose provider info is not a key ARN. The
	// AWS KMS keyrings then refuse the whole message, as the specification
	// requires, rather than skip the key.
	ErrMalformedProviderInfo = errors.New("awskms: aws-kms encrypted data key does not name a key ARN")
	// ErrInvalidResponse means AWS KMS answered with something the keyring
	// cannot accept: a KeyId that is not a key ARN or not the key asked
	// for, or a data key of the wrong length.
	ErrInvalidResponse = errors.New("awskms: invalid response from AWS KMS")
	// ErrDecryptNeedsKeyARN is in the error of a keyring configured with
	// an alias or a key ID that found no encrypted data key to decrypt: a
	// message records the key ARN of each AWS KMS key, so only a keyring
	// configured with that ARN (or a discovery keyring) can find it.
	ErrDecryptNeedsKeyARN = errors.New("awskms: decrypting needs the key ARN")
)

// KMSError is an AWS KMS call that failed. Err is the error of the AWS
// SDK, so errors.As finds the SDK's types (for example
// *types.InvalidCiphertextException or *smithy.OperationError), and
// errors.Is finds context.Canceled or context.DeadlineExceeded when the
// context ended the call.
type KMSError struct {
	// Op is the KMS operation: "GenerateDataKey", "Encrypt" or "Decrypt".
	Op string
	// KeyID is the KeyId the request named.
	KeyID string
	Err   error
}

// Error names the operation and the key, followed by the AWS SDK error.
func (e *KMSError) Error() string {
	return fmt.Sprintf("awskms: %s with %s: %v", e.Op, e.KeyID, e.Err)
}

// Unwrap returns e.Err.
func (e *KMSError) Unwrap() error { return e.Err }
