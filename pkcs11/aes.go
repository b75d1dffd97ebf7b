package pkcs11

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/internal/rawaes"
	"github.com/go-esdk/esdk/materials"
	p11 "github.com/miekg/pkcs11"
)

// AESKeyring wraps data keys with an AES key held on the token. Its
// encrypted data keys are those of [keyring.RawAES]: provider ID =
// namespace, provider info = name ‖ u32 tag bits (128) ‖ u32 IV length
// (12) ‖ IV, ciphertext = AES-GCM(data key) ‖ tag, with the serialized
// encryption context as AAD. The IV is 12 random bytes from crypto/rand,
// passed to the token; a token that generates its own GCM IV (CloudHSM
// does) writes it back, and the IV it used is the one recorded.
//
// It is safe for concurrent use.
type AESKeyring struct {
	tok             *Token
	namespace, name string
	ref             KeyRef
	key             p11.ObjectHandle
}

var _ materials.Keyring = (*AESKeyring)(nil)

// checkNames applies the raw keyrings' naming rules.
func checkNames(namespace, name string) error {
	if err := rawaes.CheckNames(namespace, name); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// NewAESKeyring returns a keyring using the AES secret key r on the token,
// with the raw AES keyring's key namespace and name.
func (t *Token) NewAESKeyring(ctx context.Context, namespace, name string, r KeyRef) (*AESKeyring, error) {
	if err := checkNames(namespace, name); err != nil {
		return nil, err
	}
	if !t.hasMechanism(p11.CKM_AES_GCM) {
		return nil, fmt.Errorf("%w: token %q does not list CKM_AES_GCM", ErrUnsupportedMechanism, t.st.label)
	}
	h, err := t.findOne(ctx, r, "AES key",
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY), p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_AES))
	if err != nil {
		return nil, err
	}
	return &AESKeyring{tok: t, namespace: namespace, name: name, ref: r, key: h}, nil
}

func (k *AESKeyring) String() string {
	return fmt.Sprintf("PKCS #11 AES keyring %s/%s (token %q, key %v)", k.namespace, k.name, k.tok.st.label, k.ref)
}

// seal encrypts pt under the token key; it returns ciphertext ‖ tag and
// the IV the token used.
func (k *AESKeyring) seal(ctx context.Context, iv, aad, pt []byte) (ct, usedIV []byte, err error) {
	err = k.tok.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		params := p11.NewGCMParams(iv, aad, algorithms.TagLen*8)
		defer params.Free()
		if err := c.EncryptInit(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_GCM, params)}, k.key); err != nil {
			return err
		}
		out, err := c.Encrypt(sh, pt)
		if err != nil {
			return err
		}
		ct, usedIV = out, params.IV()
		return nil
	})
	return ct, usedIV, err
}

// open decrypts ct ‖ tag under the token key.
func (k *AESKeyring) open(ctx context.Context, iv, aad, ct []byte) (pt []byte, err error) {
	err = k.tok.withSession(ctx, func(c *p11.Ctx, sh p11.SessionHandle) error {
		params := p11.NewGCMParams(iv, aad, algorithms.TagLen*8)
		defer params.Free()
		if err := c.DecryptInit(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_GCM, params)}, k.key); err != nil {
			return err
		}
		pt, err = c.Decrypt(sh, ct)
		return err
	})
	return pt, err
}

// OnEncrypt implements [materials.Keyring].
func (k *AESKeyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	aad, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("%v: %w", k, err)
	}
	pdk := m.PlaintextDataKey
	if pdk == nil {
		pdk = make([]byte, m.Suite.KeyLen())
		rand.Read(pdk)
	}
	iv := make([]byte, algorithms.IVLen)
	rand.Read(iv)
	ct, usedIV, err := k.seal(ctx, iv, aad, pdk)
	if err != nil {
		return m, fmt.Errorf("%v: wrap data key: %w", k, classify(err))
	}
	if len(usedIV) != algorithms.IVLen || len(ct) != len(pdk)+algorithms.TagLen {
		return m, fmt.Errorf("%w: %v: token returned a %d-byte IV and %d-byte ciphertext for a %d-byte key", materials.ErrInvalidMaterials, k, len(usedIV), len(ct), len(pdk))
	}
	info := rawaes.AppendInfo(make([]byte, 0, rawaes.InfoLen(len(k.name))), k.name, usedIV)
	m.PlaintextDataKey = pdk
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: k.namespace, ProviderInfo: info, Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring]. A ciphertext that does not
// authenticate is reported without the token's reason; a missing key, a
// refused mechanism or a lost session is reported as such.
func (k *AESKeyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	aad, err := m.EncryptionContext.MarshalBinary()
	if err != nil {
		return m, fmt.Errorf("%v: %w", k, err)
	}
	var errs []error
	for i, edk := range edks {
		iv, ok := rawaes.IV(edk, k.namespace, k.name)
		if !ok {
			continue
		}
		pdk, err := k.open(ctx, iv, aad, edk.Ciphertext)
		if err != nil {
			if dataIndependent(err) || errors.Is(err, ErrClosed) || ctx.Err() != nil {
				errs = append(errs, fmt.Errorf("%v: encrypted data key %d: %w", k, i, classify(err)))
			} else {
				errs = append(errs, fmt.Errorf("%v: encrypted data key %d did not authenticate (wrong key or encryption context)", k, i))
			}
			continue
		}
		out, err := m.WithPlaintextDataKey(pdk, edk)
		if err != nil {
			errs = append(errs, fmt.Errorf("%v: encrypted data key %d: %w", k, i, err))
			continue
		}
		return out, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%v found no usable key", k), Errs: errs}
}
