// Package clierr is the one error type of encrypt-cli: an error the CLI
// reports itself, with an optional hint for the user and a class that
// decides the exit status (2 for a mistake in the command line, 1 for an
// operation that failed).
//
// Errors of the library are not wrapped in it; the CLI explains them by
// their sentinels (errors.Is) where it prints them.
package clierr

import (
	"errors"
	"fmt"
)

// Error is a failure with a hint.
type Error struct {
	Err   error  // what failed
	Hint  string // what to do about it; may be empty
	Usage bool   // a mistake in the command line (exit status 2)
}

// Error returns the message of Err; the hint is printed separately.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Usagef returns a usage error with no hint.
func Usagef(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...), Usage: true}
}

// Usage returns a usage error with a hint.
func Usage(msg, hint string) error {
	return &Error{Err: errors.New(msg), Hint: hint, Usage: true}
}

// WithHint returns err, failing an operation (exit status 1), with a hint.
func WithHint(err error, hint string) error { return &Error{Err: err, Hint: hint} }

// AsUsage returns err as a usage error: an *Error keeps its hint and
// becomes a usage error; anything else is wrapped.
func AsUsage(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Err: e.Err, Hint: e.Hint, Usage: true}
	}
	return &Error{Err: err, Usage: true}
}

// Hint returns the hint of the first *Error in err's chain, or "".
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Usage
}
