// Package materials is the vocabulary shared by keyrings, materials managers
// and the message layer: encryption contexts, encrypted data keys,
// encryption and decryption materials, the [Keyring] and [Manager]
// interfaces, and the default and required-encryption-context managers.
package materials

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// EncryptionContext is the set of non-secret key-value pairs bound to a
// message. Keys and values are UTF-8 strings.
type EncryptionContext map[string]string

// ReservedPrefix starts every encryption context key that the SDK itself
// writes. Callers may not use such keys when encrypting.
const ReservedPrefix = "aws-crypto-"

// MaxSerializedLen is the largest serialized encryption context a message
// header can carry.
const MaxSerializedLen = 0xffff

// Clone returns a copy of ec (nil stays nil).
func (ec EncryptionContext) Clone() EncryptionContext {
	if ec == nil {
		return nil
	}
	out := make(EncryptionContext, len(ec))
	for k, v := range ec {
		out[k] = v
	}
	return out
}

// SortedKeys returns the keys in canonical order: ascending by their UTF-8
// bytes.
func (ec EncryptionContext) SortedKeys() []string {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys) // Go compares strings byte-wise, which is UTF-8 byte order.
	return keys
}

// AppendBinary appends the canonical serialization of ec to b: nothing for
// an empty context, otherwise a u16 pair count followed by the pairs sorted
// by key, each as u16 length || key || u16 length || value.
func (ec EncryptionContext) AppendBinary(b []byte) ([]byte, error) {
	if len(ec) == 0 {
		return b, nil
	}
	if len(ec) > 0xffff {
		return nil, fmt.Errorf("materials: encryption context has %d pairs, at most 65535 fit", len(ec))
	}
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ec)))
	for _, k := range ec.SortedKeys() {
		v := ec[k]
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("materials: encryption context key or value is not valid UTF-8")
		}
		if len(k) > 0xffff || len(v) > 0xffff {
			return nil, fmt.Errorf("materials: encryption context key or value is longer than 65535 bytes")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
		if len(b)-start > MaxSerializedLen {
			return nil, fmt.Errorf("materials: serialized encryption context is longer than %d bytes", MaxSerializedLen)
		}
	}
	return b, nil
}

// MarshalBinary returns the canonical serialization (see AppendBinary).
func (ec EncryptionContext) MarshalBinary() ([]byte, error) { return ec.AppendBinary(nil) }

// ErrMalformedEncryptionContext is wrapped by every error of
// [ParseEncryptionContext].
var ErrMalformedEncryptionContext = errors.New("materials: malformed encryption context")

// ParseEncryptionContext parses a serialized encryption context as found in
// a message header's AAD section: empty input, the legacy empty form
// 00 00 (a zero pair count), or a pair count followed by exactly that many
// pairs. Pairs may come in any order; duplicate keys and invalid UTF-8 are
// errors. On error, off is the offset of the offending field in b.
func ParseEncryptionContext(b []byte) (ec EncryptionContext, off int, err error) {
	fail := func(off int, format string, args ...any) (EncryptionContext, int, error) {
		return nil, off, fmt.Errorf("%w: %s", ErrMalformedEncryptionContext, fmt.Sprintf(format, args...))
	}
	if len(b) == 0 {
		return EncryptionContext{}, 0, nil
	}
	if len(b) > MaxSerializedLen {
		return fail(0, "%d bytes is longer than a serialized encryption context can be", len(b))
	}
	if len(b) < 2 {
		return fail(0, "1 byte cannot hold a pair count")
	}
	count := int(binary.BigEndian.Uint16(b))
	if count == 0 {
		if len(b) == 2 {
			return EncryptionContext{}, 0, nil
		}
		return fail(0, "pair count is 0 but %d bytes follow", len(b)-2)
	}
	// Each pair needs at least 4 bytes; reject impossible counts before allocating.
	if count*4 > len(b)-2 {
		return fail(0, "pair count %d does not fit in %d bytes", count, len(b))
	}
	ec = make(EncryptionContext, count)
	p := 2
	readString := func(what string) (string, error) {
		if len(b)-p < 2 {
			return "", fmt.Errorf("%s length is cut off", what)
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if len(b)-p-2 < n {
			return "", fmt.Errorf("%s length %d runs past the end", what, n)
		}
		s := b[p+2 : p+2+n]
		if !utf8.Valid(s) {
			return "", fmt.Errorf("%s is not valid UTF-8", what)
		}
		p += 2 + n
		return string(s), nil
	}
	for i := 0; i < count; i++ {
		at := p
		k, err := readString("key")
		if err != nil {
			return fail(at, "pair %d: %v", i, err)
		}
		if _, dup := ec[k]; dup {
			return fail(at, "duplicate key %q", k)
		}
		v, err := readString("value")
		if err != nil {
			return fail(at, "pair %d: %v", i, err)
		}
		ec[k] = v
	}
	if p != len(b) {
		return fail(p, "%d bytes follow the last pair", len(b)-p)
	}
	return ec, 0, nil
}

// Subset returns the pairs of ec whose keys are in keys.
func (ec EncryptionContext) Subset(keys []string) EncryptionContext {
	out := make(EncryptionContext, len(keys))
	for _, k := range keys {
		if v, ok := ec[k]; ok {
			out[k] = v
		}
	}
	return out
}

// Without returns the pairs of ec whose keys are not in keys.
func (ec EncryptionContext) Without(keys []string) EncryptionContext {
	out := make(EncryptionContext, len(ec))
	for k, v := range ec {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

// CheckReserved returns an error if any key starts with [ReservedPrefix].
func (ec EncryptionContext) CheckReserved() error {
	for k := range ec {
		if strings.HasPrefix(k, ReservedPrefix) {
			return fmt.Errorf("%w: %q", ErrReservedEncryptionContextKey, k)
		}
	}
	return nil
}

// Equal reports whether ec and other hold the same pairs.
func (ec EncryptionContext) Equal(other EncryptionContext) bool {
	if len(ec) != len(other) {
		return false
	}
	for k, v := range ec {
		if w, ok := other[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// EncryptedDataKey is a data key wrapped by one wrapping key, as stored in a
// message header. ProviderID names the kind of keyring or key namespace
// (for example "aws-kms"); ProviderInfo identifies the wrapping key.
type EncryptedDataKey struct {
	ProviderID   string
	ProviderInfo []byte
	Ciphertext   []byte
}

// Equal reports whether two encrypted data keys are the same bytes.
func (k EncryptedDataKey) Equal(o EncryptedDataKey) bool {
	return k.ProviderID == o.ProviderID && bytes.Equal(k.ProviderInfo, o.ProviderInfo) && bytes.Equal(k.Ciphertext, o.Ciphertext)
}
