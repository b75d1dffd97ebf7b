package keyconf

// Asymmetric wrapping keys of the Material Providers Library, which the
// Python CLI does not have:
//
//	-w provider=raw-ecdh [key-file=PRIVATE.pem] [recipient-key-file=PUBLIC.pem]
//	-w provider=aws-kms-rsa key=ARN algorithm=RSAES_OAEP_SHA_256|RSAES_OAEP_SHA_1 [public-key-file=PUBLIC.pem]
//	-w provider=aws-kms-ecdh key=ARN recipient-key-file=PUBLIC.pem
//	-w provider=aws-kms-ecdh key=ARN discovery=true
//
// raw-ecdh: the schema follows from the files. Encrypt: key-file (the
// sender's private key) and recipient-key-file is the static schema,
// recipient-key-file alone the ephemeral one. Decrypt: key-file alone is
// discovery (any message addressed to that key), with recipient-key-file
// (the other party's public key) the static schema. aws-kms-rsa encrypts
// locally with the public key, from public-key-file= or else fetched with
// one AWS KMS GetPublicKey request, and decrypts with AWS KMS Decrypt. aws-kms-ecdh calls AWS KMS DeriveSharedSecret with the key (and
// GetPublicKey once). The AWS KMS ones take region=, profile= and
// grant_tokens= as aws-kms groups do; a key ARN's own region wins.

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

const (
	providerRawECDH  = "raw-ecdh"
	providerKMSRSA   = "aws-kms-rsa"
	providerKMSECDH  = "aws-kms-ecdh"
	asymProvidersTxt = "raw-ecdh, aws-kms-rsa, aws-kms-ecdh"
)

// asymSpec is one -w group of an asymmetric provider, checked.
type asymSpec struct {
	provider string
	// keyFile is the private key (raw-ecdh); recipientFile a public key
	// (raw-ecdh, aws-kms-ecdh static); publicFile the RSA public key
	// (aws-kms-rsa).
	keyFile, recipientFile, publicFile string
	// AWS KMS: the key ARN, the RSA algorithm, discovery (aws-kms-ecdh),
	// and the AWS configuration.
	key, algorithm  string
	discovery       bool
	region, profile string
	grantTokens     []string
	decrypt         bool
}

func (s *asymSpec) String() string {
	switch s.provider {
	case providerRawECDH:
		return fmt.Sprintf("raw-ecdh (key-file %q, recipient-key-file %q)", s.keyFile, s.recipientFile)
	case providerKMSRSA:
		return fmt.Sprintf("aws-kms-rsa %s (%s)", s.key, s.algorithm)
	}
	if s.discovery {
		return fmt.Sprintf("aws-kms-ecdh %s discovery", s.key)
	}
	return fmt.Sprintf("aws-kms-ecdh %s (recipient-key-file %q)", s.key, s.recipientFile)
}

