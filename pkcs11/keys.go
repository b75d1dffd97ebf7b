package pkcs11

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	p11 "github.com/miekg/pkcs11"
)

// KeyRef names a key object on the token by its label (CKA_LABEL), its ID
// (CKA_ID), or both (then both must match).
type KeyRef struct {
	Label string
	ID    []byte
}

func (r KeyRef) String() string {
	switch {
	case r.Label != "" && len(r.ID) > 0:
		return fmt.Sprintf("label %q id %x", r.Label, r.ID)
	case len(r.ID) > 0:
		return fmt.Sprintf("id %x", r.ID)
	}
	return fmt.Sprintf("label %q", r.Label)
}

func (r KeyRef) template() ([]*p11.Attribute, error) {
	if r.Label == "" && len(r.ID) == 0 {
		return nil, fmt.Errorf("%w: a key needs a label or an ID", ErrConfig)
	}
	var t []*p11.Attribute
	if r.Label != "" {
		t = append(t, p11.NewAttribute(p11.CKA_LABEL, r.Label))
	}
	if len(r.ID) > 0 {
		t = append(t, p11.NewAttribute(p11.CKA_ID, r.ID))
	}
	return t, nil
}

// find returns the handles of the objects matching r and the extra
// attributes.
func (t *Token) find(ctx context.Context, r KeyRef, extra ...*p11.Attribute) ([]p11.ObjectHandle, error) {
	tmpl, err := r.template()
	if err != nil {
		return nil, err
	}
	tmpl = append(tmpl, extra...)
	var out []p11.ObjectHandle
	err = t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		if err := c.FindObjectsInit(sh, tmpl); err != nil {
			return err
		}
		defer c.FindObjectsFinal(sh)
		for len(out) < 64 {
			hs, _, err := c.FindObjects(sh, 16)
			if err != nil {
				return err
			}
			if len(hs) == 0 {
				break
			}
			out = append(out, hs...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: token %q: find key %v: %w", t.st.label, r, err)
	}
	return out, nil
}

// findOne returns the single object matching r and extra; kind names it
// in errors.
func (t *Token) findOne(ctx context.Context, r KeyRef, kind string, extra ...*p11.Attribute) (p11.ObjectHandle, error) {
	hs, err := t.find(ctx, r, extra...)
	if err != nil {
		return 0, err
	}
	switch len(hs) {
	case 0:
		return 0, fmt.Errorf("%w: token %q has no %s with %v", ErrKeyNotFound, t.st.label, kind, r)
	case 1:
		return hs[0], nil
	}
	return 0, fmt.Errorf("%w: token %q has %d %ss with %v", ErrAmbiguousKey, t.st.label, len(hs), kind, r)
}

// KeyInfo describes one key object's protection attributes.
type KeyInfo struct {
	// Class is "secret", "private" or "public".
	Class string
	// Extractable is CKA_EXTRACTABLE of a secret or private key (false
	// for a public key, which has no such attribute).
	Extractable bool
	// Sensitive is CKA_SENSITIVE of a secret or private key (false for a
	// public key).
	Sensitive bool
	// NeverExtractable is CKA_NEVER_EXTRACTABLE of a secret or private key:
	// true when the key was created non-extractable.
	NeverExtractable bool
}

// KeyInfo returns the protection attributes of every key object matching r.
func (t *Token) KeyInfo(ctx context.Context, r KeyRef) ([]KeyInfo, error) {
	hs, err := t.find(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, fmt.Errorf("%w: token %q has no object with %v", ErrKeyNotFound, t.st.label, r)
	}
	var out []KeyInfo
	for _, h := range hs {
		var ki KeyInfo
		err := t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
			a, err := c.GetAttributeValue(sh, h, []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, nil)})
			if err != nil {
				return err
			}
			switch ulong(a[0].Value) {
			case p11.CKO_SECRET_KEY:
				ki.Class = "secret"
			case p11.CKO_PRIVATE_KEY:
				ki.Class = "private"
			case p11.CKO_PUBLIC_KEY:
				ki.Class = "public"
				return nil
			default:
				ki.Class = "other"
				return nil
			}
			a, err = c.GetAttributeValue(sh, h, []*p11.Attribute{
				p11.NewAttribute(p11.CKA_EXTRACTABLE, nil),
				p11.NewAttribute(p11.CKA_SENSITIVE, nil),
				p11.NewAttribute(p11.CKA_NEVER_EXTRACTABLE, nil),
			})
			if err != nil {
				return err
			}
			ki.Extractable = boolAttr(a[0])
			ki.Sensitive = boolAttr(a[1])
			ki.NeverExtractable = boolAttr(a[2])
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("pkcs11: token %q: attributes of %v: %w", t.st.label, r, classify(err))
		}
		out = append(out, ki)
	}
	return out, nil
}

