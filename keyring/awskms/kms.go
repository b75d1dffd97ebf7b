package awskms

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/go-esdk/esdk/materials"
)

// ProviderID is the provider ID of the encrypted data keys written by the
// AWS KMS keyrings. Their provider info is the key ARN AWS KMS reported and
// their ciphertext is the KMS CiphertextBlob.
const ProviderID = "aws-kms"

// clientSource is where a keyring gets its AWS KMS client: a fixed client,
// or a supplier asked for a region when the client is needed.
type clientSource struct {
	client   Client
	supplier ClientSupplier
	region   string
	// checkRegion makes get verify, where it can, that a supplied client
	// is for region.
	checkRegion bool
}

func (s clientSource) get(ctx context.Context) (Client, error) {
	if s.client != nil {
		return s.client, nil
	}
	c, err := s.supplier.ClientForRegion(ctx, s.region)
	if err != nil {
		return nil, fmt.Errorf("awskms: no AWS KMS client for region %q: %w", s.region, err)
	}
	if c == nil {
		return nil, fmt.Errorf("awskms: client supplier returned no client for region %q", s.region)
	}
	if got, ok := clientRegion(c); ok && s.checkRegion && got != s.region {
		return nil, fmt.Errorf("awskms: client supplier returned a client for region %q when asked for %q", got, s.region)
	}
	return c, nil
}

// clientRegion returns the region of c if it is a *kms.Client (or anything
// else with an Options method returning kms.Options).
func clientRegion(c Client) (string, bool) {
	if rc, ok := c.(interface{ Options() kms.Options }); ok {
		return rc.Options().Region, true
	}
	return "", false
}

// kmsContext converts an encryption context for a KMS request.
func kmsContext(ec materials.EncryptionContext) map[string]string {
	if len(ec) == 0 {
		return nil
	}
	return ec
}

var errNoSuite = fmt.Errorf("%w: no algorithm suite", materials.ErrInvalidMaterials)

// wrap implements OnEncrypt for the strict and MRK keyrings.
// Spec: framework/aws-kms/aws-kms-keyring.md#onencrypt.
func wrap(ctx context.Context, name string, src clientSource, keyID string, grants []string, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	if m.Suite.ID() == 0 {
		return m, errNoSuite
	}
	if err := ctx.Err(); err != nil {
		return m, fmt.Errorf("awskms: %s: %w", name, err)
	}
	c, err := src.get(ctx)
	if err != nil {
		return m, err
	}
	ec := kmsContext(m.EncryptionContext)
	if m.PlaintextDataKey == nil {
		out, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
			KeyId:             aws.String(keyID),
			NumberOfBytes:     aws.Int32(int32(m.Suite.KeyLen())),
			EncryptionContext: ec,
			GrantTokens:       grants,
		})
		if err != nil {
			return m, &KMSError{Op: "GenerateDataKey", KeyID: keyID, Err: err}
		}
		arn := aws.ToString(out.KeyId)
		switch {
		case !isKeyARN(arn):
			clear(out.Plaintext)
			return m, fmt.Errorf("%w: GenerateDataKey with %s returned KeyId %q, which is not a key ARN", ErrInvalidResponse, keyID, short(arn))
		case len(out.Plaintext) != m.Suite.KeyLen():
			clear(out.Plaintext)
			return m, fmt.Errorf("%w: GenerateDataKey with %s returned a %d-byte data key, the suite needs %d", ErrInvalidResponse, keyID, len(out.Plaintext), m.Suite.KeyLen())
		case len(out.CiphertextBlob) == 0:
			clear(out.Plaintext)
			return m, fmt.Errorf("%w: GenerateDataKey with %s returned no ciphertext", ErrInvalidResponse, keyID)
		}
		m.PlaintextDataKey = out.Plaintext
		return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: ProviderID, ProviderInfo: []byte(arn), Ciphertext: out.CiphertextBlob}), nil
	}
	out, err := c.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(keyID),
		Plaintext:         m.PlaintextDataKey,
		EncryptionContext: ec,
		GrantTokens:       grants,
	})
	if err != nil {
		return m, &KMSError{Op: "Encrypt", KeyID: keyID, Err: err}
	}
	arn := aws.ToString(out.KeyId)
	switch {
	case !isKeyARN(arn):
		return m, fmt.Errorf("%w: Encrypt with %s returned KeyId %q, which is not a key ARN", ErrInvalidResponse, keyID, short(arn))
	case len(out.CiphertextBlob) == 0:
		return m, fmt.Errorf("%w: Encrypt with %s returned no ciphertext", ErrInvalidResponse, keyID)
	}
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: ProviderID, ProviderInfo: []byte(arn), Ciphertext: out.CiphertextBlob}), nil
}

func isKeyARN(s string) bool {
	_, err := parseKeyARN(s)
	return err == nil
}

// pickFunc decides whether a keyring decrypts an aws-kms encrypted data
// key written under the key ARN a, and with which KeyId.
type pickFunc func(a ARN, info string) (keyID string, ok bool)