// parseAsymSpec checks a raw-ecdh, aws-kms-rsa or aws-kms-ecdh group.
func parseAsymSpec(provider string, kv KV, decrypt bool) (*asymSpec, error) {
	s := &asymSpec{provider: provider, decrypt: decrypt}
	usage := map[string]string{
		providerRawECDH: "-w provider=raw-ecdh [key-file=PRIVATE.pem] [recipient-key-file=PUBLIC.pem]",
		providerKMSRSA:  "-w provider=aws-kms-rsa key=ARN algorithm=RSAES_OAEP_SHA_256|RSAES_OAEP_SHA_1 [public-key-file=PUBLIC.pem]",
		providerKMSECDH: "-w provider=aws-kms-ecdh key=ARN recipient-key-file=PUBLIC.pem, or key=ARN discovery=true to decrypt",
	}[provider]
	known := map[string][]string{
		providerRawECDH: {"key-file", "recipient-key-file"},
		providerKMSRSA:  {"key", "algorithm", "public-key-file", "region", "profile", "grant_tokens"},
		providerKMSECDH: {"key", "recipient-key-file", "discovery", "region", "profile", "grant_tokens"},
	}[provider]
	for _, k := range sortedKeys(kv) {
		if !slices.Contains(known, k) {
			return nil, clierr.Usage(fmt.Sprintf("provider=%s: unknown attribute %q", provider, k), usage)
		}
		if k != "grant_tokens" && len(kv[k]) > 1 {
			return nil, clierr.Usage(fmt.Sprintf("provider=%s takes one %s=, %d provided", provider, k, len(kv[k])), "give each key its own -w group")
		}
	}
	one := func(k string) string {
		if v := kv[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	s.keyFile, s.recipientFile, s.publicFile = one("key-file"), one("recipient-key-file"), one("public-key-file")
	s.key, s.algorithm, s.region, s.profile = one("key"), one("algorithm"), one("region"), one("profile")
	s.grantTokens = slices.Clone(kv["grant_tokens"])
	switch provider {
	case providerRawECDH:
		switch {
		case !decrypt && s.recipientFile == "":
			return nil, clierr.Usage("provider=raw-ecdh needs recipient-key-file=PUBLIC.pem to encrypt", usage+" (key-file= for a static sender key; without it each message gets an ephemeral key)")
		case decrypt && s.keyFile == "":
			return nil, clierr.Usage("provider=raw-ecdh needs key-file=PRIVATE.pem to decrypt", usage+" (the recipient's private key; add recipient-key-file= to accept only one sender)")
		}
	case providerKMSRSA:
		if s.key == "" || s.algorithm == "" {
			return nil, clierr.Usage("provider=aws-kms-rsa needs key= and algorithm=", usage)
		}
		if s.algorithm != string(types.EncryptionAlgorithmSpecRsaesOaepSha256) && s.algorithm != string(types.EncryptionAlgorithmSpecRsaesOaepSha1) {
			return nil, clierr.Usage(fmt.Sprintf("provider=aws-kms-rsa: unknown algorithm %q", s.algorithm), "algorithm is RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1, the one the message was encrypted with")
		}
	case providerKMSECDH:
		if s.key == "" {
			return nil, clierr.Usage("provider=aws-kms-ecdh needs key=ARN", usage)
		}
		if d := one("discovery"); d != "" {
			var err error
			if s.discovery, err = pseudoBool(d); err != nil {
				return nil, err
			}
		}
		switch {
		case s.discovery && !decrypt:
			return nil, clierr.Usagef("provider=aws-kms-ecdh: discovery=true only decrypts")
		case s.discovery && s.recipientFile != "":
			return nil, clierr.Usage("provider=aws-kms-ecdh: discovery=true takes no recipient-key-file", "discovery decrypts every message addressed to the KMS key; recipient-key-file= names the other party of a static key pair")
		case !s.discovery && s.recipientFile == "":
			return nil, clierr.Usage("provider=aws-kms-ecdh needs recipient-key-file=PUBLIC.pem (or discovery=true to decrypt)", usage)
		}
	}
	if provider != providerRawECDH {
		if a, err := awskms.ParseARN(s.key); err != nil || a.ResourceType != "key" {
			return nil, clierr.Usage(fmt.Sprintf("provider=%s: key=%s is not a key ARN", provider, s.key), "name the key by its key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): the message records it")
		}
	}
	return s, nil
}

// build makes the group's keyring.
func (s *asymSpec) build(ctx context.Context, warn func(string), kmsOpts []func(*kms.Options)) (materials.Keyring, error) {
	switch s.provider {
	case providerRawECDH:
		return s.rawECDH()
	case providerKMSRSA:
		return s.kmsRSA(ctx, kmsOpts)
	}
	return s.kmsECDH(ctx, kmsOpts)
}

// read reads a key file (PEM or DER).
func (s *asymSpec) read(attr, path string) ([]byte, error) {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-w provider=%s: %s=%s: %v", s.provider, attr, path, unwrapPathError(err))
	}
	return data, nil
}

func (s *asymSpec) fileError(attr, path string, err error) error {
	return clierr.WithHint(fmt.Errorf("-w provider=%s: %s=%s: %v", s.provider, attr, path, err),
		"ECDH keys are PEM: a PKCS #8 or SEC 1 private key, a SubjectPublicKeyInfo public key (openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out private.pem; openssl pkey -in private.pem -pubout -out public.pem)")
}

func (s *asymSpec) ecdhPublic(attr, path string) (*ecdh.PublicKey, error) {
	data, err := s.read(attr, path)
	if err != nil {
		return nil, err
	}
	var pub *ecdh.PublicKey
	if bytes.Contains(data, []byte("-----BEGIN")) {
		pub, err = keyring.ParseECDHPublicKeyPEM(data)
	} else {
		pub, err = keyring.ParseECDHPublicKeyDER(data)
	}
	if err != nil {
		return nil, s.fileError(attr, path, err)
	}
	return pub, nil
}

func (s *asymSpec) rawECDH() (materials.Keyring, error) {
	var c keyring.RawECDHConfig
	if s.keyFile != "" {
		data, err := s.read("key-file", s.keyFile)
		if err != nil {
			return nil, err
		}
		var priv *ecdh.PrivateKey
		if bytes.Contains(data, []byte("-----BEGIN")) {
			priv, err = keyring.ParseECDHPrivateKeyPEM(data)
		} else {
			priv, err = keyring.ParseECDHPrivateKeyDER(data)
		}
		clear(data)
		if err != nil {
			// The parser's errors name the encoding, never the key.
			return nil, s.fileError("key-file", s.keyFile, err)
		}
		c.PrivateKey = priv
	}
	if s.recipientFile != "" {
		pub, err := s.ecdhPublic("recipient-key-file", s.recipientFile)
		if err != nil {
			return nil, err
		}
		c.RecipientPublicKey = pub
	}
	switch {
	case c.PrivateKey != nil && c.RecipientPublicKey != nil:
		c.Schema = keyring.ECDHStatic
	case c.PrivateKey != nil:
		c.Schema = keyring.ECDHDiscovery
	default:
		c.Schema = keyring.ECDHEphemeral
	}
	kr, err := keyring.NewRawECDH(c)
	if err != nil {
		return nil, fmt.Errorf("-w provider=raw-ecdh: %w", err)
	}
	return kr, nil
}

// kmsClient returns an AWS KMS client for the region of the key ARN.
func (s *asymSpec) kmsClient(ctx context.Context, kmsOpts []func(*kms.Options)) (*kms.Client, error) {
	cfg, err := loadAWSConfig(ctx, s.profile, s.region)
	if err != nil {
		return nil, kmsConfigError(kmsSpec{Profile: s.profile}, err)
	}
	a, err := awskms.ParseARN(s.key)
	if err != nil {
		return nil, err
	}
	c, err := awskms.NewClientSupplier(cfg, kmsOpts...).ClientForRegion(ctx, a.Region)
	if err != nil {
		return nil, fmt.Errorf("-w provider=%s key=%s: %w", s.provider, s.key, err)
	}
	kc, ok := c.(*kms.Client)
	if !ok {
		return nil, fmt.Errorf("-w provider=%s: unexpected AWS KMS client %T", s.provider, c)
	}
	return kc, nil
}

func (s *asymSpec) kmsRSA(ctx context.Context, kmsOpts []func(*kms.Options)) (materials.Keyring, error) {
	var pub *rsa.PublicKey
	if !s.decrypt && s.publicFile == "" {
		var err error
		if pub, err = s.kmsRSAPublic(ctx, kmsOpts); err != nil {
			return nil, err
		}
	}
	if s.publicFile != "" {
		data, err := s.read("public-key-file", s.publicFile)
		if err != nil {
			return nil, err
		}
		der := data
		if b, _ := pem.Decode(data); b != nil {
			der = b.Bytes
		}
		k, err := x509.ParsePKIXPublicKey(der)
		if err == nil {
			var ok bool
			if pub, ok = k.(*rsa.PublicKey); !ok {
				err = fmt.Errorf("holds a %T, not an RSA public key", k)
			}
		}
		if err != nil {
			return nil, clierr.WithHint(fmt.Errorf("-w provider=aws-kms-rsa: public-key-file=%s: %v", s.publicFile, err),
				"the file is the SubjectPublicKeyInfo that AWS KMS GetPublicKey returns, as DER or PEM")
		}
	}
	var c awskms.Client
	if s.decrypt {
		kc, err := s.kmsClient(ctx, kmsOpts)
		if err != nil {
			return nil, err
		}
		c = kc
	}
	kr, err := awskms.NewRSAKeyring(c, s.key, types.EncryptionAlgorithmSpec(s.algorithm), pub, awskms.WithGrantTokens(s.grantTokens...))
	if err != nil {
		return nil, fmt.Errorf("-w provider=aws-kms-rsa: %w", err)
	}
	return kr, nil
}

func (s *asymSpec) kmsECDH(ctx context.Context, kmsOpts []func(*kms.Options)) (materials.Keyring, error) {
	cfg := awskms.ECDHConfig{Schema: awskms.KMSPublicKeyDiscovery, KeyARN: s.key}
	if !s.discovery {
		pub, err := s.ecdhPublic("recipient-key-file", s.recipientFile)
		if err != nil {
			return nil, err
		}
		cfg.Schema, cfg.RecipientPublicKey = awskms.KMSPrivateKeyToStaticPublicKey, pub
	}
	c, err := s.kmsClient(ctx, kmsOpts)
	if err != nil {
		return nil, err
	}
	kr, err := awskms.NewECDHKeyring(ctx, c, cfg, awskms.WithGrantTokens(s.grantTokens...))
	if err != nil {
		if strings.Contains(err.Error(), "GetPublicKey") {
			return nil, clierr.WithHint(fmt.Errorf("-w provider=aws-kms-ecdh: %w", err), "the key must be an ECC_NIST_P256/P384/P521 key with key usage KEY_AGREEMENT, and the caller may call kms:GetPublicKey and kms:DeriveSharedSecret on it")
		}
		return nil, fmt.Errorf("-w provider=aws-kms-ecdh: %w", err)
	}
	return kr, nil
}

// kmsRSAPublic fetches the public key of the group's KMS key with one
// GetPublicKey request, for encrypting without public-key-file=, and
// checks that the key is an RSA key for encryption and, when AWS KMS
// lists the key's algorithms, that the group's is one of them.
func (s *asymSpec) kmsRSAPublic(ctx context.Context, kmsOpts []func(*kms.Options)) (*rsa.PublicKey, error) {
	kc, err := s.kmsClient(ctx, kmsOpts)
	if err != nil {
		return nil, err
	}
	out, err := kc.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &s.key, GrantTokens: s.grantTokens})
	if err != nil {
		return nil, fmt.Errorf("-w provider=aws-kms-rsa key=%s: fetching the public key: %w", s.key, err)
	}
	fail := func(what string) error {
		return clierr.WithHint(fmt.Errorf("-w provider=aws-kms-rsa key=%s: %s", s.key, what),
			"the key must be an RSA key with key usage ENCRYPT_DECRYPT; or give public-key-file= to encrypt without asking AWS KMS")
	}
	switch {
	case out.KeyId == nil || *out.KeyId != s.key:
		return nil, fail("AWS KMS answered for another key")
	case out.KeyUsage != types.KeyUsageTypeEncryptDecrypt:
		return nil, fail(fmt.Sprintf("the key's usage is %s, not ENCRYPT_DECRYPT", out.KeyUsage))
	case len(out.EncryptionAlgorithms) > 0 && !slices.Contains(out.EncryptionAlgorithms, types.EncryptionAlgorithmSpec(s.algorithm)):
		return nil, fail(fmt.Sprintf("the key does not allow algorithm %s", s.algorithm))
	}
	k, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fail(fmt.Sprintf("its public key does not parse: %v", err))
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fail(fmt.Sprintf("its public key is a %T, not an RSA key", k))
	}
	return pub, nil
}
