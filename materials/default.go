package materials

import (
	"context"
	"fmt"
	"slices"

	"github.com/go-esdk/esdk/algorithms"
)

// DefaultManager is the standard materials manager over one keyring: it
// picks the suite, makes a fresh signing key for signed suites (adding the
// verification key to the encryption context as aws-crypto-public-key),
// enforces the commitment policy, and merges the caller's expected
// encryption context on decrypt.
type DefaultManager struct {
	keyring Keyring
}

// NewDefaultManager returns a DefaultManager over kr.
func NewDefaultManager(kr Keyring) *DefaultManager { return &DefaultManager{keyring: kr} }

// GetEncryptionMaterials implements [Manager].
func (d *DefaultManager) GetEncryptionMaterials(ctx context.Context, req EncryptionRequest) (EncryptionMaterials, error) {
	if _, ok := req.EncryptionContext[algorithms.PublicKeyContextKey]; ok {
		return EncryptionMaterials{}, fmt.Errorf("%w: %q", ErrReservedEncryptionContextKey, algorithms.PublicKeyContextKey)
	}
	id := req.Suite
	if id == 0 {
		id = req.CommitmentPolicy.DefaultSuite()
	}
	suite, err := algorithms.Lookup(id)
	if err != nil {
		return EncryptionMaterials{}, err
	}
	if !req.CommitmentPolicy.AllowsEncrypt(suite) {
		return EncryptionMaterials{}, fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, req.CommitmentPolicy, suite.ID())
	}
	m := EncryptionMaterials{
		Suite:                         suite,
		EncryptionContext:             req.EncryptionContext.Clone(),
		RequiredEncryptionContextKeys: slices.Clone(req.RequiredEncryptionContextKeys),
	}
	if m.EncryptionContext == nil {
		m.EncryptionContext = EncryptionContext{}
	}
	if suite.Signed() {
		priv, err := suite.GenerateSigningKey()
		if err != nil {
			return EncryptionMaterials{}, err
		}
		pub, err := algorithms.EncodePublicKey(&priv.PublicKey)
		if err != nil {
			return EncryptionMaterials{}, err
		}
		m.SigningKey = priv
		m.EncryptionContext[algorithms.PublicKeyContextKey] = pub
	}
	out, err := d.keyring.OnEncrypt(ctx, m)
	if err != nil {
		return EncryptionMaterials{}, err
	}
	if err := checkEncryptionMaterials(out, m); err != nil {
		return EncryptionMaterials{}, err
	}
	return out, nil
}

func checkEncryptionMaterials(out, in EncryptionMaterials) error {
	switch {
	case out.Suite.ID() != in.Suite.ID():
		return fmt.Errorf("%w: keyring changed the algorithm suite", ErrInvalidMaterials)
	case len(out.PlaintextDataKey) != in.Suite.KeyLen():
		return fmt.Errorf("%w: keyring returned a %d-byte data key, suite needs %d", ErrInvalidMaterials, len(out.PlaintextDataKey), in.Suite.KeyLen())
	case len(out.EncryptedDataKeys) == 0:
		return fmt.Errorf("%w: keyring returned no encrypted data key", ErrInvalidMaterials)
	}
	for _, k := range out.RequiredEncryptionContextKeys {
		if _, ok := out.EncryptionContext[k]; !ok {
			return fmt.Errorf("%w: required encryption context key %q is not in the encryption context", ErrInvalidMaterials, k)
		}
	}
	return nil
}

// DecryptMaterials implements [Manager].
func (d *DefaultManager) DecryptMaterials(ctx context.Context, req DecryptionRequest) (DecryptionMaterials, error) {
	suite := req.Suite
	if !req.CommitmentPolicy.AllowsDecrypt(suite) {
		return DecryptionMaterials{}, fmt.Errorf("%w: %v cannot decrypt %v", ErrCommitmentPolicy, req.CommitmentPolicy, suite.ID())
	}
	ec, required, err := MergeReproduced(req.EncryptionContext, req.ReproducedEncryptionContext)
	if err != nil {
		return DecryptionMaterials{}, err
	}
	m := DecryptionMaterials{Suite: suite, EncryptionContext: ec, RequiredEncryptionContextKeys: required}
	encodedKey, hasKey := ec[algorithms.PublicKeyContextKey]
	switch {
	case suite.Signed() && !hasKey:
		return DecryptionMaterials{}, fmt.Errorf("%w: signed suite %v but the encryption context has no %s", ErrInvalidMaterials, suite.ID(), algorithms.PublicKeyContextKey)
	case !suite.Signed() && hasKey:
		return DecryptionMaterials{}, fmt.Errorf("%w: unsigned suite %v but the encryption context has %s", ErrInvalidMaterials, suite.ID(), algorithms.PublicKeyContextKey)
	case hasKey:
		if m.VerificationKey, err = suite.DecodePublicKey(encodedKey); err != nil {
			return DecryptionMaterials{}, fmt.Errorf("%w: %v", ErrInvalidMaterials, err)
		}
	}
	out, err := d.keyring.OnDecrypt(ctx, m, req.EncryptedDataKeys)
	if err != nil {
		return DecryptionMaterials{}, err
	}
	if out.Suite.ID() != suite.ID() || !usableKeys(out) {
		return DecryptionMaterials{}, fmt.Errorf("%w: keyring returned no usable data key", ErrInvalidMaterials)
	}
	return out, nil
}

