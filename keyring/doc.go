// Package keyring provides the local keyrings of the AWS Encryption SDK:
// raw AES ([RawAES]), raw RSA ([RawRSA]), raw ECDH ([RawECDH]) and the
// multi-keyring ([Multi]) that combines keyrings. Their encrypted data keys
// are byte-compatible with the raw keyrings and JCE/raw master keys of the
// official SDKs.
//
// All keyrings are safe for concurrent use.
package keyring

import (
	"crypto/rand"

	"github.com/go-esdk/esdk/materials"
)

// Keyring is the interface every keyring implements; see [materials.Keyring].
type Keyring = materials.Keyring

// newDataKey returns a fresh random data key of n bytes.
func newDataKey(n int) []byte {
	k := make([]byte, n)
	rand.Read(k)
	return k
}
