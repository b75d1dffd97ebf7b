package pkcs11

import (
	"errors"
	"fmt"

	p11 "github.com/miekg/pkcs11"
)

// Errors returned by this package, usable with [errors.Is].
var (
	// ErrModule: the PKCS #11 module path is empty, missing, or not a
	// loadable PKCS #11 library.
	ErrModule = errors.New("pkcs11: PKCS #11 module not available")
	// ErrTokenNotFound: no token has the requested label, or the slot has
	// no token.
	ErrTokenNotFound = errors.New("pkcs11: token not found")
	// ErrWrongPIN: the token rejected the PIN.
	ErrWrongPIN = errors.New("pkcs11: wrong PIN")
	// ErrPINLocked: the token's user PIN is locked.
	ErrPINLocked = errors.New("pkcs11: PIN locked")
	// ErrKeyNotFound: no key object matches the label or ID, or the key
	// was removed from the token.
	ErrKeyNotFound = errors.New("pkcs11: key not found on the token")
	// ErrAmbiguousKey: more than one key object matches the label or ID.
	ErrAmbiguousKey = errors.New("pkcs11: more than one key matches")
	// ErrUnsupportedMechanism: the token does not offer the mechanism (or
	// its parameters) a keyring needs.
	ErrUnsupportedMechanism = errors.New("pkcs11: mechanism not supported by the token")
	// ErrClosed: the Token was closed.
	ErrClosed = errors.New("pkcs11: token closed")
	// ErrConfig: the configuration is invalid.
	ErrConfig = errors.New("pkcs11: invalid configuration")
)

// rvIs reports whether err carries one of the return values codes.
func rvIs(err error, codes ...uint) bool {
	var e p11.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if uint(e) == c {
			return true
		}
	}
	return false
}

// keyGone reports whether err says the key object no longer exists.
func keyGone(err error) bool {
	return rvIs(err, p11.CKR_KEY_HANDLE_INVALID, p11.CKR_OBJECT_HANDLE_INVALID)
}

// mechanismRejected reports whether err says the token refuses the
// mechanism or its parameters.
func mechanismRejected(err error) bool {
	return rvIs(err, p11.CKR_MECHANISM_INVALID, p11.CKR_MECHANISM_PARAM_INVALID, p11.CKR_KEY_FUNCTION_NOT_PERMITTED, p11.CKR_KEY_TYPE_INCONSISTENT)
}

// dataIndependent reports whether err is a failure that does not depend
// on the ciphertext (a missing key, a refused mechanism, a lost session or
// device), so reporting it reveals nothing about the ciphertext.
func dataIndependent(err error) bool {
	return keyGone(err) || mechanismRejected(err) || rvIs(err,
		p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED, p11.CKR_USER_NOT_LOGGED_IN,
		p11.CKR_DEVICE_REMOVED, p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_CRYPTOKI_NOT_INITIALIZED,
		p11.CKR_DEVICE_ERROR, p11.CKR_DEVICE_MEMORY, p11.CKR_HOST_MEMORY)
}

// classify wraps a token error in this package's sentinel where one fits.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case keyGone(err):
		return fmt.Errorf("%w: %w", ErrKeyNotFound, err)
	case mechanismRejected(err):
		return fmt.Errorf("%w: %w", ErrUnsupportedMechanism, err)
	}
	return err
}
