package awskms

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-esdk/esdk/materials"
)

// DiscoveryKeyring decrypts with whatever AWS KMS key an encrypted data key
// names, if the caller may use it: it calls Decrypt with the key ARN
// recorded in the message. A [DiscoveryFilter] restricts it to the keys of
// some accounts; without one it will call AWS KMS for any aws-kms
// encrypted data key, so bound the number of keys a message may hold
// (encryptsdk.Client.MaxEncryptedDataKeys).
//
// When the keyring knows its client's region (the client is a *kms.Client,
// or the keyring was made by [NewDiscoveryMultiKeyring]), it skips keys of
// other regions, which that client could not use. Otherwise it tries them
// and collects the errors, as the specification describes.
//
// It cannot encrypt. A DiscoveryKeyring is safe for concurrent use.
type DiscoveryKeyring struct {
	src    clientSource
	region string // "" if unknown
	filter *DiscoveryFilter
	grants []string
}

// NewDiscoveryKeyring returns a discovery keyring that calls AWS KMS
// through c. filter may be nil.
func NewDiscoveryKeyring(c Client, filter *DiscoveryFilter, opts ...Option) (*DiscoveryKeyring, error) {
	if c == nil {
		return nil, errors.New("awskms: nil AWS KMS client")
	}
	region, _ := clientRegion(c)
	return newDiscoveryKeyring(clientSource{client: c}, region, filter, opts)
}

func newDiscoveryKeyring(src clientSource, region string, filter *DiscoveryFilter, opts []Option) (*DiscoveryKeyring, error) {
	f, err := filter.clone()
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	return &DiscoveryKeyring{src: src, region: region, filter: f, grants: o.grantTokens}, nil
}

// String describes the keyring (its region and filter), for error messages.
func (k *DiscoveryKeyring) String() string {
	s := "AWS KMS discovery keyring"
	if k.region != "" {
		s += " in " + k.region
	}
	return s + " (" + k.filter.String() + ")"
}

// OnEncrypt implements [materials.Keyring]; it always fails with
// [materials.ErrEncryptNotSupported].
func (k *DiscoveryKeyring) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return m, fmt.Errorf("%w: %v is decrypt-only", materials.ErrEncryptNotSupported, k)
}

// OnDecrypt implements [materials.Keyring]. Keys the filter excludes are
// never sent to AWS KMS.
func (k *DiscoveryKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	// Spec: framework/aws-kms/aws-kms-discovery-keyring.md#ondecrypt.
	return discoveryUnwrap(ctx, k.String(), k.src, k.grants, m, edks, func(a ARN, info string) (string, bool) {
		if !k.filter.Allows(a) || (k.region != "" && a.Region != k.region) {
			return "", false
		}
		return info, true
	})
}

// MRKDiscoveryKeyring is the multi-Region key aware discovery keyring of
// one region. For an encrypted data key written under a multi-Region key
// in any region, it calls Decrypt with the ARN of the replica in its own
// region; it uses other keys only if they are in its region. A
// [DiscoveryFilter] restricts it further.
//
// It cannot encrypt. An MRKDiscoveryKeyring is safe for concurrent use.
type MRKDiscoveryKeyring struct {
	src    clientSource
	region string
	filter *DiscoveryFilter
	grants []string
}

// NewMRKDiscoveryKeyring returns an MRK-aware discovery keyring for
// region, calling AWS KMS through c, which must be a client for that
// region. filter may be nil.
func NewMRKDiscoveryKeyring(c Client, region string, filter *DiscoveryFilter, opts ...Option) (*MRKDiscoveryKeyring, error) {
	if c == nil {
		return nil, errors.New("awskms: nil AWS KMS client")
	}
	if got, ok := clientRegion(c); ok && got != region {
		return nil, fmt.Errorf("awskms: MRK discovery keyring for region %q given a client for region %q", region, got)
	}
	return newMRKDiscoveryKeyring(clientSource{client: c}, region, filter, opts)
}

func newMRKDiscoveryKeyring(src clientSource, region string, filter *DiscoveryFilter, opts []Option) (*MRKDiscoveryKeyring, error) {
	if region == "" {
		return nil, errors.New("awskms: MRK discovery keyring needs a region")
	}
	f, err := filter.clone()
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	return &MRKDiscoveryKeyring{src: src, region: region, filter: f, grants: o.grantTokens}, nil
}

// Region returns the keyring's region.
func (k *MRKDiscoveryKeyring) Region() string { return k.region }

// String describes the keyring (its region and filter), for error messages.
func (k *MRKDiscoveryKeyring) String() string {
	return "AWS KMS MRK discovery keyring in " + k.region + " (" + k.filter.String() + ")"
}

// OnEncrypt implements [materials.Keyring]; it always fails with
// [materials.ErrEncryptNotSupported].
func (k *MRKDiscoveryKeyring) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return m, fmt.Errorf("%w: %v is decrypt-only", materials.ErrEncryptNotSupported, k)
}

// OnDecrypt implements [materials.Keyring]. Keys the filter excludes, and
// keys that are neither multi-Region keys nor in the keyring's region, are
// never sent to AWS KMS.
func (k *MRKDiscoveryKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	// Spec: framework/aws-kms/aws-kms-mrk-discovery-keyring.md#ondecrypt.
	return discoveryUnwrap(ctx, k.String(), k.src, k.grants, m, edks, func(a ARN, info string) (string, bool) {
		if !k.filter.Allows(a) {
			return "", false
		}
		if !a.IsMRK() {
			return info, a.Region == k.region
		}
		a.Region = k.region
		return a.String(), true
	})
}

func discoveryUnwrap(ctx context.Context, name string, src clientSource, grants []string, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey, pick pickFunc) (materials.DecryptionMaterials, error) {
	out, ok, res, err := unwrap(ctx, name, src, grants, m, edks, pick)
	if err != nil {
		return m, err
	}
	if ok {
		return out, nil
	}
	if res.matched == 0 {
		return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%s found no encrypted data key it may use (%s)", name, keysInMessage(res.inMsg))}
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%s could not decrypt %s", name, tried(res.matched)), Errs: res.errs}
}
