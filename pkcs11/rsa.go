package pkcs11

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
	p11 "github.com/miekg/pkcs11"
)

// RSAKey is an RSA private key held on the token, usable as a
// [crypto.Decrypter]: [keyring.RawRSAConfig.PrivateKey] accepts it.
// It is safe for concurrent use.
type RSAKey struct {
	tok *Token
	ref KeyRef
	key p11.ObjectHandle
	pub *rsa.PublicKey
}

var _ crypto.Decrypter = (*RSAKey)(nil)

// RSAKey finds the RSA private key r on the token and reads its public
// key (from the private key object, or else from the public key object
// with the same label and ID).
func (t *Token) RSAKey(ctx context.Context, r KeyRef) (*RSAKey, error) {
	h, err := t.findOne(ctx, r, "RSA private key",
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY), p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_RSA))
	if err != nil {
		return nil, err
	}
	pub, err := t.rsaPublic(ctx, h)
	if err != nil {
		ph, ferr := t.findOne(ctx, r, "RSA public key",
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY), p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_RSA))
		if ferr != nil {
			return nil, fmt.Errorf("pkcs11: token %q: public key of %v: %w", t.st.label, r, errors.Join(classify(err), ferr))
		}
		if pub, err = t.rsaPublic(ctx, ph); err != nil {
			return nil, fmt.Errorf("pkcs11: token %q: public key of %v: %w", t.st.label, r, classify(err))
		}
	}
	return &RSAKey{tok: t, ref: r, key: h, pub: pub}, nil
}

// rsaPublic reads CKA_MODULUS and CKA_PUBLIC_EXPONENT of object h.
func (t *Token) rsaPublic(ctx context.Context, h p11.ObjectHandle) (*rsa.PublicKey, error) {
	var pub *rsa.PublicKey
	err := t.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		a, err := c.GetAttributeValue(sh, h, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_MODULUS, nil), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, nil)})
		if err != nil {
			return err
		}
		n := new(big.Int).SetBytes(a[0].Value)
		e := new(big.Int).SetBytes(a[1].Value)
		if n.BitLen() < 1024 || n.BitLen() > 16384 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return fmt.Errorf("%w: the token's RSA public key has a %d-bit modulus and exponent of %d bits", ErrConfig, n.BitLen(), e.BitLen())
		}
		pub = &rsa.PublicKey{N: n, E: int(e.Int64())}
		return nil
	})
	return pub, err
}

// Public returns the *rsa.PublicKey.
func (k *RSAKey) Public() crypto.PublicKey { return k.pub }

func (k *RSAKey) String() string {
	return fmt.Sprintf("PKCS #11 RSA key %v on token %q", k.ref, k.tok.st.label)
}

// mechanism returns the token mechanism for opts.
func mechanism(opts crypto.DecrypterOpts) (*p11.Mechanism, uint, error) {
	switch o := opts.(type) {
	//lint:ignore SA1019 PKCS #1 v1.5 is one of the raw RSA keyring's paddings; other SDKs write it.
	case nil, *rsa.PKCS1v15DecryptOptions:
		return p11.NewMechanism(p11.CKM_RSA_PKCS, nil), p11.CKM_RSA_PKCS, nil
	case *rsa.OAEPOptions:
		mgf := o.MGFHash
		if mgf == 0 {
			mgf = o.Hash
		}
		if mgf != o.Hash || len(o.Label) > 0 {
			return nil, 0, fmt.Errorf("%w: OAEP with MGF1 hash %v differing from OAEP hash %v, or with a label", ErrUnsupportedMechanism, mgf, o.Hash)
		}
		var h, g uint
		switch o.Hash {
		case crypto.SHA1:
			h, g = p11.CKM_SHA_1, p11.CKG_MGF1_SHA1
		case crypto.SHA256:
			h, g = p11.CKM_SHA256, p11.CKG_MGF1_SHA256
		case crypto.SHA384:
			h, g = p11.CKM_SHA384, p11.CKG_MGF1_SHA384
		case crypto.SHA512:
			h, g = p11.CKM_SHA512, p11.CKG_MGF1_SHA512
		default:
			return nil, 0, fmt.Errorf("%w: OAEP with hash %v", ErrUnsupportedMechanism, o.Hash)
		}
		return p11.NewMechanism(p11.CKM_RSA_PKCS_OAEP, p11.NewOAEPParams(h, g, p11.CKZ_DATA_SPECIFIED, nil)), p11.CKM_RSA_PKCS_OAEP, nil
	}
	return nil, 0, fmt.Errorf("%w: decrypter options %T", ErrUnsupportedMechanism, opts)
}

