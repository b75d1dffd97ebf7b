// Package rawaes is the encrypted data key format of the raw AES keyring,
// shared by the keyring with its key in memory (package keyring) and the
// one with its key in a PKCS #11 token (module pkcs11):
//
//	provider ID    key namespace
//	provider info  key name || uint32 tag length in bits (128) || uint32 IV length (12) || IV
//	ciphertext     wrapped data key || tag
//
// The encryption context, serialized, is the additional data.
package rawaes

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// CheckNames applies the raw keyrings' naming rules. Its errors carry no
// package prefix; the caller adds its own.
func CheckNames(namespace, name string) error {
	if namespace == "" || name == "" {
		return errors.New("key namespace and key name must not be empty")
	}
	if namespace == "aws-kms" {
		return errors.New(`the key namespace "aws-kms" is reserved for AWS KMS keyrings`)
	}
	return nil
}

// InfoLen is the length of the provider info for a key name of n bytes.
func InfoLen(n int) int { return n + 8 + algorithms.IVLen }

// AppendInfo appends the provider info of key name and iv to dst.
func AppendInfo(dst []byte, name string, iv []byte) []byte {
	dst = append(dst, name...)
	dst = binary.BigEndian.AppendUint32(dst, algorithms.TagLen*8)
	dst = binary.BigEndian.AppendUint32(dst, algorithms.IVLen)
	return append(dst, iv...)
}

// IV reports whether edk was written by the key namespace/name in this
// format, with a ciphertext long enough to hold a tag, and returns its IV.
func IV(edk materials.EncryptedDataKey, namespace, name string) ([]byte, bool) {
	info := edk.ProviderInfo
	n := len(name)
	if edk.ProviderID != namespace || len(info) != InfoLen(n) || !bytes.Equal(info[:n], []byte(name)) {
		return nil, false
	}
	if binary.BigEndian.Uint32(info[n:]) != algorithms.TagLen*8 || binary.BigEndian.Uint32(info[n+4:]) != algorithms.IVLen {
		return nil, false
	}
	return info[n+8:], len(edk.Ciphertext) >= algorithms.TagLen
}