// usableKeys reports whether m holds a data key or candidates, all of the
// suite's key length.
func usableKeys(m DecryptionMaterials) bool {
	if !m.HasDataKey() || m.PlaintextDataKey != nil && len(m.PlaintextDataKey) != m.Suite.KeyLen() {
		return false
	}
	for _, c := range m.Candidates {
		if len(c.PlaintextDataKey) != m.Suite.KeyLen() {
			return false
		}
	}
	return true
}

// MergeReproduced merges the encryption context a caller expects into the
// one stored in a header. Pairs present in both must have equal values;
// pairs only in reproduced are added and their keys returned as required
// (authenticated, not stored) keys, in canonical order.
func MergeReproduced(stored, reproduced EncryptionContext) (EncryptionContext, []string, error) {
	ec := stored.Clone()
	if ec == nil {
		ec = EncryptionContext{}
	}
	var required []string
	for _, k := range reproduced.SortedKeys() {
		v := reproduced[k]
		if have, ok := ec[k]; ok {
			if have != v {
				return nil, nil, fmt.Errorf("%w: values differ for key %q", ErrEncryptionContextMismatch, k)
			}
			continue
		}
		ec[k] = v
		required = append(required, k)
	}
	return ec, required, nil
}

// RequiredContextManager wraps another manager and requires a set of
// encryption context keys: on encrypt they must be in the context and are
// authenticated without being stored in the message; on decrypt the caller
// must supply them again as the reproduced encryption context.
type RequiredContextManager struct {
	under Manager
	keys  []string
}

// NewRequiredContextManager returns a manager requiring keys over under.
func NewRequiredContextManager(under Manager, keys []string) (*RequiredContextManager, error) {
	if under == nil {
		return nil, fmt.Errorf("materials: required encryption context manager needs an underlying manager")
	}
	return &RequiredContextManager{under: under, keys: slices.Clone(keys)}, nil
}

// GetEncryptionMaterials implements [Manager].
func (r *RequiredContextManager) GetEncryptionMaterials(ctx context.Context, req EncryptionRequest) (EncryptionMaterials, error) {
	for _, k := range r.keys {
		if _, ok := req.EncryptionContext[k]; !ok {
			return EncryptionMaterials{}, fmt.Errorf("%w: required key %q is missing", ErrEncryptionContextMismatch, k)
		}
	}
	req.RequiredEncryptionContextKeys = union(req.RequiredEncryptionContextKeys, r.keys)
	m, err := r.under.GetEncryptionMaterials(ctx, req)
	if err != nil {
		return m, err
	}
	for _, k := range r.keys {
		if !slices.Contains(m.RequiredEncryptionContextKeys, k) {
			return EncryptionMaterials{}, fmt.Errorf("%w: underlying manager dropped required key %q", ErrInvalidMaterials, k)
		}
	}
	return m, nil
}

// DecryptMaterials implements [Manager].
func (r *RequiredContextManager) DecryptMaterials(ctx context.Context, req DecryptionRequest) (DecryptionMaterials, error) {
	for _, k := range r.keys {
		if _, ok := req.ReproducedEncryptionContext[k]; !ok {
			return DecryptionMaterials{}, fmt.Errorf("%w: required key %q was not supplied", ErrEncryptionContextMismatch, k)
		}
	}
	m, err := r.under.DecryptMaterials(ctx, req)
	if err != nil {
		return m, err
	}
	for _, k := range r.keys {
		if _, ok := m.EncryptionContext[k]; !ok {
			return DecryptionMaterials{}, fmt.Errorf("%w: required key %q is missing from the materials", ErrInvalidMaterials, k)
		}
	}
	return m, nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