// decrypt runs the token decryption.
func (k *RSAKey) decrypt(ctx context.Context, mech *p11.Mechanism, ct []byte) ([]byte, error) {
	var pt []byte
	err := k.tok.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		if err := c.DecryptInit(sh, []*p11.Mechanism{mech}, k.key); err != nil {
			return err
		}
		var err error
		pt, err = c.Decrypt(sh, ct)
		return err
	})
	return pt, err
}

// Decrypt decrypts ciphertext on the token. opts is an *rsa.OAEPOptions
// (MGF1 with the OAEP hash, no label: CKM_RSA_PKCS_OAEP) or nil or an
// *rsa.PKCS1v15DecryptOptions (CKM_RSA_PKCS); rand is not used.
//
// With a [rsa.PKCS1v15DecryptOptions.SessionKeyLen], as [crypto/rsa] does,
// a ciphertext the token rejects or that decrypts to a plaintext of another
// length yields a random key of that length and no error, so a caller sees
// no difference between bad padding and a wrong key until the message's
// header fails to authenticate. Failures that do not depend on the
// ciphertext (a removed key, a refused mechanism, a lost session) are still
// reported. How long the token takes is outside this package's control.
func (k *RSAKey) Decrypt(_ io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	mech, mt, err := mechanism(opts)
	if err != nil {
		return nil, err
	}
	if !k.tok.hasMechanism(mt) {
		return nil, fmt.Errorf("%w: token %q does not list the mechanism 0x%x", ErrUnsupportedMechanism, k.tok.st.label, mt)
	}
	ctx := context.Background()
	//lint:ignore SA1019 PKCS #1 v1.5 is one of the raw RSA keyring's paddings; other SDKs write it.
	if o, ok := opts.(*rsa.PKCS1v15DecryptOptions); ok && o.SessionKeyLen > 0 {
		random := make([]byte, o.SessionKeyLen)
		rand.Read(random)
		pt, err := k.decrypt(ctx, mech, ciphertext)
		if err != nil && (dataIndependent(err) || errors.Is(err, ErrClosed)) {
			return nil, fmt.Errorf("%v: %w", k, classify(err))
		}
		ok := subtle.ConstantTimeEq(int32(len(pt)), int32(o.SessionKeyLen)) & boolInt(err == nil)
		got := make([]byte, o.SessionKeyLen)
		copy(got, pt)
		subtle.ConstantTimeCopy(ok, random, got)
		return random, nil
	}
	pt, err := k.decrypt(ctx, mech, ciphertext)
	if err != nil {
		if dataIndependent(err) || errors.Is(err, ErrClosed) {
			return nil, fmt.Errorf("%v: %w", k, classify(err))
		}
		return nil, fmt.Errorf("%v: decryption failed", k)
	}
	return pt, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RSAKeyring is a [keyring.RawRSA] whose private key is on the token. Its
// encrypted data keys are the raw RSA keyring's (provider ID = namespace,
// provider info = name); it encrypts locally with the token key's public
// key and decrypts on the token. When decryption fails and the token key
// is gone, the error also wraps [ErrKeyNotFound].
type RSAKeyring struct {
	raw *keyring.RawRSA
	key *RSAKey
}

var _ materials.Keyring = (*RSAKeyring)(nil)

// NewRSAKeyring returns a raw RSA keyring for the token's RSA private key
// r. It checks that the token lists the padding's mechanism and then
// decrypts one locally encrypted random value on the token with it, so a
// token that refuses the padding's parameters (some offer OAEP with SHA-1
// only) fails here with [ErrUnsupportedMechanism] rather than on the first
// message.
func (t *Token) NewRSAKeyring(ctx context.Context, namespace, name string, padding keyring.Padding, r KeyRef) (*RSAKeyring, error) {
	if err := checkNames(namespace, name); err != nil {
		return nil, err
	}
	key, err := t.RSAKey(ctx, r)
	if err != nil {
		return nil, err
	}
	raw, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: namespace, Name: name, Padding: padding, PublicKey: key.pub, PrivateKey: key})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := key.probe(ctx, padding); err != nil {
		return nil, err
	}
	return &RSAKeyring{raw: raw, key: key}, nil
}

