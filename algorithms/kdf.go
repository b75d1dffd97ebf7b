package algorithms

import (
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCommitmentMismatch means the commitment key in a message header does
// not match the one derived from the data key: the message was not made with
// this data key, or was tampered with.
var ErrCommitmentMismatch = errors.New("algorithms: key commitment does not match")

// DeriveKeys derives the message's data (content) key from the plaintext
// data key and message ID, and for committing suites the commitment key.
// For other suites commitKey is nil.
func (s Suite) DeriveKeys(plaintextDataKey, messageID []byte) (dataKey, commitKey []byte, err error) {
	// Small enough to be inlined, so that the keys stay on the caller's
	// stack when the caller keeps them there.
	var keys [maxKeyLen + maxSuiteDataLen]byte
	dataKey, commitKey, err = s.deriveKeys(keys[:0], plaintextDataKey, messageID)
	return
}

// maxKeyLen and maxSuiteDataLen are the longest data key and commitment
// key of any suite.
const (
	maxKeyLen       = 32
	maxSuiteDataLen = 32
)

// deriveKeys is DeriveKeys with the keys appended to dst (empty) where
// possible.
func (s *Suite) deriveKeys(dst, plaintextDataKey, messageID []byte) (dataKey, commitKey []byte, err error) {
	if len(plaintextDataKey) != s.keyLen {
		return nil, nil, fmt.Errorf("algorithms: plaintext data key is %d bytes, suite %v needs %d", len(plaintextDataKey), s.id, s.keyLen)
	}
	if len(messageID) != s.MessageIDLen() {
		return nil, nil, fmt.Errorf("algorithms: message ID is %d bytes, suite %v needs %d", len(messageID), s.id, s.MessageIDLen())
	}
	var id [2]byte
	binary.BigEndian.PutUint16(id[:], uint16(s.id))
	switch s.kdf {
	case KDFIdentity:
		return append(dst, plaintextDataKey...), nil, nil
	case KDFHKDF:
		dk, err := hkdf.Key(s.kdfHash, plaintextDataKey, nil, string(id[:])+string(messageID), s.keyLen)
		return dk, nil, err
	default:
		if !fips140.Enabled() {
			keys := append(dst, make([]byte, s.keyLen+s.suiteDataLen)...)
			dk, ck := keys[:s.keyLen:s.keyLen], keys[s.keyLen:]
			var info [2 + len("DERIVEKEY")]byte
			copy(info[copy(info[:], id[:]):], "DERIVEKEY")
			if err := deriveCommitKeys(plaintextDataKey, messageID, info[:], dk, ck); err != nil {
				clear(keys)
				return nil, nil, err
			}
			return dk, ck, nil
		}
		// In FIPS 140-3 mode the derivation is the module's approved HKDF.
		prk, err := hkdf.Extract(s.kdfHash, plaintextDataKey, messageID)
		if err != nil {
			return nil, nil, err
		}
		dk, err := hkdf.Expand(s.kdfHash, prk, string(id[:])+"DERIVEKEY", s.keyLen)
		if err != nil {
			return nil, nil, err
		}
		ck, err := hkdf.Expand(s.kdfHash, prk, "COMMITKEY", s.suiteDataLen)
		clear(prk)
		return dk, ck, err
	}
}

// DeriveKeysNetV400 derives the data key the way the ESDK for .NET 4.0.0
// did for format 1 HKDF suites: without the message ID in the HKDF info. It
// exists only to read messages that release wrote; never use it to encrypt.
func (s Suite) DeriveKeysNetV400(plaintextDataKey, messageID []byte) (dataKey, commitKey []byte, err error) {
	if s.kdf != KDFHKDF {
		return s.DeriveKeys(plaintextDataKey, messageID)
	}
	if len(plaintextDataKey) != s.keyLen {
		return nil, nil, fmt.Errorf("algorithms: plaintext data key is %d bytes, suite %v needs %d", len(plaintextDataKey), s.id, s.keyLen)
	}
	var id [2]byte
	binary.BigEndian.PutUint16(id[:], uint16(s.id))
	dk, err := hkdf.Key(s.kdfHash, plaintextDataKey, nil, string(id[:]), s.keyLen)
	return dk, nil, err
}

// CheckCommitment compares, in constant time, the commitment key derived
// from the data key with the one stored in the header. It returns
// [ErrCommitmentMismatch] when they differ.
func CheckCommitment(derived, stored []byte) error {
	if len(derived) == 0 || subtle.ConstantTimeCompare(derived, stored) != 1 {
		return ErrCommitmentMismatch
	}
	return nil
}
