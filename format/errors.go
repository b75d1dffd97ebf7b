package format

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors wrapped by [ParseError]. Like every error of the module,
// their text starts with the name of the package that defines them.
var (
	// ErrTruncated means the input ended before the message did.
	ErrTruncated = errors.New("format: message is truncated")
	// ErrTooManyEncryptedDataKeys means the header's encrypted data key
	// count is above the configured limit.
	ErrTooManyEncryptedDataKeys = errors.New("format: too many encrypted data keys")
	// ErrHeaderTooLarge means the header is larger than the configured limit.
	ErrHeaderTooLarge = errors.New("format: header is larger than the limit")
	// ErrBodyTooLarge means a frame or non-framed body is larger than the
	// configured limit.
	ErrBodyTooLarge = errors.New("format: body is larger than the limit")
	// ErrTrailingData means bytes follow the end of the message.
	ErrTrailingData = errors.New("format: data follows the end of the message")
	// ErrBase64 means the input looks like a base64-encoded message.
	ErrBase64 = errors.New("format: input looks base64-encoded; decode it first")
	// ErrMalformed means a field holds a value the format does not allow.
	ErrMalformed = errors.New("format: malformed message")
)

// ParseError reports what is wrong with a message and where: the field
// name and the byte offset of the field from the start of the message.
type ParseError struct {
	Field  string
	Offset int64
	Err    error
}

// Error returns "format: FIELD at byte OFFSET: " and the underlying error
// (without a second "format: " prefix).
func (e *ParseError) Error() string {
	return fmt.Sprintf("format: %s at byte %d: %s", e.Field, e.Offset, strings.TrimPrefix(fmt.Sprint(e.Err), "format: "))
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }
