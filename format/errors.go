package format

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by [ParseError].
var (
	// ErrTruncated means the input ended before the message did.
	ErrTruncated = errors.New("message is truncated")
	// ErrTooManyEncryptedDataKeys means the header's encrypted data key
	// count is above the configured limit.
	ErrTooManyEncryptedDataKeys = errors.New("too many encrypted data keys")
	// ErrHeaderTooLarge means the header is larger than the configured limit.
	ErrHeaderTooLarge = errors.New("header is larger than the limit")
	// ErrBodyTooLarge means a frame or non-framed body is larger than the
	// configured limit.
	ErrBodyTooLarge = errors.New("body is larger than the limit")
	// ErrTrailingData means bytes follow the end of the message.
	ErrTrailingData = errors.New("data follows the end of the message")
	// ErrBase64 means the input looks like a base64-encoded message.
	ErrBase64 = errors.New("input looks base64-encoded; decode it first")
	// ErrMalformed means a field holds a value the format does not allow.
	ErrMalformed = errors.New("malformed message")
)

// ParseError reports what is wrong with a message and where: the field
// name and the byte offset of the field from the start of the message.
type ParseError struct {
	Field  string
	Offset int64
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("format: %s at byte %d: %v", e.Field, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }
