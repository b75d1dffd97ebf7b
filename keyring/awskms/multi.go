package awskms

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// NewStrictMultiKeyring returns a multi-keyring of AWS KMS keyrings
// ([Keyring]): the keyring of generator makes and wraps the data key, and
// the keyring of each of keyIDs adds its own encrypted copy, so that each
// key alone can decrypt the message. On decrypt the keyrings are tried in
// order. generator may be empty (the multi-keyring then only decrypts, or
// wraps a data key another keyring made); at least one key is required.
//
// Each keyring gets its client from s, for the region of its key ARN, or
// for region "" when the identifier is not an ARN. This is the
// replacement for the KMS master key provider of the other AWS Encryption
// SDKs, and matches CreateAwsKmsMultiKeyring of the AWS Cryptographic
// Material Providers Library.
func NewStrictMultiKeyring(s ClientSupplier, generator string, keyIDs []string, opts ...Option) (*keyring.Multi, error) {
	return newStrictMulti(s, generator, keyIDs, opts, false)
}

// NewMRKMultiKeyring is [NewStrictMultiKeyring] with multi-Region key aware
// keyrings ([MRKKeyring]). It fails if two of the identifiers name the
// same multi-Region key (in the same or different regions), since they
// would be interchangeable on decrypt; the error lists them.
func NewMRKMultiKeyring(s ClientSupplier, generator string, keyIDs []string, opts ...Option) (*keyring.Multi, error) {
	return newStrictMulti(s, generator, keyIDs, opts, true)
}

func newStrictMulti(s ClientSupplier, generator string, keyIDs []string, opts []Option, mrk bool) (*keyring.Multi, error) {
	if s == nil {
		return nil, errors.New("awskms: nil client supplier")
	}
	if generator == "" && len(keyIDs) == 0 {
		return nil, errors.New("awskms: AWS KMS multi-keyring needs a generator or at least one key")
	}
	all := keyIDs
	if generator != "" {
		all = append([]string{generator}, keyIDs...)
	}
	for _, id := range all {
		if err := checkIdentifier(id); err != nil {
			return nil, err
		}
	}
	if mrk {
		if err := checkUniqueMRKs(all); err != nil {
			return nil, err
		}
	}
	newKR := func(id string) (materials.Keyring, error) {
		src := clientSource{supplier: s, region: regionOf(id)}
		if mrk {
			return newMRKKeyring(src, id, opts)
		}
		return newKeyring(src, id, opts)
	}
	var gen materials.Keyring // a nil interface when there is no generator
	if generator != "" {
		kr, err := newKR(generator)
		if err != nil {
			return nil, err
		}
		gen = kr
	}
	children := make([]materials.Keyring, 0, len(keyIDs))
	for _, id := range keyIDs {
		kr, err := newKR(id)
		if err != nil {
			return nil, err
		}
		children = append(children, kr)
	}
	return keyring.NewMulti(gen, children...)
}

// regionOf returns the region of an ARN identifier, or "".
func regionOf(id string) string {
	if a, err := ParseARN(id); err == nil {
		return a.Region
	}
	return ""
}

// checkUniqueMRKs fails if two identifiers name the same multi-Region key.
// Spec: framework/aws-kms/aws-kms-mrk-are-unique.md.
func checkUniqueMRKs(ids []string) error {
	byResource := map[string][]string{}
	var order []string
	for _, id := range ids {
		if !IsMRK(id) {
			continue
		}
		res := id
		if a, err := ParseARN(id); err == nil {
			res = a.ResourceID
		}
		if _, seen := byResource[res]; !seen {
			order = append(order, res)
		}
		byResource[res] = append(byResource[res], id)
	}
	var dups []string
	for _, res := range order {
		if len(byResource[res]) > 1 {
			dups = append(dups, byResource[res]...)
		}
	}
	if len(dups) > 0 {
		return fmt.Errorf("awskms: these identifiers name the same multi-Region key more than once: %s", strings.Join(dups, ", "))
	}
	return nil
}

// NewDiscoveryMultiKeyring returns a multi-keyring of one
// [DiscoveryKeyring] per region, each with the client s supplies for its
// region and each using only keys of its region. filter may be nil. The
// result cannot encrypt.
func NewDiscoveryMultiKeyring(s ClientSupplier, regions []string, filter *DiscoveryFilter, opts ...Option) (*keyring.Multi, error) {
	return newDiscoveryMulti(s, regions, func(region string) (materials.Keyring, error) {
		return newDiscoveryKeyring(clientSource{supplier: s, region: region, checkRegion: true}, region, filter, opts)
	})
}

// NewMRKDiscoveryMultiKeyring returns a multi-keyring of one
// [MRKDiscoveryKeyring] per region, each with the client s supplies for
// its region. filter may be nil. The result cannot encrypt.
func NewMRKDiscoveryMultiKeyring(s ClientSupplier, regions []string, filter *DiscoveryFilter, opts ...Option) (*keyring.Multi, error) {
	return newDiscoveryMulti(s, regions, func(region string) (materials.Keyring, error) {
		return newMRKDiscoveryKeyring(clientSource{supplier: s, region: region, checkRegion: true}, region, filter, opts)
	})
}

func newDiscoveryMulti(s ClientSupplier, regions []string, newKR func(string) (materials.Keyring, error)) (*keyring.Multi, error) {
	if s == nil {
		return nil, errors.New("awskms: nil client supplier")
	}
	if len(regions) == 0 {
		return nil, errors.New("awskms: discovery multi-keyring needs at least one region")
	}
	if slices.Contains(regions, "") {
		return nil, errors.New("awskms: empty region for a discovery multi-keyring")
	}
	children := make([]materials.Keyring, 0, len(regions))
	for _, r := range regions {
		kr, err := newKR(r)
		if err != nil {
			return nil, err
		}
		children = append(children, kr)
	}
	return keyring.NewMulti(nil, children...)
}