// ulong decodes a CK_ULONG attribute value (native byte order).
func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

func boolAttr(a *p11.Attribute) bool { return len(a.Value) == 1 && a.Value[0] != 0 }

// protected are the attributes every key this package creates carries: a
// private, sensitive, non-extractable token object.
func protected(r KeyRef) []*p11.Attribute {
	a := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, true),
		p11.NewAttribute(p11.CKA_SENSITIVE, true),
		p11.NewAttribute(p11.CKA_EXTRACTABLE, false),
		p11.NewAttribute(p11.CKA_DECRYPT, true),
	}
	if r.Label != "" {
		a = append(a, p11.NewAttribute(p11.CKA_LABEL, r.Label))
	}
	if len(r.ID) > 0 {
		a = append(a, p11.NewAttribute(p11.CKA_ID, r.ID))
	}
	return a
}

// checkNew fails unless r names no key yet.
func (t *Token) checkNew(ctx context.Context, r KeyRef) error {
	hs, err := t.find(ctx, r)
	if err != nil {
		return err
	}
	if len(hs) > 0 {
		return fmt.Errorf("%w: token %q already has an object with %v", ErrAmbiguousKey, t.st.label, r)
	}
	return nil
}

// GenerateAESKey generates an AES key of bits (128, 192 or 256) on the
// token as a private, sensitive, non-extractable token object.
func (t *Token) GenerateAESKey(ctx context.Context, r KeyRef, bits int) error {
	if bits != 128 && bits != 192 && bits != 256 {
		return fmt.Errorf("%w: AES key size %d (want 128, 192 or 256)", ErrConfig, bits)
	}
	if err := t.checkNew(ctx, r); err != nil {
		return err
	}
	tmpl := append(protected(r),
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_AES),
		p11.NewAttribute(p11.CKA_ENCRYPT, true),
		p11.NewAttribute(p11.CKA_VALUE_LEN, bits/8))
	err := t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		_, err := c.GenerateKey(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_KEY_GEN, nil)}, tmpl)
		return err
	})
	if err != nil {
		return fmt.Errorf("pkcs11: token %q: generate AES key %v: %w", t.st.label, r, classify(err))
	}
	return nil
}

// ImportAESKey creates an AES key object holding key (16, 24 or 32 bytes)
// as a private, sensitive, non-extractable token object. It is for keys
// that must also exist elsewhere (a migration from a raw AES keyring, or a
// test); a key generated on the token never exists outside it.
func (t *Token) ImportAESKey(ctx context.Context, r KeyRef, key []byte) error {
	if n := len(key); n != 16 && n != 24 && n != 32 {
		return fmt.Errorf("%w: AES key of %d bytes (want 16, 24 or 32)", ErrConfig, n)
	}
	if err := t.checkNew(ctx, r); err != nil {
		return err
	}
	tmpl := append(protected(r),
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_AES),
		p11.NewAttribute(p11.CKA_ENCRYPT, true),
		p11.NewAttribute(p11.CKA_VALUE, key))
	err := t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		_, err := c.CreateObject(sh, tmpl)
		return err
	})
	if err != nil {
		return fmt.Errorf("pkcs11: token %q: import AES key %v: %w", t.st.label, r, classify(err))
	}
	return nil
}

// GenerateRSAKeyPair generates an RSA key pair of bits (2048 or more) on
// the token: the private key a private, sensitive, non-extractable token
// object, the public key a token object; both get r's label and ID.
func (t *Token) GenerateRSAKeyPair(ctx context.Context, r KeyRef, bits int) error {
	if bits < 2048 || bits > 16384 {
		return fmt.Errorf("%w: RSA key size %d (want 2048 to 16384)", ErrConfig, bits)
	}
	if err := t.checkNew(ctx, r); err != nil {
		return err
	}
	pub := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_ENCRYPT, true),
		p11.NewAttribute(p11.CKA_MODULUS_BITS, bits),
		p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
	}
	if r.Label != "" {
		pub = append(pub, p11.NewAttribute(p11.CKA_LABEL, r.Label))
	}
	if len(r.ID) > 0 {
		pub = append(pub, p11.NewAttribute(p11.CKA_ID, r.ID))
	}
	priv := protected(r)
	err := t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		_, _, err := c.GenerateKeyPair(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)}, pub, priv)
		return err
	})
	if err != nil {
		return fmt.Errorf("pkcs11: token %q: generate RSA key pair %v: %w", t.st.label, r, classify(err))
	}
	return nil
}

// DestroyKeys destroys every object matching r and returns how many.
func (t *Token) DestroyKeys(ctx context.Context, r KeyRef) (int, error) {
	hs, err := t.find(ctx, r)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, h := range hs {
		err := t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error { return c.DestroyObject(sh, h) })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("pkcs11: token %q: destroy %v: %w", t.st.label, r, err)
	}
	return n, nil
}