// probe encrypts 32 random bytes locally and checks the token decrypts
// them with padding.
func (k *RSAKey) probe(ctx context.Context, padding keyring.Padding) error {
	msg := make([]byte, 32)
	rand.Read(msg)
	var ct []byte
	var err error
	var opts crypto.DecrypterOpts
	switch padding {
	case keyring.PKCS1:
		//lint:ignore SA1019 PKCS #1 v1.5 is one of the raw RSA keyring's paddings; this checks the token supports it.
		ct, err = rsa.EncryptPKCS1v15(rand.Reader, k.pub, msg)
	default:
		h := map[keyring.Padding]crypto.Hash{keyring.OAEPSHA1: crypto.SHA1, keyring.OAEPSHA256: crypto.SHA256, keyring.OAEPSHA384: crypto.SHA384, keyring.OAEPSHA512: crypto.SHA512}[padding]
		opts = &rsa.OAEPOptions{Hash: h, MGFHash: h}
		ct, err = rsa.EncryptOAEP(h.New(), rand.Reader, k.pub, msg, nil)
	}
	if err != nil {
		return fmt.Errorf("%v: probe %v: %w", k, padding, err)
	}
	mech, mt, err := mechanism(opts)
	if err != nil {
		return err
	}
	if !k.tok.hasMechanism(mt) {
		return fmt.Errorf("%w: token %q does not list the mechanism for %v", ErrUnsupportedMechanism, k.tok.st.label, padding)
	}
	pt, err := k.decrypt(ctx, mech, ct)
	if err != nil {
		if keyGone(err) || errors.Is(err, ErrClosed) {
			return fmt.Errorf("%v: %w", k, classify(err))
		}
		return fmt.Errorf("%w: token %q cannot decrypt %v: %w", ErrUnsupportedMechanism, k.tok.st.label, padding, err)
	}
	if subtle.ConstantTimeCompare(pt, msg) != 1 {
		return fmt.Errorf("%w: token %q decrypts %v incorrectly", ErrUnsupportedMechanism, k.tok.st.label, padding)
	}
	return nil
}

func (k *RSAKeyring) String() string { return fmt.Sprintf("%v on %v", k.raw, k.key) }

// Key returns the token key the keyring decrypts with.
func (k *RSAKeyring) Key() *RSAKey { return k.key }

// OnEncrypt implements [materials.Keyring]: it encrypts with the public
// key, locally.
func (k *RSAKeyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return k.raw.OnEncrypt(ctx, m)
}

// OnDecrypt implements [materials.Keyring]: it decrypts on the token.
func (k *RSAKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	out, err := k.raw.OnDecrypt(ctx, m, edks)
	if err != nil && !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		if cerr := k.key.check(ctx); cerr != nil {
			return out, fmt.Errorf("%w (%w)", err, cerr)
		}
	}
	return out, err
}

// check reports whether the key object is still on the token.
func (k *RSAKey) check(ctx context.Context) error {
	err := k.tok.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		_, err := c.GetAttributeValue(sh, k.key, []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, nil)})
		return err
	})
	if err != nil && (keyGone(err) || errors.Is(err, ErrClosed)) {
		return fmt.Errorf("%v: %w", k, classify(err))
	}
	return nil
}
