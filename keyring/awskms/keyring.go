package awskms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-esdk/esdk/materials"
)

// Keyring is the AWS KMS keyring ("strict" keyring): it wraps data keys
// with one AWS KMS key and decrypts only the encrypted data keys written
// under exactly that key.
//
// On encrypt it calls GenerateDataKey (or Encrypt, when another keyring
// already made the data key) with the configured key identifier, which
// may be a key ARN, alias ARN, alias name or key ID. On decrypt it
// considers only encrypted data keys whose key ARN equals the configured
// identifier, and calls Decrypt with KeyId set to it; a keyring configured
// with an alias or key ID therefore encrypts but cannot decrypt (its error
// wraps [ErrDecryptNeedsKeyARN]).
//
// The encryption context of the message is passed to AWS KMS, which binds
// it to the encrypted data key. A Keyring is safe for concurrent use.
type Keyring struct {
	src    clientSource
	keyID  string
	grants []string
}

// NewKeyring returns an AWS KMS keyring for the key keyID, calling AWS KMS
// through c. keyID is a key ARN (needed to decrypt), an alias ARN, an
// alias name ("alias/…") or a key ID.
func NewKeyring(c Client, keyID string, opts ...Option) (*Keyring, error) {
	if c == nil {
		return nil, errors.New("awskms: nil AWS KMS client")
	}
	return newKeyring(clientSource{client: c}, keyID, opts)
}

func newKeyring(src clientSource, keyID string, opts []Option) (*Keyring, error) {
	if err := checkIdentifier(keyID); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	return &Keyring{src: src, keyID: keyID, grants: o.grantTokens}, nil
}

// KeyID returns the key identifier the keyring was configured with.
func (k *Keyring) KeyID() string { return k.keyID }

// String describes the keyring and its key, for error messages.
func (k *Keyring) String() string { return "AWS KMS keyring for " + k.keyID }

// OnEncrypt implements [materials.Keyring]. The encrypted data key it
// adds names the key ARN that AWS KMS reported.
func (k *Keyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return wrap(ctx, k.String(), k.src, k.keyID, k.grants, m)
}

// OnDecrypt implements [materials.Keyring]. It fails with
// [ErrMalformedProviderInfo] if any aws-kms encrypted data key does not
// name a key ARN, and otherwise with a [*materials.NoDecryptableKeyError]
// holding one error per key tried.
func (k *Keyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	return strictUnwrap(ctx, k.String(), k.src, k.keyID, k.grants, m, edks, func(_ ARN, info string) (string, bool) {
		return k.keyID, info == k.keyID
	})
}

// MRKKeyring is the AWS KMS multi-Region key (MRK) aware keyring. It
// encrypts as [Keyring] does. On decrypt it also accepts encrypted data
// keys written under a replica of its key in another region: when both
// ARNs name multi-Region keys and differ only in their region, it calls
// Decrypt with its own key ARN (the replica in its region).
//
// An MRKKeyring is safe for concurrent use.
type MRKKeyring struct {
	src    clientSource
	keyID  string
	grants []string
}

// NewMRKKeyring returns an MRK-aware AWS KMS keyring for keyID, calling
// AWS KMS through c, which should be a client for keyID's region.
func NewMRKKeyring(c Client, keyID string, opts ...Option) (*MRKKeyring, error) {
	if c == nil {
		return nil, errors.New("awskms: nil AWS KMS client")
	}
	return newMRKKeyring(clientSource{client: c}, keyID, opts)
}

func newMRKKeyring(src clientSource, keyID string, opts []Option) (*MRKKeyring, error) {
	if err := checkIdentifier(keyID); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	return &MRKKeyring{src: src, keyID: keyID, grants: o.grantTokens}, nil
}

// KeyID returns the key identifier the keyring was configured with.
func (k *MRKKeyring) KeyID() string { return k.keyID }

// String describes the keyring and its key, for error messages.
func (k *MRKKeyring) String() string { return "AWS KMS MRK keyring for " + k.keyID }

// OnEncrypt implements [materials.Keyring].
func (k *MRKKeyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return wrap(ctx, k.String(), k.src, k.keyID, k.grants, m)
}

// OnDecrypt implements [materials.Keyring]. It fails with
// [ErrMalformedProviderInfo] if any aws-kms encrypted data key does not
// name a key ARN, and otherwise with a [*materials.NoDecryptableKeyError]
// holding one error per key tried.
//
// Unlike the specification's text, which lets this keyring return
// materials that already hold a data key unchanged, it fails with
// [materials.ErrPlaintextDataKeyPresent] as every other keyring does.
func (k *MRKKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	return strictUnwrap(ctx, k.String(), k.src, k.keyID, k.grants, m, edks, func(_ ARN, info string) (string, bool) {
		return k.keyID, MRKMatch(k.keyID, info)
	})
}

func strictUnwrap(ctx context.Context, name string, src clientSource, keyID string, grants []string, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey, pick pickFunc) (materials.DecryptionMaterials, error) {
	out, ok, res, err := unwrap(ctx, name, src, grants, m, edks, pick)
	if err != nil {
		return m, err
	}
	if ok {
		return out, nil
	}
	if res.matched == 0 {
		if !isKeyARN(keyID) {
			// Put the explanation in Errs, so that it survives a
			// multi-keyring, which keeps its children's Errs only.
			return m, &materials.NoDecryptableKeyError{Reason: name + " cannot decrypt", Errs: []error{needsARNError(keyID, res.inMsg)}}
		}
		return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%s found no encrypted data key for its key (%s)", name, keysInMessage(res.inMsg))}
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%s could not decrypt %s", name, tried(res.matched)), Errs: res.errs}
}

// DiscoveryFilter limits a discovery keyring to the keys of some AWS
// accounts in one partition.
type DiscoveryFilter struct {
	// Partition is the ARN partition, for example "aws".
	Partition string
	// AccountIDs lists the accounts whose keys may be used.
	AccountIDs []string
}

func (f *DiscoveryFilter) clone() (*DiscoveryFilter, error) {
	if f == nil {
		return nil, nil
	}
	if f.Partition == "" || len(f.AccountIDs) == 0 {
		return nil, errors.New("awskms: a discovery filter needs a partition and at least one account ID")
	}
	for _, a := range f.AccountIDs {
		if a == "" {
			return nil, errors.New("awskms: empty account ID in discovery filter")
		}
	}
	return &DiscoveryFilter{Partition: f.Partition, AccountIDs: append([]string(nil), f.AccountIDs...)}, nil
}

// Allows reports whether the filter lets a key ARN through; a nil filter
// allows every key.
func (f *DiscoveryFilter) Allows(a ARN) bool {
	if f == nil {
		return true
	}
	if a.Partition != f.Partition {
		return false
	}
	for _, id := range f.AccountIDs {
		if a.AccountID == id {
			return true
		}
	}
	return false
}

// String describes the filter, for error messages; a nil filter is
// "no filter".
func (f *DiscoveryFilter) String() string {
	if f == nil {
		return "no filter"
	}
	return "partition " + f.Partition + ", accounts " + strings.Join(f.AccountIDs, ", ")
}