// unwrapResult is what unwrap found.
type unwrapResult struct {
	errs    []error  // one per key tried (or not tried because ctx ended)
	inMsg   []string // the ARNs of the message's aws-kms keys
	matched int      // keys that passed the filter
}

// unwrap implements the common part of OnDecrypt: it filters edks with
// pick and calls Decrypt for each match until one gives a data key.
// It returns ok=false and res on failure, or a non-nil fatal error for a
// malformed aws-kms key (which fails the whole call).
// Spec: framework/aws-kms/aws-kms-keyring.md#ondecrypt and the discovery
// and MRK keyrings' equivalents.
func unwrap(ctx context.Context, name string, src clientSource, grants []string, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey, pick pickFunc) (out materials.DecryptionMaterials, ok bool, res unwrapResult, fatal error) {
	if m.PlaintextDataKey != nil {
		return m, false, res, materials.ErrPlaintextDataKeyPresent
	}
	if m.Suite.ID() == 0 {
		return m, false, res, errNoSuite
	}
	// First filter every key, so that a malformed one fails the call
	// before any request is made.
	type candidate struct {
		edk   materials.EncryptedDataKey
		keyID string
	}
	var todo []candidate
	for i, edk := range edks {
		if edk.ProviderID != ProviderID {
			continue
		}
		info := string(edk.ProviderInfo)
		a, err := parseKeyARN(info)
		if err != nil {
			return m, false, res, fmt.Errorf("%w: %s: encrypted data key %d has provider info %q", ErrMalformedProviderInfo, name, i, short(info))
		}
		res.inMsg = append(res.inMsg, info)
		if keyID, match := pick(a, info); match {
			todo = append(todo, candidate{edk, keyID})
		}
	}
	res.matched = len(todo)
	for _, cand := range todo {
		edk, keyID := cand.edk, cand.keyID
		if err := ctx.Err(); err != nil {
			res.errs = append(res.errs, fmt.Errorf("awskms: %s: Decrypt with %s not attempted: %w", name, keyID, err))
			break
		}
		c, err := src.get(ctx)
		if err != nil {
			res.errs = append(res.errs, err)
			continue
		}
		dec, err := c.Decrypt(ctx, &kms.DecryptInput{
			KeyId:             aws.String(keyID),
			CiphertextBlob:    edk.Ciphertext,
			EncryptionContext: kmsContext(m.EncryptionContext),
			GrantTokens:       grants,
		})
		if err != nil {
			res.errs = append(res.errs, &KMSError{Op: "Decrypt", KeyID: keyID, Err: err})
			continue
		}
		if got := aws.ToString(dec.KeyId); got != keyID {
			clear(dec.Plaintext)
			res.errs = append(res.errs, fmt.Errorf("%w: Decrypt with %s returned KeyId %q", ErrInvalidResponse, keyID, short(got)))
			continue
		}
		if len(dec.Plaintext) != m.Suite.KeyLen() {
			clear(dec.Plaintext)
			res.errs = append(res.errs, fmt.Errorf("%w: Decrypt with %s returned a %d-byte data key, the suite needs %d", ErrInvalidResponse, keyID, len(dec.Plaintext), m.Suite.KeyLen()))
			continue
		}
		got, err := m.WithPlaintextDataKey(dec.Plaintext, edk)
		if err != nil {
			clear(dec.Plaintext)
			res.errs = append(res.errs, fmt.Errorf("awskms: %s: %w", name, err))
			continue
		}
		return got, true, res, nil
	}
	return m, false, res, nil
}

// tried describes how many encrypted data keys a keyring tried.
func tried(n int) string {
	if n == 1 {
		return "the one encrypted data key it tried"
	}
	return fmt.Sprintf("any of the %d encrypted data keys it tried", n)
}

// keysInMessage describes the aws-kms keys of a message for an error.
func keysInMessage(arns []string) string {
	if len(arns) == 0 {
		return "the message has no AWS KMS encrypted data key"
	}
	const max = 5
	s := "the message's AWS KMS keys: " + strings.Join(arns[:min(len(arns), max)], ", ")
	if len(arns) > max {
		s += fmt.Sprintf(" and %d more", len(arns)-max)
	}
	return s
}

func needsARNError(keyID string, inMsg []string) error {
	kind := "the key ID"
	if strings.HasPrefix(keyID, "alias/") {
		kind = "the alias"
	} else if strings.HasPrefix(keyID, "arn:") {
		kind = "the alias ARN"
	}
	hint := ""
	if len(inMsg) > 0 {
		hint = " (" + keysInMessage(inMsg) + ")"
	}
	return fmt.Errorf("%w: the keyring was configured with %s %s, but encrypted messages name their AWS KMS key by its key ARN (arn:aws:kms:<region>:<account>:key/<key-id>); configure the keyring with the key ARN%s, or use a discovery keyring", ErrDecryptNeedsKeyARN, kind, keyID, hint)
}
