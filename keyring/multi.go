package keyring

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-esdk/esdk/materials"
)

// Multi combines keyrings. On encrypt the generator makes the data key and
// every child adds its own encrypted copy (all or nothing). On decrypt the
// generator and then each child is tried in order, and the first data key
// obtained wins; if none succeeds the error lists each keyring's failure.
type Multi struct {
	generator Keyring
	children  []Keyring
}

// NewMulti returns a multi-keyring. generator may be nil, in which case the
// materials must already hold a data key when encrypting; at least one of
// generator and children is required.
func NewMulti(generator Keyring, children ...Keyring) (*Multi, error) {
	if generator == nil && len(children) == 0 {
		return nil, errors.New("keyring: multi-keyring needs a generator or at least one child")
	}
	for i, c := range children {
		if c == nil {
			return nil, fmt.Errorf("keyring: multi-keyring child %d is nil", i)
		}
	}
	return &Multi{generator: generator, children: append([]Keyring(nil), children...)}, nil
}

// OnEncrypt implements [materials.Keyring].
func (k *Multi) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	var err error
	if k.generator != nil {
		if m.PlaintextDataKey != nil {
			return m, fmt.Errorf("keyring: multi-keyring generator: %w", materials.ErrPlaintextDataKeyPresent)
		}
		if m, err = k.generator.OnEncrypt(ctx, m); err != nil {
			return m, fmt.Errorf("keyring: multi-keyring generator: %w", err)
		}
		if m.PlaintextDataKey == nil {
			return m, fmt.Errorf("%w: multi-keyring generator returned no data key", materials.ErrInvalidMaterials)
		}
	} else if m.PlaintextDataKey == nil {
		return m, errors.New("keyring: multi-keyring without a generator needs a data key to wrap")
	}
	for i, c := range k.children {
		if m, err = c.OnEncrypt(ctx, m); err != nil {
			return m, fmt.Errorf("keyring: multi-keyring child %d: %w", i, err)
		}
	}
	return m, nil
}

// OnDecrypt implements [materials.Keyring]. A child that yields only
// candidate data keys (RSA PKCS #1 v1.5, which cannot authenticate a key)
// does not end the search: its candidates are kept, in order, and the
// next keyrings are tried, until one returns an authenticated key or
// none is left.
func (k *Multi) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	var errs []error
	// try returns the materials after kr and whether they hold an
	// authenticated data key.
	try := func(kr Keyring) bool {
		out, err := kr.OnDecrypt(ctx, m, edks)
		if err == nil && out.PlaintextDataKey != nil {
			m = out
			return true
		}
		if err == nil && len(out.Candidates) > len(m.Candidates) {
			m = out
			return false
		}
		if err == nil {
			err = errors.New("keyring returned no data key")
		}
		var nd *materials.NoDecryptableKeyError
		switch {
		case !errors.As(err, &nd):
			errs = append(errs, err)
		case len(nd.Errs) > 0:
			errs = append(errs, nd.Errs...)
		case nd.Reason != "":
			errs = append(errs, errors.New(nd.Reason))
		}
		return false
	}
	if k.generator != nil && try(k.generator) {
		return m, nil
	}
	for _, c := range k.children {
		if try(c) {
			return m, nil
		}
	}
	if len(m.Candidates) > 0 {
		m.Failures = append(slices.Clip(m.Failures), errs...)
		return m, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: "no keyring of the multi-keyring matched an encrypted data key", Errs: errs}
}
