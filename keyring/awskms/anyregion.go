package awskms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-esdk/esdk/materials"
)

// AnyRegionDiscoveryKeyring is an MRK-aware discovery keyring that needs
// no list of regions, the equivalent of the Python ESDK's
// MRKAwareDiscoveryAwsKmsMasterKeyProvider (and of what the Python
// aws-encryption-cli does with discovery=true). It tries a message's aws-kms
// encrypted data keys in order, each in the region it must be decrypted
// in: the region of the key's ARN for a single-Region key, and the
// keyring's MRK region for a multi-Region key, whose ARN is then rewritten
// to the replica in that region. A [DiscoveryFilter] restricts the keys it
// tries; without one it calls AWS KMS for any aws-kms encrypted data key,
// so bound the number of keys a message may hold
// (encryptsdk.Client.MaxEncryptedDataKeys).
//
// Clients come from a [ClientSupplier], one per region, asked for the
// first time a region is needed. It cannot encrypt. An
// AnyRegionDiscoveryKeyring is safe for concurrent use.
type AnyRegionDiscoveryKeyring struct {
	supplier  ClientSupplier
	mrkRegion string
	filter    *DiscoveryFilter
	opts      []Option

	mu       sync.Mutex
	byRegion map[string]*MRKDiscoveryKeyring
}

// NewAnyRegionDiscoveryKeyring returns an AnyRegionDiscoveryKeyring that
// gets its clients from s and decrypts multi-Region keys in mrkRegion.
// With an empty mrkRegion, encrypted data keys of multi-Region keys cannot
// be decrypted (each fails with an error that says so). filter may be nil.
func NewAnyRegionDiscoveryKeyring(s ClientSupplier, mrkRegion string, filter *DiscoveryFilter, opts ...Option) (*AnyRegionDiscoveryKeyring, error) {
	if s == nil {
		return nil, errors.New("awskms: nil client supplier")
	}
	f, err := filter.clone()
	if err != nil {
		return nil, err
	}
	return &AnyRegionDiscoveryKeyring{
		supplier: s, mrkRegion: mrkRegion, filter: f, opts: opts,
		byRegion: map[string]*MRKDiscoveryKeyring{},
	}, nil
}

// MRKRegion returns the region multi-Region keys are decrypted in.
func (k *AnyRegionDiscoveryKeyring) MRKRegion() string { return k.mrkRegion }

// String describes the keyring (its MRK region and filter), for error
// messages.
func (k *AnyRegionDiscoveryKeyring) String() string {
	s := "AWS KMS discovery keyring"
	if k.mrkRegion != "" {
		s += " (multi-Region keys in " + k.mrkRegion + ")"
	}
	return s + " (" + k.filter.String() + ")"
}

// OnEncrypt implements [materials.Keyring]; it always fails with
// [materials.ErrEncryptNotSupported].
func (k *AnyRegionDiscoveryKeyring) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return m, fmt.Errorf("%w: %v is decrypt-only", materials.ErrEncryptNotSupported, k)
}

// regionKeyring returns the MRK discovery keyring of region, made on first
// use.
func (k *AnyRegionDiscoveryKeyring) regionKeyring(ctx context.Context, region string) (*MRKDiscoveryKeyring, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kr, ok := k.byRegion[region]; ok {
		return kr, nil
	}
	c, err := k.supplier.ClientForRegion(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("awskms: no AWS KMS client for region %q: %w", region, err)
	}
	if c == nil {
		return nil, fmt.Errorf("awskms: client supplier returned no client for region %q", region)
	}
	kr, err := NewMRKDiscoveryKeyring(c, region, k.filter, k.opts...)
	if err != nil {
		return nil, err
	}
	k.byRegion[region] = kr
	return kr, nil
}

// OnDecrypt implements [materials.Keyring]. A malformed aws-kms provider
// info fails the whole call with [ErrMalformedProviderInfo], as the other
// AWS KMS keyrings do. When no key can be decrypted the error is a
// *materials.NoDecryptableKeyError holding the error of each key tried.
func (k *AnyRegionDiscoveryKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	type candidate struct {
		edk    materials.EncryptedDataKey
		region string
	}
	var todo []candidate
	var inMsg []string
	for i, edk := range edks {
		if edk.ProviderID != ProviderID {
			continue
		}
		info := string(edk.ProviderInfo)
		a, err := ParseARN(info)
		if err != nil || a.ResourceType != "key" {
			return m, fmt.Errorf("%w: %v: encrypted data key %d has provider info %q", ErrMalformedProviderInfo, k, i, short(info))
		}
		inMsg = append(inMsg, info)
		if !k.filter.Allows(a) {
			continue
		}
		region := a.Region
		if a.IsMRK() {
			region = k.mrkRegion
		}
		todo = append(todo, candidate{edk, region})
	}
	if len(todo) == 0 {
		reason := fmt.Sprintf("%v found no encrypted data key it may use", k)
		if len(inMsg) > 0 {
			reason += " (the message's AWS KMS keys: " + strings.Join(inMsg, ", ") + ")"
		} else {
			reason += " (the message has no AWS KMS encrypted data key)"
		}
		return m, &materials.NoDecryptableKeyError{Reason: reason}
	}
	var errs []error
	for _, c := range todo {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if c.region == "" {
			errs = append(errs, fmt.Errorf("awskms: %s is a multi-Region key, and %v has no region to decrypt it in", c.edk.ProviderInfo, k))
			continue
		}
		kr, err := k.regionKeyring(ctx, c.region)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out, err := kr.OnDecrypt(ctx, m, []materials.EncryptedDataKey{c.edk})
		if err == nil {
			return out, nil
		}
		var nd *materials.NoDecryptableKeyError
		if errors.As(err, &nd) && len(nd.Errs) > 0 {
			errs = append(errs, nd.Errs...)
		} else {
			errs = append(errs, err)
		}
	}
	reason := fmt.Sprintf("%v could not decrypt any of the %d encrypted data keys it tried", k, len(todo))
	if len(todo) == 1 {
		reason = fmt.Sprintf("%v could not decrypt the one encrypted data key it tried", k)
	}
	return m, &materials.NoDecryptableKeyError{Reason: reason, Errs: errs}
}

var _ materials.Keyring = (*AnyRegionDiscoveryKeyring)(nil)
